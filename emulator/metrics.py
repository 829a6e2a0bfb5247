"""The handlers' EMF metrics, captured as CloudWatch Logs would receive them.

Installed, it takes the place of stdout behind handlers/observability.py's sink: every
document a handler writes is kept with the function that wrote it (one invocation runs at
a time, in the function's own environment), and read back by run (`RunId`) or by name.
Locally each document is counted exactly once; CloudWatch's delivery is at least once.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import attrs

from domain.metrics import RUN_ID, metric_values
from handlers import observability


@attrs.frozen
class Written:
    """One EMF document, and the function that wrote it."""

    function: str
    document: dict[str, Any]


@attrs.define
class CapturedMetrics:
    written: list[Written] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def write(self, line: str) -> None:
        written = Written(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""), json.loads(line))
        with self._lock:
            self.written.append(written)

    @contextlib.contextmanager
    def installed(self) -> Iterator[CapturedMetrics]:
        previous = observability.write_metrics_to(self.write)
        try:
            yield self
        finally:
            observability.write_metrics_to(previous)

    def documents(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Every document so far, or those about the run `run_id`."""
        with self._lock:
            found = [w.document for w in self.written]
        return [d for d in found if run_id is None or d.get(RUN_ID) == run_id]

    def of_run(self, run_id: str) -> dict[str, list[float]]:
        """The run's numbers: every value of each metric, in the order written."""
        return metric_values(self.documents(run_id))

    def totals(self) -> dict[str, float]:
        """Each metric's sum over everything written (a count's total; OrdersPosted's)."""
        return {name: sum(values) for name, values in metric_values(self.documents()).items()}
