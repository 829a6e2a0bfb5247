"""Faults injected into the running workflow: retried with backoff, then alerted, nothing lost.

The faults answer for AWS through botocore's hooks on every client made during the test,
so the handlers' clients and the workflow engine's clients meet them as they would in AWS.
"""

from __future__ import annotations

import pytest

from tests.faults import error_response, everywhere

pytestmark = pytest.mark.synth


def test_s3_failing_in_lambda_b_is_retried_then_alerted_and_the_run_goes_on(
    dev_system, monkeypatch
):
    fault = everywhere(
        monkeypatch, "s3", "PutObject", lambda _: error_response("InternalError", 500)
    )

    run = dev_system.wait_for(dev_system.start_run(name="s3-down"))

    assert run.status == "SUCCEEDED"  # one failed order does not fail the others' run
    # The accepted order: 1 try + 3 retries, each failing at S3; the rejected order: 1 try.
    assert dev_system.functions["handlers.store_result"].invocations == 4 + 1
    assert fault.injected == 4
    assert len(dev_system.virtual_time.retry_intervals) == 3
    titles = sorted(alert["content"]["title"] for alert in dev_system.alerts())
    assert titles == [
        "Auction order 0 of run s3-down: ClientError",
        "Auction order 1 of run s3-down: OrderRejectedError",
    ]
    assert dev_system.stored_results() == {}


def test_s3_failing_briefly_is_absorbed_by_the_retries(dev_system, monkeypatch):
    # Fail S3 twice: fewer times than the workflow tries Lambda B.
    everywhere(
        monkeypatch, "s3", "PutObject", lambda _: error_response("InternalError", 500), times=2
    )

    run = dev_system.wait_for(dev_system.start_run(name="s3-blip"))

    assert run.status == "SUCCEEDED"
    assert len(dev_system.stored_results()) == 1
    titles = [alert["content"]["title"] for alert in dev_system.alerts()]
    assert titles == ["Auction order 1 of run s3-blip: OrderRejectedError"]


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


def test_sns_publish_failing_is_retried_and_the_alert_still_goes_out(dev_system, monkeypatch):
    fault = everywhere(
        monkeypatch, "sns", "Publish", lambda _: error_response("InternalError", 500), times=2
    )

    run = dev_system.wait_for(dev_system.start_run(name="sns-blip"))

    assert run.status == "SUCCEEDED"
    assert fault.injected == 2
    titles = [alert["content"]["title"] for alert in dev_system.alerts()]
    assert titles == ["Auction order 1 of run sns-blip: OrderRejectedError"]
