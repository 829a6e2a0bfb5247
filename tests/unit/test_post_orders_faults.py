"""POST /orders when DynamoDB pushes back: retried to completion, or 503, never a false 201."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from emulator.lambda_runtime import LambdaContext
from emulator.local_lambda import response_bytes
from handlers.table_writer import TRANSACTION_BYTES, _transactions
from tests.faults import all_unprocessed, error_response, on_client, unprocessed_keys
from tests.unit.conftest import fresh
from tests.unit.decisions import record_decisions

BATCH = [{"record_id": f"order-{i:03d}", "power": i} for i in range(60)]


@pytest.fixture
def post_orders(orders_table: Any) -> Any:
    return fresh("handlers.post_orders")


def dynamodb_client(post_orders: Any) -> Any:
    client, _ = post_orders._orders_table()
    return client


def test_unprocessed_items_are_retried_until_every_record_is_stored(
    post_orders, orders_table, context
):
    fault = on_client(dynamodb_client(post_orders), "BatchWriteItem", all_unprocessed, times=3)
    request = {"httpMethod": "POST", "body": json.dumps(BATCH)}

    response = post_orders.handler(request, context)

    assert response["statusCode"] == 201
    assert fault.injected == 3
    assert fault.calls == 3 + 3  # three refused chunks, then the three chunks of 25, 25, 10
    assert orders_table.scan(Select="COUNT")["Count"] == len(BATCH)


def test_requests_are_the_floor_when_dynamodb_takes_everything(post_orders, context):
    fault = on_client(dynamodb_client(post_orders), "BatchWriteItem", lambda _: None)

    post_orders.handler({"httpMethod": "POST", "body": json.dumps(BATCH)}, context)

    assert fault.calls == 3  # ceil(60 / 25)


class VirtualClock:
    """The handler's clock, its backoff's sleeps and its Lambda context on one virtual time:
    what it does before its deadline does not depend on how busy the machine is."""

    def __init__(self, timeout_seconds: float) -> None:
        self.now = 0.0
        self.timeout_seconds = timeout_seconds
        self.aws_request_id = "virtual"

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - self.now) * 1000))

    def install(self, post_orders: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(post_orders, "time", self)
        monkeypatch.setattr(
            post_orders.Backoff,
            "until",
            classmethod(
                lambda cls, deadline: cls(deadline, clock=self.monotonic, sleep=self.sleep)
            ),
        )


def test_throttling_without_end_is_answered_503_in_time_and_never_201(
    post_orders, orders_table, monkeypatch
):
    fault = on_client(
        dynamodb_client(post_orders),
        "BatchWriteItem",
        lambda _: error_response("ProvisionedThroughputExceededException"),
    )
    # A Lambda with just over one worst-case call of time left.
    clock = VirtualClock(timeout_seconds=post_orders.WORST_CALL_SECONDS + 1.5)
    clock.install(post_orders, monkeypatch)

    response = post_orders.handler({"httpMethod": "POST", "body": json.dumps(BATCH)}, clock)

    assert response["statusCode"] == 503
    # It retried, backing off, and stopped before its deadline with a worst-case call in hand.
    assert fault.calls > 2
    assert 0 < clock.now < clock.timeout_seconds - post_orders.WORST_CALL_SECONDS
    answer = json.loads(response["body"])
    assert sorted(answer["unconfirmed_record_ids"]) == [r["record_id"] for r in BATCH]
    assert response["headers"]["Retry-After"].isdigit()
    assert orders_table.scan(Select="COUNT")["Count"] == 0


def test_an_error_that_is_not_transient_propagates(post_orders, context):
    on_client(
        dynamodb_client(post_orders),
        "BatchWriteItem",
        lambda _: error_response("AccessDeniedException"),
    )

    with pytest.raises(Exception, match="AccessDeniedException"):
        post_orders.handler({"httpMethod": "POST", "body": json.dumps(BATCH)}, context)


def test_a_batch_costs_the_floor_in_reads_and_writes_and_a_resend_writes_nothing(
    post_orders, context
):
    client = dynamodb_client(post_orders)
    reads = on_client(client, "BatchGetItem", lambda _: None)
    writes = on_client(client, "BatchWriteItem", lambda _: None)
    batch = [{"record_id": f"order-{i:04d}"} for i in range(260)]

    post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)
    assert (reads.calls, writes.calls) == (3, 11)  # ceil(260 / 100), ceil(260 / 25)

    post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)
    assert (reads.calls, writes.calls) == (6, 11)


def test_keys_left_unread_are_asked_again(post_orders, orders_table, context):
    fault = on_client(dynamodb_client(post_orders), "BatchGetItem", unprocessed_keys, times=2)

    response = post_orders.handler({"httpMethod": "POST", "body": json.dumps(BATCH)}, context)

    assert response["statusCode"] == 201
    assert fault.calls == 2 + 1
    assert orders_table.scan(Select="COUNT")["Count"] == len(BATCH)


def test_reads_that_never_complete_are_answered_503_and_nothing_is_written(
    post_orders, orders_table
):
    on_client(dynamodb_client(post_orders), "BatchGetItem", unprocessed_keys)
    context = LambdaContext(timeout_seconds=post_orders.WORST_CALL_SECONDS + 1.5)

    response = post_orders.handler({"httpMethod": "POST", "body": json.dumps(BATCH)}, context)

    assert response["statusCode"] == 503
    assert len(json.loads(response["body"])["unconfirmed_record_ids"]) == len(BATCH)
    assert orders_table.scan(Select="COUNT")["Count"] == 0


def test_a_503_for_a_large_batch_lists_its_first_record_ids_and_fits_lambda_s_response(
    post_orders, orders_table
):
    # 7,622 records of 64 four-byte characters once made a 6.9 MB answer, which Lambda
    # fails (API Gateway's 502): each id takes 14 bytes a character in it.
    batch = [{"record_id": f"{n:04d}" + "😀" * 63} for n in range(7_622)]
    on_client(dynamodb_client(post_orders), "BatchGetItem", unprocessed_keys)
    context = LambdaContext(timeout_seconds=post_orders.WORST_CALL_SECONDS + 1.5)

    body = json.dumps(batch, ensure_ascii=False)  # UTF-8, as a client sends it

    response = post_orders.handler({"httpMethod": "POST", "body": body}, context)

    assert response["statusCode"] == 503
    assert response_bytes(response) < 1_000_000
    answer = json.loads(response["body"])
    assert answer["unconfirmed_count"] == 7_622
    assert answer["unconfirmed_record_ids"] == [r["record_id"] for r in batch[:1_000]]


def test_an_open_order_decided_while_it_is_being_changed_keeps_its_decision(
    post_orders, orders_table, context
):
    post_orders.handler({"httpMethod": "POST", "body": json.dumps(BATCH[:3])}, context)
    changed = [{**order, "power": 1000} for order in BATCH[:3]]

    def decided_meanwhile(params: dict[str, Any]) -> Any:
        # Lambda B records order-001's outcome between this POST's read and its write.
        record_decisions(orders_table, ["order-001"], "rejected")

    on_client(dynamodb_client(post_orders), "TransactWriteItems", decided_meanwhile, times=1)

    response = post_orders.handler({"httpMethod": "POST", "body": json.dumps(changed)}, context)

    assert response["statusCode"] == 409
    answer = json.loads(response["body"])
    assert answer["record_ids"] == ["order-001"]
    assert "other 2 record(s) were stored" in answer["message"]
    items = {i["record_id"]: i for i in orders_table.scan()["Items"]}
    assert items["order-001"]["outcome"]["status"] == "rejected"
    assert items["order-001"]["power"] == 1
    assert items["order-000"]["power"] == items["order-002"]["power"] == 1000


def test_changed_orders_go_in_transactions_within_dynamodb_s_limits():
    small = [{"record_id": f"s-{n}", "x": n} for n in range(150)]
    large = [{"record_id": f"l-{n}", "x": "y" * 300_000} for n in range(30)]

    assert [len(t) for t in _transactions(small)] == [100, 50]
    sizes = [sum(len(item["x"]) for item in t) for t in _transactions(large)]
    assert len(sizes) == 3
    assert max(sizes) < TRANSACTION_BYTES
