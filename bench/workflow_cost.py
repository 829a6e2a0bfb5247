"""Workflow cost: state transitions of one run on moto, priced for the hourly schedule."""

from __future__ import annotations

from pathlib import Path

from bench.measure import Figure
from domain.polling import PollingPolicy
from emulator.scenarios import seed_for_late_results
from emulator.system import LocalAuctionSystem

RUNS_PER_MONTH = 24 * 30  # the hourly schedule
# eu-west-1 list prices used here (AWS Step Functions pricing page); change them here.
STANDARD_PER_TRANSITION = 0.025 / 1_000
EXPRESS_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_PER_GB_SECOND = 0.00001667
EXPRESS_BILLED_GB = 64 / 1024  # Express bills memory in 64 MB steps; the minimum
EXPRESS_MAX_SECONDS = 5 * 60
DEV_POLLING = PollingPolicy(first_delay_seconds=30, max_delay_seconds=300, max_attempts=6)


def transitions(assembly: Path, not_ready: int) -> int:
    """State transitions (states entered) of one run whose results come after `not_ready` tries."""
    lambda_a = {"AUCTION_SIMULATION_SEED": str(seed_for_late_results(not_ready))}
    environment = {"handlers.fetch_results": lambda_a}
    with LocalAuctionSystem(assembly, function_environment=environment, trace=False) as system:
        run = system.wait_for(system.start_run())
        assert run.status == "SUCCEEDED", run
        return sum(1 for event in run.events if event["type"].endswith("StateEntered"))


def figures(assembly: Path) -> list[Figure]:
    results = []
    for not_ready in (0, 1, 3):
        count = transitions(assembly, not_ready)
        waited = sum(DEV_POLLING.delays()[:not_ready])
        standard = RUNS_PER_MONTH * count * STANDARD_PER_TRANSITION
        express = RUNS_PER_MONTH * (
            EXPRESS_PER_REQUEST + max(waited, 1) * EXPRESS_BILLED_GB * EXPRESS_PER_GB_SECOND
        )
        label = f"workflow, 2 orders, {not_ready} not-ready"
        results += [
            Figure(f"{label}: state transitions", count, "transitions"),
            Figure(f"{label}: Standard, per month", standard, "USD"),
            Figure(f"{label}: Express, per month (if it could wait {waited} s)", express, "USD"),
        ]
    results.append(
        Figure("workflow: longest wait for results (dev) vs Express's 5-minute limit",
               DEV_POLLING.total_wait_seconds(), "s")
    )  # fmt: skip
    return results
