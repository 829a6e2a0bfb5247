"""The auction's numbers, as the handlers write them on the local stage, against what the
table and the buckets hold; and the failure they are for: orders left open run after run
while the handlers' clock moves on, until their age crosses the alarm's threshold, read
from the synthesized template (moto does not evaluate alarms)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from domain.metrics import metric_values
from domain.runs import report_key
from emulator.scenarios import seed_for_late_results
from tests.unit.test_auction_alarms import DECIDED_NOTHING, OLDEST, first_alarm_hour

pytestmark = pytest.mark.synth
HOUR = 3600


def alarm(template: dict, name: str) -> dict[str, Any]:
    (found,) = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and resource["Properties"]["AlarmName"] == f"energy-auction-dev-{name}"
    ]
    return found


def post(system, record_ids: list[str]) -> dict:
    batch = [{"record_id": record_id, "power": 3} for record_id in record_ids]
    return system.post_orders(json.dumps(batch))


def recorded_ms(item: dict) -> int:
    return round(datetime.fromisoformat(item["outcome"]["recorded_at"]).timestamp() * 1000)


def test_every_number_of_a_run_is_what_the_table_and_buckets_hold(local_system):
    seed = seed_for_late_results(not_ready_attempts=1)
    with local_system(lambda_a={"AUCTION_SIMULATION_SEED": str(seed)}, trace=False) as system:
        answers = [post(system, ["a", "b", "c", "d", "e"]), post(system, ["d", "e", "f", "g"])]
        refused = system.post_orders('[{"record_id": "x", "ttl": 1}]')  # the synthetic check's
        open_before = system.stored_orders()

        run = system.wait_for(system.start_run(name="counted"))

        assert run.status == "SUCCEEDED"
        assert [a["statusCode"] for a in answers] + [refused["statusCode"]] == [201, 201, 400]
        held = sum(
            body["stored"] + body["unchanged"] + body["already_decided"]
            for body in (json.loads(a["body"]) for a in answers)
        )
        assert system.metrics.totals()["OrdersPosted"] == held == 9

        numbers = system.metrics.of_run("counted")
        items = {item["record_id"]: item for item in system.stored_orders()}
        outcomes = [item["outcome"]["status"] for item in items.values()]
        accepted, rejected = outcomes.count("accepted"), outcomes.count("rejected")
        report = system.run_files(report_key("counted"))[report_key("counted")]
        attempts = run.entered("Fetch auction results")
        # Lambda A, at each of its attempts: what the open-orders index held at the start.
        assert numbers["OpenOrders"] == [len(open_before)] * attempts == [7, 7]
        assert numbers["PlatformAsks"] == [attempts]
        oldest = min(item["posted_at"] for item in open_before) / 1000
        for age in numbers["OldestOpenOrderAge"]:
            assert run.started.timestamp() - 0.001 <= oldest + age <= run.stopped.timestamp() + 1
        # Lambda B: each decided order, as its item records posting and decision.
        assert sorted(numbers["DecisionAge"]) == sorted(
            (recorded_ms(item) - item["posted_at"]) / 1000 for item in items.values()
        )
        # Lambda C: the run's counts, as the table, the results bucket and its report say.
        stored = len(system.result_keys("orders/"))
        assert {name: numbers[name] for name in (
            "OrdersTaken", "OrdersAccepted", "OrdersRejected", "OrdersDecided",
            "OrdersFailed", "OrdersGone",
        )} == {
            "OrdersTaken": [len(items)], "OrdersAccepted": [accepted], "OrdersRejected": [rejected],
            "OrdersDecided": [accepted + rejected], "OrdersFailed": [0], "OrdersGone": [0],
        }  # fmt: skip
        assert (stored, len(report["rejected"]), report["orders"]) == (accepted, rejected, 7)
        (duration,) = numbers["RunDuration"]
        assert 0 < duration <= run.stopped.timestamp() - run.started.timestamp() + 1
        # Each written by the function that knows it, in the stage's own namespace.
        writers = {}
        for written in system.metrics.written:
            for name in metric_values([written.document]):
                writers.setdefault(name, set()).add(written.function)
        function = {module.rsplit(".", 1)[-1]: f.name for module, f in system.functions.items()}
        assert writers == {
            "OrdersPosted": {function["post_orders"]},
            "OpenOrders": {function["fetch_results"]},
            "OldestOpenOrderAge": {function["fetch_results"]},
            "PlatformAsks": {function["fetch_results"]},
            "DecisionAge": {function["store_result"]},
            **{name: {function["summarize_run"]} for name in (
                "OrdersTaken", "OrdersAccepted", "OrdersRejected", "OrdersDecided",
                "OrdersFailed", "OrdersGone", "RunDuration")},
        }  # fmt: skip
        documents = system.metrics.documents("counted")
        namespaces = {d["_aws"]["CloudWatchMetrics"][0]["Namespace"] for d in documents}
        assert namespaces == {"EnergyAuction/dev"}
        # A normal run stays far under the alarm's threshold.
        assert max(numbers["OldestOpenOrderAge"]) < alarm(system.template, OLDEST)["Threshold"]
        assert system.record_of(run).numbers == numbers  # what its report shows


def test_results_never_ready_hour_after_hour_cross_the_alarm_s_threshold(local_system):
    # The runs of the first three hours are not run: they would find the same orders, and
    # only the clock sets their age (each such run is tested elsewhere, and costs seconds).
    hours = range(3, 6)
    with local_system(lambda_a={"AUCTION_READY_PROBABILITY": "0"}, trace=False) as system:
        oldest_alarm = alarm(system.template, OLDEST)
        assert post(system, ["waiting-1", "waiting-2"])["statusCode"] == 201
        system.virtual_time.advance(hours[0] * HOUR)

        for hour in hours:
            run = system.wait_for(system.start_run(name=f"hour-{hour}"))
            assert run.status == "FAILED"  # results never ready: alerted, orders left open
            system.virtual_time.advance(HOUR)

        numbers = {hour: system.metrics.of_run(f"hour-{hour}") for hour in hours}
        hourly = {  # each hour's datapoint, as CloudWatch aggregates it (none before)
            name: [max(numbers[h][name]) if h in numbers else None for h in range(hours[-1] + 1)]
            for name in ("OldestOpenOrderAge", "OpenOrders")
        } | {"OrdersDecided": [None] * (hours[-1] + 1)}  # no run reached Lambda C
        over = [age > oldest_alarm["Threshold"] for age in hourly["OldestOpenOrderAge"][3:]]
        # Late twice (dev: 3 h 50 min): still under. Late three times and more: over, and
        # in ALARM once 2 of 3 hours are; deciding nothing, on the third hour of it.
        assert over == [False, True, True]
        assert first_alarm_hour(oldest_alarm, hourly) == 5
        assert first_alarm_hour(alarm(system.template, DECIDED_NOTHING), hourly) == 5
        assert [len(n["OpenOrders"]) for n in numbers.values()] == [6, 6, 6]  # every attempt
        assert len(system.alerts()) == len(hours)  # each run alerted once as well
