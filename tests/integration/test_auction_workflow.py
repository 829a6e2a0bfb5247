"""The synthesized workflow definition, executed on moto with the real handlers.

Orders are posted through POST /orders's handler, the run is started as the schedule
starts it, and every decision is read back where a client would find it. Wait states and
retry intervals pass at once (emulator.virtual_time) but are recorded, so the backoff a
real run would wait is checked too.
"""

from __future__ import annotations

import json

import pytest

from domain.orders import DEFAULT_LIMITS
from domain.runs import ALERT_SAMPLE, CHUNK_SIZE
from emulator.scenarios import seed_for_late_results

pytestmark = pytest.mark.synth

DEV_DELAYS = [30, 60, 120, 240, 300]  # stages/settings.py: dev's PollingPolicy


def post(system, count: int, prefix: str = "order") -> list[str]:
    ids = [f"{prefix}-{n:05d}" for n in range(count)]
    batch = [{"record_id": record_id, "power": 2} for record_id in ids]
    assert system.post_orders(json.dumps(batch))["statusCode"] == 201
    return ids


def test_every_posted_order_gets_exactly_one_outcome_and_rejections_one_alert(dev_system):
    posted = post(dev_system, 40)

    run = dev_system.wait_for(dev_system.start_run(name="run-1"))

    assert run.status == "SUCCEEDED"
    outcomes = {item["record_id"]: item["outcome"] for item in dev_system.stored_orders()}
    assert set(outcomes) == set(posted)
    accepted = {r for r, outcome in outcomes.items() if outcome["status"] == "accepted"}
    rejected = {r for r, outcome in outcomes.items() if outcome["status"] == "rejected"}
    assert accepted
    assert rejected
    assert accepted | rejected == set(posted)
    documents = dev_system.stored_results("orders/")
    assert {document["record_id"] for document in documents.values()} == accepted
    assert len(documents) == len(accepted)
    assert all(outcomes[d["record_id"]]["result_key"] == key for key, d in documents.items())
    (alert,) = dev_system.alerts()
    assert alert["source"] == "custom"  # AWS Chatbot's custom notification format
    assert alert["content"]["title"] == f"Auction run run-1: {len(rejected)} rejected of 40 orders"
    assert "Every record_id: s3://" in alert["content"]["description"]
    # A rejection is an outcome, not an error: Lambda B never failed.
    assert dev_system.functions["handlers.store_result"].failures == 0


def test_a_client_reads_each_order_s_outcome(dev_system):
    (record_id,) = post(dev_system, 1)
    assert json.loads(dev_system.get_order(record_id)["body"])["status"] == "open"

    dev_system.wait_for(dev_system.start_run())

    answer = json.loads(dev_system.get_order(record_id)["body"])
    assert answer["status"] in {"accepted", "rejected"}
    assert answer["outcome"]["run_id"]
    assert dev_system.get_order("unknown")["statusCode"] == 404


def test_late_results_are_awaited_with_backoff_then_the_orders_decided(local_system):
    seed = seed_for_late_results(not_ready_attempts=2, ready_probability=0.5)
    with local_system(lambda_a={"AUCTION_SIMULATION_SEED": str(seed)}) as system:
        post(system, 3)
        run = system.wait_for(system.start_run(name="late-results"))

        assert run.status == "SUCCEEDED"
        assert run.entered("Fetch auction results") == 3
        assert system.virtual_time.waits == DEV_DELAYS[:2]
        assert all("outcome" in item for item in system.stored_orders())


def test_results_never_ready_give_up_within_the_bound_and_alert(local_system):
    with local_system(lambda_a={"AUCTION_READY_PROBABILITY": "0"}) as system:
        post(system, 2)
        run = system.wait_for(system.start_run(name="never-ready"))

        assert run.status == "FAILED"
        assert run.error == "AuctionResultsNotReady"
        assert run.entered("Fetch auction results") == len(DEV_DELAYS) + 1
        assert system.virtual_time.waits == DEV_DELAYS
        (alert,) = system.alerts()
        assert alert["content"]["title"] == "Auction run never-ready failed: AuctionResultsNotReady"
        assert "after 6 attempts over 750 seconds" in alert["content"]["description"]
        assert system.stored_results() == {}
        # Undecided, the orders stay open for the next run (or leave with their TTL).
        assert all("open_shard" in item for item in system.stored_orders())


def test_a_run_without_open_orders_stores_nothing_and_tells_nobody(dev_system):
    run = dev_system.wait_for(dev_system.start_run(name="quiet-hour"))

    assert run.status == "SUCCEEDED"
    assert run.output["auction"]["count"] == 0
    assert run.entered("No open orders") == 1
    assert dev_system.stored_results() == {}
    assert dev_system.alerts() == []
    assert dev_system.functions["handlers.store_result"].invocations == 0


def test_decided_orders_are_not_sent_to_the_auction_again(dev_system):
    post(dev_system, 5)
    dev_system.wait_for(dev_system.start_run(name="hour-09"))
    documents = dev_system.stored_results("orders/")

    post(dev_system, 5)  # the same batch, resent after the auction decided it
    second = dev_system.wait_for(dev_system.start_run(name="hour-10"))

    assert second.output["auction"]["count"] == 0
    assert dev_system.stored_results("orders/") == documents


def test_the_run_s_history_and_payloads_do_not_grow_with_its_orders(local_system):
    # Every order rejected: both runs take the same path, alert included.
    lambda_a = {"AUCTION_READY_PROBABILITY": "1", "AUCTION_REJECTION_PROBABILITY": "1"}

    def run_with(orders: int) -> tuple[int, int]:
        with local_system(lambda_a=lambda_a, trace=False) as system:
            post(system, orders)
            run = system.wait_for(system.start_run(name="sized"), timeout_seconds=120)
            assert run.status == "SUCCEEDED"
            assert run.output["summary"]["orders"] == orders
            return len(run.events), run.largest_payload()

    (small_events, small_payload), (large_events, large_payload) = (
        run_with(3),
        run_with(2 * CHUNK_SIZE + 1),
    )

    assert large_events == small_events
    # What grows with the orders is the alert's sample of record_ids, capped at ten.
    bound = ALERT_SAMPLE * DEFAULT_LIMITS.max_record_id_bytes + 2048
    assert small_payload < large_payload < bound


def test_every_function_is_traced_with_its_domain_work_and_aws_calls(dev_system):
    post(dev_system, 3)
    dev_system.wait_for(dev_system.start_run())
    dev_system.get_order("order-00000")

    traced = dev_system.traced_subsegments()

    assert {"read_orders", "store_orders", "dynamodb"} <= set(traced["handlers.post_orders"])
    assert {"open_orders", "auction_results", "write_chunks", "dynamodb", "s3"} <= set(
        traced["handlers.fetch_results"]
    )
    assert {"record_decisions", "s3", "dynamodb"} <= set(traced["handlers.store_result"])
    assert {"summarize_run", "s3"} <= set(traced["handlers.summarize_run"])
    assert {"read_order", "dynamodb"} <= set(traced["handlers.get_order"])
