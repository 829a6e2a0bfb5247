"""Lambda B: accepted orders stored once under their key, rejected ones raised."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from auction_constructs.functions import DEFAULT_TIMEOUT
from domain.errors import OrderRejectedError
from tests.faults import error_response, on_client
from tests.unit.conftest import fresh

RUN = {"id": "run-2026-11-24T09", "started_at": "2026-11-24T09:00:00.000Z"}


@pytest.fixture
def store_result(results_bucket: str) -> Any:
    return fresh("handlers.store_result")


def objects(bucket: str) -> dict[str, Any]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"]) for item in listed}


def test_an_accepted_order_is_saved_as_json_under_its_run_and_position(
    store_result, results_bucket, context
):
    event = {"order": {"status": "accepted", "power": 1}, "run": RUN, "position": 0}

    answer = store_result.handler(event, context)

    assert answer == {
        "bucket": results_bucket,
        "key": "orders/2026/11/24/run-2026-11-24T09/order-00000.json",
    }
    stored = objects(results_bucket)[answer["key"]]
    assert stored["ContentType"] == "application/json"
    assert json.loads(stored["Body"].read()) == {"status": "accepted", "power": 1}


def test_a_bare_order_gets_a_unique_dated_key(store_result, results_bucket, context):
    keys = {
        store_result.handler({"status": "accepted", "power": 1}, context)["key"] for _ in range(5)
    }

    assert len(keys) == 5
    assert all(key.startswith("orders/") and key.endswith(".json") for key in keys)
    assert set(objects(results_bucket)) == keys


def test_storing_the_same_order_again_leaves_one_object(store_result, results_bucket, context):
    event = {"order": {"status": "accepted", "power": 3}, "run": RUN, "position": 4}

    first = store_result.handler(event, context)
    second = store_result.handler(event, context)

    assert first == second
    assert list(objects(results_bucket)) == [first["key"]]
    versions = boto3.client("s3").list_object_versions(Bucket=results_bucket)
    assert len(versions.get("Versions", [])) == 1


def test_a_rejected_order_raises_naming_the_order_and_stores_nothing(
    store_result, results_bucket, context
):
    event = {"order": {"status": "rejected", "power": 2}, "run": RUN, "position": 1}

    with pytest.raises(OrderRejectedError, match=r"power 2 \(order 1 of auction run"):
        store_result.handler(event, context)
    assert objects(results_bucket) == {}


def test_an_s3_failure_propagates(store_result, context):
    s3, _ = store_result._results_bucket()
    on_client(s3, "PutObject", lambda _: error_response("InternalError", 500))

    with pytest.raises(Exception, match="InternalError"):
        store_result.handler({"status": "accepted", "power": 1}, context)


@pytest.mark.parametrize(
    "event",
    [{"status": "pending", "power": 1}, {"status": "accepted", "power": "1"}, ["x"]],
)
def test_an_order_outside_the_contract_is_refused(store_result, context, event):
    with pytest.raises(Exception, match=r"status|power|object"):
        store_result.handler(event, context)


def test_a_hanging_s3_fails_the_call_well_inside_the_function_timeout(store_result):
    config = store_result._results_bucket()[0].meta.config
    attempts = config.retries["total_max_attempts"]
    backoff = sum(min(20, 2**retry) for retry in range(attempts - 1))  # standard mode's bound

    worst = attempts * (config.connect_timeout + config.read_timeout) + backoff

    assert worst < DEFAULT_TIMEOUT.to_seconds()
