"""DynamoDB's key and item limits, as AWS applies them: moto 5.2.5 alone is laxer on keys
and stricter and laxer on items; `emulator.moto_fidelity` mends both, and these tests show
each difference and its mend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from emulator.moto_fidelity import aws_faithful_dynamodb, item_bytes

TABLE = "t"
LONG_KEY = "k" * 2049  # one byte over DynamoDB's 2,048
KEY_LIMIT = "k" * 2048
ITEM_LIMIT = 409_600


@pytest.fixture(scope="module")
def table() -> Iterator[Any]:
    """A table keyed by `k`, with an index keyed by the string `g`."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "k", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


@pytest.fixture
def dynamodb(table: Any) -> Iterator[Any]:
    """The table, emptied after each test."""
    yield table
    for item in table.scan(TableName=TABLE)["Items"]:
        table.delete_item(TableName=TABLE, Key={"k": item["k"]})


def key(value: str) -> dict[str, Any]:
    return {"k": {"S": value}}


def sized_item(total: int, record_id: str = "a") -> dict[str, Any]:
    """An item of `total` bytes as DynamoDB counts them: `k` and `v`, names and values."""
    return {"k": {"S": record_id}, "v": {"S": "x" * (total - 1 - len(record_id) - 1)}}


def validation_error(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    return raised.value.response["Error"]["Message"]


# Every operation that names a partition key, with that key too long.
OPERATIONS: dict[str, Callable[[Any, str], Any]] = {
    "GetItem": lambda c, k: c.get_item(TableName=TABLE, Key=key(k)),
    "BatchGetItem": lambda c, k: c.batch_get_item(RequestItems={TABLE: {"Keys": [key(k)]}}),
    "DeleteItem": lambda c, k: c.delete_item(TableName=TABLE, Key=key(k)),
    "UpdateItem": lambda c, k: c.update_item(
        TableName=TABLE, Key=key(k), UpdateExpression="SET v = :v",
        ConditionExpression="attribute_exists(k)", ExpressionAttributeValues={":v": {"N": "1"}},
    ),
    "PutItem": lambda c, k: c.put_item(TableName=TABLE, Item=key(k)),
    "PutItem of an index key": lambda c, k: c.put_item(
        TableName=TABLE, Item={**key("a"), "g": {"S": k}}
    ),
    "BatchWriteItem put": lambda c, k: c.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": key(k)}}]}
    ),
    "BatchWriteItem delete": lambda c, k: c.batch_write_item(
        RequestItems={TABLE: [{"DeleteRequest": {"Key": key(k)}}]}
    ),
    "TransactGetItems": lambda c, k: c.transact_get_items(
        TransactItems=[{"Get": {"TableName": TABLE, "Key": key(k)}}]
    ),
    "TransactWriteItems condition check": lambda c, k: c.transact_write_items(
        TransactItems=[{"ConditionCheck": {
            "TableName": TABLE, "Key": key(k), "ConditionExpression": "attribute_exists(k)",
        }}]
    ),
    "Query": lambda c, k: c.query(
        TableName=TABLE, KeyConditionExpression="#k = :k",
        ExpressionAttributeNames={"#k": "k"}, ExpressionAttributeValues={":k": {"S": k}},
    ),
    "Query of an index": lambda c, k: c.query(
        TableName=TABLE, IndexName="by-g", KeyConditionExpression=":g = g",
        ExpressionAttributeValues={":g": {"S": k}},
    ),
}  # fmt: skip


@pytest.mark.parametrize("operation", ["GetItem", "BatchGetItem", "Query"])
def test_moto_alone_answers_a_read_of_a_key_too_long_as_if_nothing_were_there(dynamodb, operation):
    OPERATIONS[operation](dynamodb, LONG_KEY)  # no error: AWS would refuse it


@pytest.mark.parametrize("operation", OPERATIONS)
def test_mended_every_operation_refuses_a_key_over_2048_bytes(dynamodb, operation):
    with aws_faithful_dynamodb():
        message = validation_error(lambda: OPERATIONS[operation](dynamodb, LONG_KEY))

    assert "Size of hashkey has exceeded the maximum size limit" in message


@pytest.mark.parametrize("operation", ["GetItem", "PutItem", "Query", "BatchWriteItem put"])
def test_mended_a_key_of_2048_bytes_is_taken(dynamodb, operation):
    with aws_faithful_dynamodb():
        OPERATIONS[operation](dynamodb, KEY_LIMIT)


def test_mended_a_key_counts_its_utf8_bytes(dynamodb):
    with aws_faithful_dynamodb():
        dynamodb.get_item(TableName=TABLE, Key=key("é" * 1024))  # 2,048 bytes
        validation_error(lambda: dynamodb.get_item(TableName=TABLE, Key=key("é" * 1024 + "k")))


def test_moto_alone_refuses_an_item_aws_stores(dynamodb):
    message = validation_error(lambda: dynamodb.put_item(TableName=TABLE, Item=sized_item(406_000)))

    assert message == "Item size has exceeded the maximum allowed size"


@pytest.mark.parametrize("size", [405_001, ITEM_LIMIT])
def test_mended_an_item_up_to_409600_bytes_is_stored(dynamodb, size):
    with aws_faithful_dynamodb():
        dynamodb.put_item(TableName=TABLE, Item=sized_item(size))

        stored = dynamodb.get_item(TableName=TABLE, Key=key("a"))["Item"]
    assert item_bytes(stored) == size


PUTS: dict[str, Callable[[Any, dict], Any]] = {
    "PutItem": lambda c, item: c.put_item(TableName=TABLE, Item=item),
    "BatchWriteItem": lambda c, item: c.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": item}}]}
    ),
    "TransactWriteItems": lambda c, item: c.transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE, "Item": item}}]
    ),
}


@pytest.mark.parametrize("put", PUTS)
def test_mended_an_item_of_one_byte_more_is_refused_and_nothing_is_written(dynamodb, put):
    with aws_faithful_dynamodb():
        message = validation_error(lambda: PUTS[put](dynamodb, sized_item(ITEM_LIMIT + 1)))

        assert message == "Item size has exceeded the maximum allowed size"
        assert dynamodb.scan(TableName=TABLE)["Items"] == []


def test_mended_an_update_past_the_limit_is_refused_and_leaves_the_item_as_it_was(dynamodb):
    with aws_faithful_dynamodb():
        dynamodb.put_item(TableName=TABLE, Item=sized_item(ITEM_LIMIT - 1))
        message = validation_error(lambda: dynamodb.update_item(
            TableName=TABLE, Key=key("a"), UpdateExpression="SET w = :w",
            ExpressionAttributeValues={":w": {"BOOL": True}},  # 2 bytes: w and 1
        ))  # fmt: skip

        stored = dynamodb.get_item(TableName=TABLE, Key=key("a"))["Item"]
    assert message == "Item size to update has exceeded the maximum allowed size"
    assert stored == sized_item(ITEM_LIMIT - 1)


def test_mended_an_update_is_counted_on_the_item_it_leaves(dynamodb):
    # SET and REMOVE together: the item between them would be over; the one left is not.
    with aws_faithful_dynamodb():
        dynamodb.put_item(
            TableName=TABLE, Item={**sized_item(ITEM_LIMIT - 11), "z": {"S": "0" * 9}}
        )
        dynamodb.update_item(
            TableName=TABLE, Key=key("a"), UpdateExpression="SET w = :w REMOVE z",
            ExpressionAttributeValues={":w": {"S": "1" * 10}},
        )  # fmt: skip

        stored = dynamodb.get_item(TableName=TABLE, Key=key("a"))["Item"]
    assert item_bytes(stored) == ITEM_LIMIT


def test_a_list_or_map_is_counted_as_dynamodb_documents():
    # 3 bytes for a list or map, 1 more for each element, then names and values as usual.
    item = {
        "k": {"S": "a"},
        "l": {"L": [{"S": "xy"}, {"BOOL": True}]},
        "m": {"M": {"n": {"NULL": True}, "s": {"S": "abc"}}},
    }

    assert item_bytes(item) == 2 + (1 + 3 + (1 + 2) + (1 + 1)) + (1 + 3 + (1 + 1 + 1) + (1 + 1 + 3))


@pytest.mark.parametrize(("number", "bytes_"), [("0", 2), ("7", 3), ("12", 3), ("123", 4),
                                                ("-1.50", 3), ("1" + "0" * 40, 3)])  # fmt: skip
def test_a_number_is_counted_at_its_largest(number, bytes_):
    # 1 byte per 2 significant digits and 1, plus 1 for a pair the decimal point may split.
    assert item_bytes({"n": {"N": number}}) == 1 + bytes_
