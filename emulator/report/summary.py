"""A run told in a line: its counts, or why it failed. `make serve`, the demo and the report
say it alike."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from domain.metrics import METRICS, SECONDS, Metric, unit_of

CAUSE_CHARACTERS = 200  # a cause longer than this is cut; the report has it whole


def counts_line(summary: Mapping[str, Any]) -> str:
    """Lambda C's counts: decided (accepted or rejected) apart from failed.

    >>> counts_line({"orders": 25, "stored": 20, "rejected": 4, "failed": 1, "gone": 0})
    '25 orders: 24 decided (20 accepted and stored, 4 rejected), 1 failed (still open)'
    """
    stored, rejected = summary.get("stored", 0), summary.get("rejected", 0)
    line = (
        f"{summary.get('orders', 0)} orders: {stored + rejected} decided "
        f"({stored} accepted and stored, {rejected} rejected), "
        f"{summary.get('failed', 0)} failed (still open)"
    )
    if summary.get("gone"):
        line += f", {summary['gone']} gone before their decision was recorded"
    return line


def cause_line(error: str | None, cause: str | None) -> str:
    """Why a run failed, in one line of at most about `CAUSE_CHARACTERS`.

    >>> cause_line("AuctionResultsNotReady", "No auction results after 6 attempts")
    'AuctionResultsNotReady: No auction results after 6 attempts'
    >>> len(cause_line("States.TaskFailed", "x" * 5000)) < 260
    True
    """
    text = " ".join(f"{error or 'unknown error'}: {cause or ''}".split()).rstrip(": ")
    if len(text) > CAUSE_CHARACTERS:
        text = text[:CAUSE_CHARACTERS] + f"... ({len(text)} characters; the report has them all)"
    return text


def number_text(name: str, values: Sequence[float]) -> str:
    """A metric's values as a person reads them: one, each, or a distribution's summary.

    >>> number_text("OpenOrders", [7, 7])
    '7, 7'
    >>> number_text("DecisionAge", [0.25, 0.5, 1.0, 2.0])
    'p50 0.5 s, p99 2 s, of 4'
    """
    unit = " s" if name in METRICS and unit_of(name) == SECONDS else ""
    if name == Metric.DECISION_AGE and len(values) > 1:
        p50, p99 = _percentile(values, 50), _percentile(values, 99)
        return f"p50 {p50:.3g}{unit}, p99 {p99:.3g}{unit}, of {len(values)}"
    return ", ".join(f"{value:.3g}{unit}" for value in values)


def numbers_line(numbers: Mapping[str, Sequence[float]]) -> str:
    """A run's numbers in a line, in the order the run writes them.

    >>> numbers_line({"OrdersTaken": [3], "RunDuration": [1.25]})
    'OrdersTaken 3; RunDuration 1.25 s'
    """
    return "; ".join(f"{name} {number_text(name, values)}" for name, values in numbers.items())


def _percentile(values: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile, as CloudWatch's pNN of the values is near."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]
