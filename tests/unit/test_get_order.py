"""GET /orders/{record_id}: found, decided, unknown, expired; the method checked."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from domain.results import result_key
from tests.unit.conftest import fresh
from tests.unit.decisions import record_decisions


@pytest.fixture
def get_order(orders_table) -> Any:
    return fresh("handlers.get_order")


@pytest.fixture
def posted(orders_table, context) -> None:
    batch = [{"record_id": "o/1", "power": 4.25, "site": "north"}]
    post_orders = fresh("handlers.post_orders")
    post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)


def get(get_order: Any, context: Any, record_id: str, method: str = "GET") -> tuple[int, dict]:
    event = {"httpMethod": method, "pathParameters": {"record_id": record_id}}
    response = get_order.handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_an_open_order_is_answered_as_it_was_sent(get_order, posted, context):
    status, body = get(get_order, context, "o/1")

    assert status == 200
    assert body["status"] == "open"
    assert body["order"] == {"record_id": "o/1", "power": 4.25, "site": "north"}
    assert body["outcome"] is None
    assert body["expires_at"] > time.time()


def test_a_decided_order_shows_its_outcome(get_order, posted, orders_table, context):
    run = record_decisions(orders_table, ["o/1"], run_id="r-1")

    status, body = get(get_order, context, "o/1")

    assert (status, body["status"]) == (200, "accepted")
    outcome = body["outcome"]
    assert (outcome["status"], outcome["power"], outcome["run_id"]) == ("accepted", 4, "r-1")
    assert outcome["result_key"] == result_key("o/1", day=run.started_at,
                                               posted_at=body["posted_at"])  # fmt: skip


def test_an_unknown_order_is_404(get_order, context):
    status, body = get(get_order, context, "nobody")

    assert status == 404
    assert "nobody" in body["message"]


def test_an_expired_order_is_404_though_ttl_has_not_deleted_it_yet(
    get_order, posted, orders_table, context
):
    orders_table.update_item(
        Key={"record_id": "o/1"}, UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "ttl"}, ExpressionAttributeValues={":t": int(time.time())},
    )  # fmt: skip

    assert get(get_order, context, "o/1")[0] == 404


def test_another_method_is_405(get_order, context):
    assert get(get_order, context, "o/1", method="DELETE")[0] == 405
