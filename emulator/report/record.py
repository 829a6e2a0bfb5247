"""What one run's report shows, gathered as plain data: that run's, and no other's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs


@attrs.frozen
class RunRecord:
    """One auction run as it was: its own waits, traces, orders, documents and alerts.

    Times are epoch seconds. `traces`: per function (handler module), each invocation's
    X-Ray documents. `decisions`: every decision the run handed to Lambda B
    (`record_id`, `status`, `power`). `documents`: a sample of the accepted orders'
    documents, key to JSON; `documents_stored` counts them all. `numbers`: every value of
    each metric the handlers wrote about the run (its `RunId`), in the order written.
    """

    name: str
    status: str
    started: float
    stopped: float
    definition: str
    template_path: Path
    error: str | None = None
    cause: str | None = None
    entered: dict[str, int] = attrs.field(factory=dict)
    waits: list[int] = attrs.field(factory=list)
    retry_intervals: list[float] = attrs.field(factory=list)
    summary: dict[str, Any] | None = None
    traces: dict[str, list[list[dict[str, Any]]]] = attrs.field(factory=dict)
    decisions: list[dict[str, Any]] = attrs.field(factory=list)
    documents: dict[str, Any] = attrs.field(factory=dict)
    documents_stored: int = 0
    alerts: list[dict[str, Any]] = attrs.field(factory=list)
    engine_errors: list[str] = attrs.field(factory=list)
    numbers: dict[str, list[float]] = attrs.field(factory=dict)  # its metrics, by name
