"""Faults injected into the running workflow: retried with backoff, then reported, nothing lost.

The faults answer for AWS through botocore's hooks on every client made during the test,
so the handlers' clients and the workflow engine's clients meet them as they would in AWS.
"""

from __future__ import annotations

import json

import pytest

from auction_constructs.auction_workflow import CHUNK_RETRY_DELAYS
from tests.faults import error_response, everywhere

pytestmark = pytest.mark.synth

SEEDED = {"AUCTION_READY_PROBABILITY": "1", "AUCTION_SIMULATION_SEED": "11"}


def post(system, count: int = 6) -> None:
    batch = [{"record_id": f"order-{n}", "power": 2} for n in range(count)]
    assert system.post_orders(json.dumps(batch))["statusCode"] == 201


def s3_refuses_order_documents(params) -> object:
    """S3 failing for the accepted orders' documents only, not the run's own files."""
    return error_response("InternalError", 500) if "/orders/" in params["url"] else None


def test_s3_failing_for_documents_is_retried_then_reported_and_nothing_is_lost(
    local_system, monkeypatch
):
    with local_system(lambda_a=SEEDED) as system:
        post(system)
        fault = everywhere(monkeypatch, "s3", "PutObject", s3_refuses_order_documents)

        run = system.wait_for(system.start_run(name="s3-down"))

        assert run.status == "SUCCEEDED"  # one chunk that cannot be stored fails no run
        # One chunk: Lambda B called, then again after each wait, its S3 failing each time;
        # never an error of the function (its alarm is for the unexpected).
        lambda_b = system.functions["handlers.store_result"]
        assert lambda_b.invocations == 1 + len(CHUNK_RETRY_DELAYS)
        assert lambda_b.failures == 0
        assert system.virtual_time.waits == list(CHUNK_RETRY_DELAYS)
        assert fault.injected > 0
        items = {item["record_id"]: item for item in system.stored_orders()}
        summary = run.output["summary"]
        accepted = [r for r, item in items.items() if item["outcome"]["status"] == "accepted"]
        # Every outcome is recorded; the accepted orders' documents could not be stored.
        assert summary["failed"] == len(accepted) > 0
        assert summary["rejected"] == len(items) - len(accepted)
        assert system.stored_results("orders/") == {}
        (alert,) = system.alerts()
        assert f"{summary['failed']} failed" in alert["content"]["title"]
        assert "InternalError" in alert["content"]["description"]
        report = system.run_files("runs/s3-down/report.json")["runs/s3-down/report.json"]
        assert sorted(f["record_id"] for f in report["failed"]) == sorted(accepted)


def test_s3_failing_briefly_is_absorbed_by_the_retries(local_system, monkeypatch):
    with local_system(lambda_a=SEEDED) as system:
        post(system)
        everywhere(monkeypatch, "s3", "PutObject", s3_refuses_order_documents, times=2)

        run = system.wait_for(system.start_run(name="s3-blip"))

        assert run.status == "SUCCEEDED"
        assert run.output["summary"]["failed"] == 0
        assert all("outcome" in item for item in system.stored_orders())


def test_lambda_a_failing_is_retried_with_backoff_then_the_run_fails_and_alerts(local_system):
    broken = {"AUCTION_READY_PROBABILITY": "not-a-number"}  # Lambda A raises at every call
    with local_system(lambda_a=broken) as system:
        run = system.wait_for(system.start_run(name="lambda-a-down"))

        assert run.status == "FAILED"
        assert run.error == "ValueError"
        assert system.functions["handlers.fetch_results"].invocations == 4
        intervals = system.virtual_time.retry_intervals
        assert len(intervals) == 3
        assert all(0 <= interval <= 2 * 2**n for n, interval in enumerate(intervals))  # jittered
        (alert,) = system.alerts()
        assert alert["content"]["title"] == "Auction run lambda-a-down failed: ValueError"


def test_sns_publish_failing_is_retried_and_the_alert_still_goes_out(local_system, monkeypatch):
    lambda_a = {**SEEDED, "AUCTION_REJECTION_PROBABILITY": "1"}
    with local_system(lambda_a=lambda_a) as system:
        post(system)
        fault = everywhere(
            monkeypatch, "sns", "Publish", lambda _: error_response("InternalError", 500), times=2
        )

        run = system.wait_for(system.start_run(name="sns-blip"))

        assert run.status == "SUCCEEDED"
        assert fault.injected == 2
        (alert,) = system.alerts()
        assert alert["content"]["title"] == "Auction run sns-blip: 6 rejected of 6 orders"
