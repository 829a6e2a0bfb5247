"""Lambda A: the orders open at the run's start, submitted to the platform, decided in chunks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from domain.auction import AuctionResults, OrderResult, OrderStatus
from domain.errors import InvalidAuctionResultsError
from tests.unit.conftest import fresh
from tests.unit.decisions import record_decisions


@pytest.fixture
def post_orders(orders_table: Any) -> Any:
    return fresh("handlers.post_orders")


@pytest.fixture
def lambda_a(orders_table, runs_bucket, monkeypatch) -> Any:
    monkeypatch.setenv("AUCTION_SIMULATION_SEED", "7")
    monkeypatch.setenv("AUCTION_READY_PROBABILITY", "1")
    return fresh("handlers.fetch_results")


def post(post_orders: Any, context: Any, record_ids: list[str]) -> None:
    batch = [{"record_id": record_id, "power": 5} for record_id in record_ids]
    response = post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)
    assert response["statusCode"] == 201


def run_event(started: datetime | None = None, run_id: str = "run-1") -> dict:
    started = started or datetime.now(UTC) + timedelta(seconds=1)
    return {"run": {"id": run_id, "started_at": started.isoformat()}, "retries": 0}


def read(bucket: str, key: str) -> Any:
    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def decided(answer: dict, bucket: str) -> dict[str, dict]:
    """Every decision of a ready answer, by record_id, read through its manifest."""
    manifest = read(bucket, answer["chunks"]["key"])
    return {d["record_id"]: d for chunk in manifest for d in read(bucket, chunk["key"])}


def test_the_open_orders_are_decided_each_once_in_chunks_in_s3(
    lambda_a, post_orders, runs_bucket, orders_table, context
):
    post(post_orders, context, [f"o-{n}" for n in range(3)])

    answer = lambda_a.handler(run_event(), context)

    assert answer == {
        "results": True,
        "count": 3,
        "chunks": {"bucket": runs_bucket, "key": "runs/run-1/chunks.json"},
    }
    decisions = decided(answer, runs_bucket)
    items = {i["record_id"]: i for i in orders_table.scan()["Items"]}
    assert set(decisions) == set(items)
    for record_id, decision in decisions.items():
        assert decision["status"] in {"accepted", "rejected"}
        assert decision["posted_at"] == items[record_id]["posted_at"]
        if decision["status"] == "accepted":
            assert decision["power"] == 5  # what the order asked for


def test_a_large_run_is_written_in_chunks_the_map_can_iterate(
    lambda_a, post_orders, runs_bucket, context
):
    post(post_orders, context, [f"o-{n:04d}" for n in range(1201)])

    answer = lambda_a.handler(run_event(), context)

    manifest = read(runs_bucket, answer["chunks"]["key"])
    assert [entry["count"] for entry in manifest] == [500, 500, 201]
    assert [entry["chunk"] for entry in manifest] == [0, 1, 2]
    assert {entry["format"] for entry in manifest} == {1}
    assert len(decided(answer, runs_bucket)) == 1201


def test_only_orders_open_at_the_run_s_start_are_submitted(
    lambda_a, post_orders, runs_bucket, orders_table, context
):
    post(post_orders, context, ["before", "decided", "expired"])
    record_decisions(orders_table, ["decided"])
    orders_table.update_item(
        Key={"record_id": "expired"}, UpdateExpression="SET #t = :t, posted_at = :p",
        ExpressionAttributeNames={"#t": "ttl"}, ExpressionAttributeValues={":t": 5, ":p": 5000},
    )  # fmt: skip
    started = datetime.now(UTC) + timedelta(seconds=1)
    post(post_orders, context, ["after"])  # posted after the run started: the next run's
    orders_table.update_item(
        Key={"record_id": "after"}, UpdateExpression="SET posted_at = :p",
        ExpressionAttributeValues={":p": int(started.timestamp() * 1000) + 60_000},
    )  # fmt: skip

    answer = lambda_a.handler(run_event(started), context)

    assert set(decided(answer, runs_bucket)) == {"before"}


def test_no_open_orders_is_a_ready_run_of_none(lambda_a, runs_bucket, context):
    answer = lambda_a.handler(run_event(), context)

    assert answer["results"] is True
    assert answer["count"] == 0
    assert read(runs_bucket, answer["chunks"]["key"]) == []


def test_results_not_ready_write_nothing(orders_table, runs_bucket, monkeypatch, context):
    monkeypatch.setenv("AUCTION_READY_PROBABILITY", "0")
    lambda_a = fresh("handlers.fetch_results")

    assert lambda_a.handler(run_event(), context) == {"results": False}
    assert boto3.client("s3").list_objects_v2(Bucket=runs_bucket).get("KeyCount") == 0


def test_a_seed_replays_the_same_decisions(
    lambda_a, post_orders, runs_bucket, context, monkeypatch
):
    post(post_orders, context, [f"o-{n}" for n in range(20)])
    first = decided(lambda_a.handler(run_event(run_id="a"), context), runs_bucket)
    again = fresh("handlers.fetch_results")

    assert decided(again.handler(run_event(run_id="b"), context), runs_bucket) == first


def test_a_platform_that_leaves_an_order_undecided_fails_the_attempt(
    lambda_a, post_orders, runs_bucket, context
):
    post(post_orders, context, ["a", "b"])

    class ForgetfulPlatform:
        def results(self, run_id, orders):
            return AuctionResults(True, (OrderResult(OrderStatus.ACCEPTED, 1, "a"),))

    lambda_a._platform = lambda: ForgetfulPlatform()

    with pytest.raises(InvalidAuctionResultsError, match="1 submitted order"):
        lambda_a.handler(run_event(), context)


def test_finding_open_orders_reads_only_the_open_ones(lambda_a, post_orders, orders_table, context):
    post(post_orders, context, [f"decided-{n}" for n in range(40)] + ["open-1", "open-2"])
    record_decisions(orders_table, [f"decided-{n}" for n in range(40)])
    dynamodb = lambda_a._aws()[0]
    examined: list[int] = []
    dynamodb.meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: examined.append(parsed["ScannedCount"])
    )

    lambda_a.handler(run_event(), context)

    assert sum(examined) == 2  # the index holds the open orders only
