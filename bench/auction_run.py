"""Whole auction runs on the local emulation, and what they would cost in AWS.

A run with 1,000 and with 10,000 open orders: its wall time here, its state transitions,
the events in its own history and its largest state payload, which must not grow with
the number of orders. Then the month's cost at 1,000, 10,000 and 100,000 orders an hour,
from the transitions measured here and `bench.cost_model`.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.cost_model import emf_bytes_per_hour, monthly_cost
from bench.measure import Figure
from domain.orders import DEFAULT_LIMITS
from emulator.report.render import write_report
from emulator.scenarios import seed_for_late_results
from emulator.serve import AuctionLoop
from emulator.system import LocalAuctionSystem, RunOutcome

ORDERS = (1_000, 10_000)
LOADS = (1_000, 10_000, 100_000)  # orders an hour
LOCAL_BUDGET_SECONDS = {10_000: 120}
SERVED_ORDERS = 10_000  # the most one POST takes (docs/api.md)
SERVED_BUDGET_SECONDS = 180  # traced, as make serve runs it, until its report is written
REPORT_BUDGET_SECONDS = 15  # gathering and writing that run's report


def run_with(assembly: Path, orders: int, not_ready: int = 1) -> tuple[RunOutcome, float, Any]:
    """Post `orders` open orders, run the auction (late by `not_ready` answers), time it."""
    lambda_a = {"AUCTION_SIMULATION_SEED": str(seed_for_late_results(not_ready))}
    environment = {"handlers.fetch_results": lambda_a}
    with LocalAuctionSystem(assembly, function_environment=environment, trace=False) as system:
        batch = [{"record_id": f"order-{n:06d}", "power": 1 + n % 50} for n in range(orders)]
        size = DEFAULT_LIMITS.max_records
        for start in range(0, orders, size):
            answer = system.post_orders(json.dumps(batch[start : start + size]))
            assert answer["statusCode"] == 201, answer
        started = time.perf_counter()
        run = system.wait_for(system.start_run(), timeout_seconds=900)
        seconds = time.perf_counter() - started
        assert run.status == "SUCCEEDED", run
        assert run.output["summary"]["orders"] == orders
        return run, seconds, _child_transitions(system)


def served_run_figures(assembly: Path) -> list[Figure]:
    """The documented maximum, as `make serve` takes it: one POST of 10,000 records, the
    run traced and followed by serve's loop until its report is written (the loop used to
    give up after 60 s and take the system down), then that report gathered again."""
    lambda_a = {"AUCTION_SIMULATION_SEED": str(seed_for_late_results(not_ready_attempts=1))}
    told: list[str] = []
    with (
        LocalAuctionSystem(
            assembly, function_environment={"handlers.fetch_results": lambda_a}
        ) as system,
        tempfile.TemporaryDirectory() as reports,
    ):
        batch = [
            {"record_id": f"served-{n:06d}", "power": 1 + n % 50} for n in range(SERVED_ORDERS)
        ]
        answer = system.post_orders(json.dumps(batch))
        assert answer["statusCode"] == 201, answer
        loop = AuctionLoop(system, say=told.append, reports=Path(reports))
        started = time.perf_counter()
        loop.start()
        while loop.running:
            loop.follow()
        followed = time.perf_counter() - started
        assert any(f"{SERVED_ORDERS} orders: {SERVED_ORDERS} decided" in line for line in told), (
            told
        )
        run = loop.last_run
        started = time.perf_counter()
        write_report(system.record_of(run), Path(reports))
        reported = time.perf_counter() - started
    label = f"make serve, {SERVED_ORDERS:,} orders in one POST, traced"
    return [
        Figure(f"{label}: run followed until its report is written", followed, "s",
               budget=SERVED_BUDGET_SECONDS),
        Figure(f"{label}: its report gathered and written", reported, "s",
               budget=REPORT_BUDGET_SECONDS),
    ]  # fmt: skip


def _child_transitions(system: LocalAuctionSystem) -> int:
    """States a chunk's child execution enters when it succeeds (its processor's path)."""
    definition = json.loads(system.definition)

    def processors(states: dict) -> list[dict]:
        found = []
        for state in states.values():
            if "ItemProcessor" in state:
                found.append(state["ItemProcessor"])
            for branch in state.get("Branches", []):
                found += processors(branch["States"])
        return found

    (processor,) = processors(definition["States"])
    count, name = 0, processor["StartAt"]
    while name:  # on success: each Next, and a Choice's first choice
        count += 1
        state = processor["States"][name]
        name = state.get("Next") or (state.get("Choices") or [{}])[0].get("Next")
    return count


def figures(assembly: Path) -> list[Figure]:
    results, shape = [], {}
    for orders in ORDERS:
        run, seconds, children = run_with(assembly, orders)
        transitions = sum(1 for e in run.events if e["type"].endswith("StateEntered"))
        shape[orders] = (len(run.events), run.largest_payload(), transitions, children)
        label = f"auction run, {orders:,} orders, 1 not-ready"
        results += [
            Figure(f"{label}: wall time (local, moto)", seconds, "s",
                   budget=LOCAL_BUDGET_SECONDS.get(orders)),
            Figure(f"{label}: the run's own state transitions", transitions, "transitions"),
            Figure(f"{label}: events in the run's history", len(run.events), "events",
                   floor=shape[ORDERS[0]][0], budget=1.0, budget_is_ratio=True),
            Figure(f"{label}: largest state payload", run.largest_payload(), "bytes",
                   budget=256 * 1024),
        ]  # fmt: skip
    _, _, run_transitions, child_transitions = shape[ORDERS[-1]]
    for load in LOADS:
        cost = monthly_cost(load, run_transitions, child_transitions)
        label = f"monthly cost at {load:,} orders an hour"
        results += [
            Figure(f"{label}: Step Functions", cost.step_functions, "USD"),
            Figure(f"{label}: Lambda", cost.lambda_, "USD"),
            Figure(f"{label}: DynamoDB", cost.dynamodb, "USD"),
            Figure(f"{label}: S3 requests", cost.s3, "USD"),
            Figure(f"{label}: API Gateway", cost.api_gateway, "USD"),
            Figure(
                f"{label}: CloudWatch (the auction's metrics, EMF logs, alarms)",
                cost.cloudwatch,
                "USD",
            ),
            Figure(f"{label}: EMF log bytes an hour", emf_bytes_per_hour(load), "bytes"),
            Figure(f"{label}: total", cost.total, "USD"),
        ]
    return results
