"""Lambda B: a chunk of decisions recorded once each; the seed's single order as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from auction_constructs.functions import TIMEOUTS
from domain.errors import OrderRejectedError
from tests.faults import error_response, on_client
from tests.unit.conftest import fresh

STARTED = datetime.now(UTC)
RUN = {"id": "run-7", "started_at": STARTED.isoformat()}
DAY = f"{STARTED:%Y/%m/%d}"


@pytest.fixture
def store_result(results_bucket, runs_bucket, orders_table) -> Any:
    return fresh("handlers.store_result")


@pytest.fixture
def posted(orders_table, context) -> dict[str, int]:
    """Three open orders, as POST /orders stored them: record_id to posted_at."""
    batch = [{"record_id": r, "power": 3} for r in ("order-a", "order-b", "order-c")]
    post_orders = fresh("handlers.post_orders")
    post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)
    return {i["record_id"]: int(i["posted_at"]) for i in orders_table.scan()["Items"]}


def chunk_event(runs_bucket: str, decisions: list[dict], chunk: int = 0) -> dict:
    key = f"runs/run-7/chunks/{chunk:05d}.json"
    boto3.client("s3").put_object(Bucket=runs_bucket, Key=key, Body=json.dumps(decisions))
    return {"chunk": {"format": 1, "chunk": chunk, "key": key, "count": len(decisions)}, "run": RUN}


def decision(record_id: str, status: str, posted: dict[str, int], power: int = 3) -> dict:
    return {
        "record_id": record_id,
        "status": status,
        "power": power,
        "posted_at": posted[record_id],
    }


def objects(bucket: str, prefix: str = "") -> dict[str, Any]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {i["Key"]: json.loads(s3.get_object(Bucket=bucket, Key=i["Key"])["Body"].read())
            for i in listed}  # fmt: skip


def items(table: Any) -> dict[str, dict]:
    return {item["record_id"]: item for item in table.scan()["Items"]}


def test_a_chunk_stores_the_accepted_and_records_every_outcome(
    store_result, posted, results_bucket, runs_bucket, orders_table, context
):
    event = chunk_event(runs_bucket, [
        decision("order-a", "accepted", posted), decision("order-b", "rejected", posted),
    ])  # fmt: skip

    answer = store_result.handler(event, context)

    assert answer == {
        "complete": True, "chunk": 0, "stored": 1, "rejected": 1, "gone": 0, "failed": 0,
    }  # fmt: skip
    key = f"orders/{DAY}/order-a-{posted['order-a']}.json"
    assert objects(results_bucket) == {
        key: {
            "record_id": "order-a", "status": "accepted", "power": 3, "run_id": "run-7",
            "run_started_at": STARTED.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
    }  # fmt: skip
    held = items(orders_table)
    assert held["order-a"]["outcome"]["status"] == "accepted"
    assert held["order-a"]["outcome"]["result_key"] == key
    assert held["order-b"]["outcome"]["status"] == "rejected"
    assert held["order-b"]["outcome"]["run_id"] == "run-7"
    assert "open_shard" not in held["order-a"]
    assert "open_shard" not in held["order-b"]
    assert "outcome" not in held["order-c"]
    assert "open_shard" in held["order-c"]
    (outcome,) = objects(runs_bucket, "runs/run-7/outcomes/").values()
    assert outcome == {"format": 1, "chunk": 0, "stored": 1, "rejected": ["order-b"],
                       "gone": [], "failed": []}  # fmt: skip


def test_recording_a_chunk_again_changes_nothing(
    store_result, posted, results_bucket, runs_bucket, orders_table, context
):
    event = chunk_event(runs_bucket, [decision("order-a", "accepted", posted)])
    first = store_result.handler(event, context)
    before = items(orders_table)

    again = store_result.handler(event, context)

    assert again == first
    assert items(orders_table) == before  # the first recording, its time included
    versions = boto3.client("s3").list_object_versions(Bucket=results_bucket, Prefix="orders/")
    assert len(versions["Versions"]) == 1  # a versioned bucket keeps every overwrite: none


def test_an_order_another_run_decided_first_keeps_that_decision_and_no_document_disagrees(
    store_result, posted, results_bucket, runs_bucket, orders_table, context
):
    # An overlapping run (a late start, a smoke test) took the same order and rejected it.
    earlier = chunk_event(runs_bucket, [decision("order-a", "rejected", posted)])
    store_result.handler({**earlier, "run": {**RUN, "id": "run-6"}}, context)
    later = chunk_event(runs_bucket, [decision("order-a", "accepted", posted)], chunk=1)

    answer = store_result.handler(later, context)

    assert (answer["stored"], answer["gone"]) == (0, 1)
    assert items(orders_table)["order-a"]["outcome"]["run_id"] == "run-6"
    assert objects(results_bucket) == {}


def test_an_order_gone_before_its_decision_is_not_resurrected(
    store_result, posted, results_bucket, runs_bucket, orders_table, context
):
    orders_table.delete_item(Key={"record_id": "order-a"})
    orders_table.update_item(  # expired, awaiting TTL's deletion
        Key={"record_id": "order-b"}, UpdateExpression="SET #t = :t",
        ExpressionAttributeNames={"#t": "ttl"}, ExpressionAttributeValues={":t": 1},
    )  # fmt: skip
    orders_table.update_item(  # posted anew since the run took it
        Key={"record_id": "order-c"}, UpdateExpression="SET posted_at = :p",
        ExpressionAttributeValues={":p": posted["order-c"] + 1},
    )  # fmt: skip
    event = chunk_event(runs_bucket, [decision(r, "accepted", posted) for r in posted])

    answer = store_result.handler(event, context)

    assert answer["gone"] == 3
    held = items(orders_table)
    assert "order-a" not in held
    assert "outcome" not in held["order-b"]
    assert "outcome" not in held["order-c"]
    assert objects(results_bucket) == {}  # a document only for a decision an order holds


def test_a_decision_outside_the_contract_is_failed_and_the_others_recorded(
    store_result, posted, runs_bucket, orders_table, context
):
    event = chunk_event(runs_bucket, [
        {"record_id": "order-a", "status": "maybe", "power": 1, "posted_at": posted["order-a"]},
        decision("order-b", "rejected", posted),
    ])  # fmt: skip

    answer = store_result.handler(event, context)

    assert (answer["failed"], answer["rejected"]) == (1, 1)
    (outcome,) = objects(runs_bucket, "runs/run-7/outcomes/").values()
    (failure,) = outcome["failed"]
    assert failure["record_id"] == "order-a"
    assert "status must be one of" in failure["reason"]


def test_a_failing_s3_leaves_the_chunk_incomplete_after_recording_the_rest_and_again_completes_it(
    store_result, posted, results_bucket, runs_bucket, orders_table, context
):
    event = chunk_event(runs_bucket, [
        decision("order-a", "accepted", posted), decision("order-b", "rejected", posted),
    ])  # fmt: skip
    s3 = store_result._aws()[0]
    fault = on_client(s3, "PutObject", lambda p: error_response("InternalError", 500)
                      if "/orders/" in p["url"] else None)  # fmt: skip

    answer = store_result.handler(event, context)

    assert answer["complete"] is False  # an answer, not an error: Errors stays for the unexpected
    assert answer["failed"] == 1
    (outcome,) = objects(runs_bucket, "runs/run-7/outcomes/").values()
    assert [f["record_id"] for f in outcome["failed"]] == ["order-a"]
    assert "InternalError" in outcome["failed"][0]["reason"]
    assert objects(results_bucket) == {}

    fault.times = fault.injected  # S3 recovers; the workflow calls again
    again = store_result.handler(event, context)
    assert (again["complete"], again["stored"], again["rejected"]) == (True, 1, 1)
    assert len(objects(results_bucket)) == 1


def test_a_hanging_s3_fails_the_call_well_inside_the_function_timeout(store_result):
    config = store_result._aws()[0].meta.config
    attempts = config.retries["total_max_attempts"]
    backoff = sum(min(20, 2**retry) for retry in range(attempts - 1))  # standard mode's bound

    worst = attempts * (config.connect_timeout + config.read_timeout) + backoff

    assert worst < TIMEOUTS["handlers.store_result"].to_seconds()


# -- the seed's contract: one order handed over alone ---------------------------------------


def test_a_single_accepted_order_is_stored_under_its_record_id(
    store_result, results_bucket, context
):
    event = {"order": {"record_id": "x/1", "status": "accepted", "power": 1}, "run": RUN}

    answer = store_result.handler(event, context)

    assert answer == {"bucket": results_bucket, "key": f"orders/{DAY}/x%2F1.json"}
    assert objects(results_bucket)[answer["key"]]["record_id"] == "x/1"


def test_a_bare_order_gets_a_unique_dated_key(store_result, results_bucket, context):
    keys = {
        store_result.handler({"status": "accepted", "power": 1}, context)["key"] for _ in range(5)
    }

    assert len(keys) == 5
    assert set(objects(results_bucket)) == keys


def test_a_single_rejected_order_raises_naming_it_and_stores_nothing(
    store_result, results_bucket, context
):
    event = {"order": {"record_id": "x", "status": "rejected", "power": 2}, "run": RUN}

    with pytest.raises(OrderRejectedError, match=r"Order x rejected by the auction: power 2 "
                       r"\(auction run run-7\)"):  # fmt: skip
        store_result.handler(event, context)
    assert objects(results_bucket) == {}


@pytest.mark.parametrize(
    "event",
    [{"status": "pending", "power": 1}, {"status": "accepted", "power": "1"}, ["x"]],
)
def test_an_order_outside_the_contract_is_refused(store_result, context, event):
    with pytest.raises(Exception, match=r"status|power|object"):
        store_result.handler(event, context)
