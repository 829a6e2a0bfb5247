"""The synthesized workflow definition, executed on moto with the real handlers.

Wait states and retry intervals pass at once (emulator.virtual_time) but are recorded, so
the backoff a real run would wait is checked too.
"""

from __future__ import annotations

import pytest

from emulator.scenarios import seed_for_late_results

pytestmark = pytest.mark.synth

DEV_DELAYS = [30, 60, 120, 240, 300]  # stages/settings.py: dev's PollingPolicy


def test_late_results_are_awaited_with_backoff_then_every_order_is_handled(local_system):
    seed = seed_for_late_results(not_ready_attempts=2)
    with local_system(lambda_a={"AUCTION_SIMULATION_SEED": str(seed)}) as system:
        run = system.wait_for(system.start_run(name="late-results"))

        assert run.status == "SUCCEEDED"
        assert run.entered("Fetch auction results") == 3
        assert system.virtual_time.waits == DEV_DELAYS[:2]
        results = system.stored_results()
        assert [key.rsplit("/", 2)[1:] for key in results] == [["late-results", "order-00000.json"]]
        assert list(results.values()) == [{"status": "accepted", "power": 1}]


def test_a_rejected_order_alerts_while_the_accepted_one_is_stored(dev_system):
    run = dev_system.wait_for(dev_system.start_run(name="run-1"))

    assert run.status == "SUCCEEDED"
    assert [key.rsplit("/", 2)[1:] for key in dev_system.stored_results()] == [
        ["run-1", "order-00000.json"]
    ]
    (alert,) = dev_system.alerts()
    assert alert["source"] == "custom"  # AWS Chatbot's custom notification format
    assert alert["content"]["title"] == "Auction order 1 of run run-1: OrderRejectedError"
    assert "Order rejected by the auction: power 2" in alert["content"]["description"]
    # A rejection is the auction's decision: Lambda B is not asked again.
    assert dev_system.functions["handlers.store_result"].invocations == 2


def test_results_never_ready_give_up_within_the_bound_and_alert(local_system):
    with local_system(lambda_a={"AUCTION_READY_PROBABILITY": "0"}) as system:
        run = system.wait_for(system.start_run(name="never-ready"))

        assert run.status == "FAILED"
        assert run.error == "AuctionResultsNotReady"
        assert run.entered("Fetch auction results") == len(DEV_DELAYS) + 1
        assert system.virtual_time.waits == DEV_DELAYS
        (alert,) = system.alerts()
        assert alert["content"]["title"] == "Auction run never-ready failed: AuctionResultsNotReady"
        assert "after 6 attempts over 750 seconds" in alert["content"]["description"]
        assert system.stored_results() == {}


def test_lambda_b_called_again_for_a_stored_order_keeps_one_object(dev_system):
    first = dev_system.wait_for(dev_system.start_run(name="hour-09"))
    keys_after_first = set(dev_system.stored_results())

    # A retry or re-drive hands Lambda B the same run and position: the same key.
    dev_system.functions["handlers.store_result"].invoke(first.output["orders"][0])

    assert set(dev_system.stored_results()) == keys_after_first
    assert len(keys_after_first) == 1


def test_every_function_is_traced_with_its_domain_work_and_aws_calls(dev_system):
    dev_system.post_orders('[{"record_id": "a", "parameter_1": "abc"}]')
    dev_system.wait_for(dev_system.start_run())

    traced = dev_system.traced_subsegments()

    assert {"store_orders", "dynamodb"} <= set(traced["handlers.post_orders"])
    assert "auction_results" in traced["handlers.fetch_results"]
    assert {"decide_order", "s3"} <= set(traced["handlers.store_result"])
