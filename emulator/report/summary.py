"""A run told in a line: its counts, or why it failed. `make serve`, the demo and the report
say it alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
