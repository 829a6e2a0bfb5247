"""POST /orders: every answer, what is stored, and what is not."""

from __future__ import annotations

import base64
import json
import math
import time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from domain.orders import MAX_EVENT_BODY_BYTES, MAX_PROBLEM_TEXT_BYTES
from emulator.local_lambda import response_bytes
from tests.unit.conftest import fresh
from tests.unit.decisions import record_decisions

SEED_BATCH = [
    {"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4},
    {"record_id": "unique_id_2", "parameter_1": "def", "parameter_2": 2.1},
]


def post(body: str, *, method: str = "POST", base64_encoded: bool = False) -> dict:
    return {"httpMethod": method, "body": body, "isBase64Encoded": base64_encoded}


def stored_items(table: Any) -> list[dict[str, Any]]:
    return sorted(table.scan()["Items"], key=lambda item: item["record_id"])


@pytest.fixture
def post_orders(orders_table: Any) -> Any:
    return fresh("handlers.post_orders")


def test_a_valid_batch_is_stored_with_a_24_hour_expiry(
    post_orders, orders_table, context, monkeypatch
):
    # The handler's clock, held still: the expiry is exact, whatever the machine's load.
    now = math.floor(time.time()) + 0.75
    monkeypatch.setattr(post_orders, "time", SimpleNamespace(time=lambda: now,
                                                             monotonic=time.monotonic))  # fmt: skip

    response = post_orders.handler(post(json.dumps(SEED_BATCH)), context)

    assert response["statusCode"] == 201
    answer = json.loads(response["body"])
    assert answer["stored"] == 2
    items = stored_items(orders_table)
    assert [item["record_id"] for item in items] == ["unique_id_1", "unique_id_2"]
    assert items[0]["parameter_2"] == 4
    assert items[1]["parameter_2"] == Decimal("2.1")  # exact, never through a float
    for item in items:
        assert item["ttl"] == math.floor(now) + 86_400 == answer["expires_at"]
        assert item["posted_at"] == int(now * 1000)


def test_a_base64_encoded_body_is_decoded(post_orders, orders_table, context):
    body = base64.b64encode(json.dumps(SEED_BATCH).encode()).decode()

    response = post_orders.handler(post(body, base64_encoded=True), context)

    assert response["statusCode"] == 201
    assert len(stored_items(orders_table)) == 2


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("1." + "0" * 50, Decimal(1)),  # 51 digits written, 1 significant: DynamoDB takes it
        ("1" + "0" * 40, Decimal("1E+40")),  # an integer, likewise
        ("-" + "9" * 38, Decimal("-" + "9" * 38)),  # 38 digits: the most there are
        ("-0.0", Decimal(0)),
        ("0e-200", Decimal(0)),
        ("12.340", Decimal("12.34")),
        ("1.5e-130", Decimal("1.5E-130")),
    ],
)
def test_every_number_validation_accepts_is_stored_as_that_number(
    post_orders, orders_table, context, sent, stored
):
    body = f'[{{"record_id": "n", "power": {sent}}}]'

    response = post_orders.handler(post(body), context)

    assert response["statusCode"] == 201
    assert stored_items(orders_table)[0]["power"] == stored


@pytest.mark.parametrize(
    ("body", "record", "field", "reason_part"),
    [
        ("not json", None, None, "not valid JSON"),
        ('{"record_id": "a"}', None, None, "JSON array"),
        ("[]", None, None, "at least one record"),
        ('[{"parameter_1": "abc"}]', 0, "record_id", "required"),
        ('[{"record_id": ""}]', 0, "record_id", "empty"),
        ('[{"record_id": 7}]', 0, "record_id", "must be a string"),
        ('[{"record_id": "a"}, {"record_id": "a"}]', 1, "record_id", "repeats"),
        ('[{"record_id": "a", "ttl": 5}]', 0, "ttl", "set by the service"),
        ('[{"record_id": "a", "x": 1e400}]', 0, "x", "larger than DynamoDB"),
        ('[{"record_id": "a", "x": 1' + "0" * 126 + "}]", 0, "x", "larger than DynamoDB"),
        ('[{"record_id": "a", "x": 1' + "0" * 37 + "1}]", 0, "x", "more than 38 significant"),
        ('[{"record_id": "a", "x": [NaN]}]', None, None, "NaN"),
        ('["a"]', 0, None, "JSON object"),
    ],
)
def test_a_bad_batch_is_answered_400_naming_the_problem_and_nothing_is_written(
    post_orders, orders_table, context, body, record, field, reason_part
):
    response = post_orders.handler(post(body), context)

    assert response["statusCode"] == 400
    problems = json.loads(response["body"])["problems"]
    assert any(
        p["record"] == record and p["field"] == field and reason_part in p["reason"]
        for p in problems
    ), problems
    assert stored_items(orders_table) == []


def test_a_long_name_over_many_bad_numbers_is_answered_in_little_room(post_orders, context):
    # A body of 67 kB once made a 60 MB answer: each problem repeated the whole name,
    # Lambda failed the response, and API Gateway answered 502.
    name = "n" * 60_000
    body = f'[{{"record_id": "a", "{name}": [{", ".join(["1e400"] * 1_000)}]}}]'

    response = post_orders.handler(post(body), context)

    assert response["statusCode"] == 400
    assert response_bytes(response) < 2_000_000
    answer = json.loads(response["body"])
    assert (answer["problem_count"], len(answer["problems"])) == (1_000, 1_000)
    last = answer["problems"][-1]
    assert len(last["field"].encode()) == MAX_PROBLEM_TEXT_BYTES
    head, tail = last["field"].split("…")
    assert set(head) == {"n"}
    assert tail.endswith("n[999]")  # which element is wrong
    assert last["reason"] == "is larger than DynamoDB can store (1E+126 and beyond)"


def test_one_bad_record_keeps_the_good_ones_out_too(post_orders, orders_table, context):
    batch = [*SEED_BATCH, {"record_id": "unique_id_3", "ttl": 1}]

    response = post_orders.handler(post(json.dumps(batch)), context)

    assert response["statusCode"] == 400
    assert stored_items(orders_table) == []


def test_a_body_flagged_base64_that_is_not_is_a_400(post_orders, orders_table, context):
    response = post_orders.handler(post("%%%not-base64", base64_encoded=True), context)

    assert response["statusCode"] == 400
    assert "base64" in response["body"]


def test_another_method_is_answered_405(post_orders, context):
    response = post_orders.handler(post("[]", method="GET"), context)

    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "POST"


def test_a_body_over_the_size_limit_is_answered_413(post_orders, orders_table, context):
    filler = "x" * MAX_EVENT_BODY_BYTES
    response = post_orders.handler(post(json.dumps([{"record_id": "a", "x": filler}])), context)

    assert response["statusCode"] == 413
    assert stored_items(orders_table) == []


def test_too_many_records_are_answered_413(post_orders, orders_table, context):
    batch = [{"record_id": str(i)} for i in range(10_001)]

    response = post_orders.handler(post(json.dumps(batch)), context)

    assert response["statusCode"] == 413
    assert "10001 records" in json.loads(response["body"])["message"]


@pytest.mark.parametrize("attribute", ["ttl", "posted_at", "open_shard", "digest", "outcome"])
def test_an_attribute_the_service_keeps_is_refused(post_orders, orders_table, context, attribute):
    batch = [{"record_id": "a", attribute: 1}]

    response = post_orders.handler(post(json.dumps(batch)), context)

    assert response["statusCode"] == 400
    (problem,) = json.loads(response["body"])["problems"]
    assert problem == {
        "record": 0,
        "field": attribute,
        "reason": "is set by the service and may not be sent",
    }
    assert stored_items(orders_table) == []


def test_a_stored_order_is_open_until_the_auction_decides_it(post_orders, orders_table, context):
    post_orders.handler(post(json.dumps(SEED_BATCH)), context)

    for item in stored_items(orders_table):
        assert 0 <= item["open_shard"] < 8
        assert item["posted_at"] // 1000 == item["ttl"] - 86_400
        assert "outcome" not in item


def test_resending_a_batch_rewrites_nothing(post_orders, orders_table, context):
    post_orders.handler(post(json.dumps(SEED_BATCH)), context)
    before = stored_items(orders_table)

    response = post_orders.handler(post(json.dumps(SEED_BATCH)), context)

    assert response["statusCode"] == 201
    assert json.loads(response["body"]) == {
        "stored": 0, "unchanged": 2, "already_decided": 0,
        "expires_at": min(item["ttl"] for item in before),  # the first expiry stands
    }  # fmt: skip
    assert stored_items(orders_table) == before


def test_resending_a_decided_order_keeps_its_outcome_and_it_stays_out_of_the_auction(
    post_orders, orders_table, context
):
    post_orders.handler(post(json.dumps(SEED_BATCH)), context)
    record_decisions(orders_table, ["unique_id_1"])
    before = stored_items(orders_table)

    response = post_orders.handler(post(json.dumps(SEED_BATCH)), context)

    assert response["statusCode"] == 201
    assert json.loads(response["body"])["already_decided"] == 1
    assert stored_items(orders_table) == before
    decided = next(i for i in stored_items(orders_table) if i["record_id"] == "unique_id_1")
    assert decided["outcome"]["status"] == "accepted"
    assert "open_shard" not in decided


def test_changing_a_decided_order_is_answered_409_and_nothing_is_written(
    post_orders, orders_table, context
):
    post_orders.handler(post(json.dumps(SEED_BATCH)), context)
    record_decisions(orders_table, ["unique_id_2"])
    before = stored_items(orders_table)
    changed = [{**SEED_BATCH[0], "parameter_2": 5}, {**SEED_BATCH[1], "parameter_2": 9}]

    response = post_orders.handler(post(json.dumps(changed)), context)

    assert response["statusCode"] == 409
    answer = json.loads(response["body"])
    assert (answer["decided_count"], answer["record_ids"]) == (1, ["unique_id_2"])
    assert "nothing was stored" in answer["message"]
    assert stored_items(orders_table) == before


def test_changing_an_open_order_replaces_it(post_orders, orders_table, context):
    post_orders.handler(post(json.dumps(SEED_BATCH)), context)
    changed = [{**SEED_BATCH[0], "parameter_2": 5}]

    response = post_orders.handler(post(json.dumps(changed)), context)

    assert response["statusCode"] == 201
    assert json.loads(response["body"])["stored"] == 1
    replaced = next(i for i in stored_items(orders_table) if i["record_id"] == "unique_id_1")
    assert replaced["parameter_2"] == 5
    assert "open_shard" in replaced


def test_an_expired_order_sent_again_is_a_new_order(post_orders, orders_table, context):
    post_orders.handler(post(json.dumps(SEED_BATCH)), context)
    record_decisions(orders_table, ["unique_id_1"])
    orders_table.update_item(  # expired, not yet deleted by TTL
        Key={"record_id": "unique_id_1"}, UpdateExpression="SET #t = :past",
        ExpressionAttributeNames={"#t": "ttl"}, ExpressionAttributeValues={":past": 1},
    )  # fmt: skip

    response = post_orders.handler(post(json.dumps(SEED_BATCH[:1])), context)

    assert json.loads(response["body"])["stored"] == 1
    (renewed,) = [i for i in stored_items(orders_table) if i["record_id"] == "unique_id_1"]
    assert "outcome" not in renewed
    assert renewed["ttl"] > time.time()
