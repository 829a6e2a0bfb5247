"""One run, one report: what a run's record holds is that run's alone, on its own time
axis, however many runs came before it."""

from __future__ import annotations

import json

import pytest

from emulator.scenarios import seed_for_late_results

pytestmark = pytest.mark.synth


def test_a_second_run_s_record_holds_its_own_waits_traces_orders_documents_and_alerts(
    local_system,
):
    late_once = {"AUCTION_SIMULATION_SEED": str(seed_for_late_results(not_ready_attempts=1))}
    with local_system(lambda_a=late_once) as system:
        first_batch = [{"record_id": f"first-{n}", "power": 1} for n in range(40)]
        assert system.post_orders(json.dumps(first_batch))["statusCode"] == 201
        first = system.wait_for(system.start_run(name="first"))
        second_batch = [{"record_id": f"second-{n}", "power": 1} for n in range(30)]
        assert system.post_orders(json.dumps(second_batch))["statusCode"] == 201
        second = system.wait_for(system.start_run(name="second"))

        record = system.record_of(second)

    assert first.status == second.status == "SUCCEEDED"
    assert {d["record_id"] for d in record.decisions} == {r["record_id"] for r in second_batch}
    accepted = sum(1 for d in record.decisions if d["status"] == "accepted")
    assert record.documents_stored == accepted == record.summary["stored"]
    assert all(key.split("/")[-1].startswith("second-") for key in record.documents)
    assert [alert["content"]["title"].split()[2] for alert in record.alerts] == ["second:"]
    assert record.waits == system.virtual_time.waits_of(second.execution_arn)
    assert len(system.virtual_time.waits) == len(record.waits) * 2  # each run waited alike
    assert len(record.traces["handlers.store_result"]) == 1  # its one chunk, not the first's
    assert len(record.traces["handlers.fetch_results"]) == len(record.waits) + 1
    assert "handlers.post_orders" not in record.traces  # the API's calls are no run's
    assert record.numbers["OpenOrders"] == [30] * (len(record.waits) + 1)  # not the first's 40
    assert record.numbers["OrdersTaken"] == [30]
    assert record.started == second.started.timestamp()
    spans = [d["start_time"] for invocations in record.traces.values()
             for documents in invocations for d in documents]  # fmt: skip
    assert record.started <= min(spans)
    assert max(spans) <= record.stopped
