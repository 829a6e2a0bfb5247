"""Time compression for the workflow on moto: Wait states and retry intervals pass at once.

Each wait is recorded with the seconds the definition asked for, and the run it belongs
to (a chunk's child execution counts as its run's), so a test can check the backoff a
real run would have waited, and a run's report show its own.

The scheduled functions' wall clock (handlers/clock.py) can be moved on, `advance(seconds)`,
so that hours pass between runs in a test that takes seconds: the orders posted before grow
old as they would. moto's own clock is not moved: a run's StartTime stays the machine's, so
advance the clock between runs, not during one.
"""

from __future__ import annotations

import contextlib
import threading
import time
import types
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from unittest import mock

import attrs
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

from handlers import clock as handlers_clock


def _execution_of(env: Any) -> str:
    """The execution ARN of the run an engine environment evaluates (frames share it)."""
    try:
        return str(env.states.context_object.context_object_data["Execution"]["Id"])
    except (AttributeError, KeyError, TypeError):
        return ""


@attrs.define
class VirtualTime:
    """The seconds each Wait state and each retry interval would have taken."""

    waits: list[int] = attrs.field(factory=list)
    retry_intervals: list[float] = attrs.field(factory=list)
    _waits_by_run: dict[str, list[int]] = attrs.field(factory=lambda: defaultdict(list))
    _retries_by_run: dict[str, list[float]] = attrs.field(factory=lambda: defaultdict(list))
    _lock: threading.Lock = attrs.field(factory=threading.Lock)
    _retrying: threading.local = attrs.field(factory=threading.local)
    ahead_seconds: float = 0.0  # how far the handlers' clock is ahead of the machine's

    def advance(self, seconds: float) -> None:
        """Move the handlers' wall clock `seconds` on (between runs)."""
        self.ahead_seconds += seconds

    def now(self) -> float:
        """The handlers' wall clock."""
        return time.time() + self.ahead_seconds

    def waits_of(self, execution_arn: str) -> list[int]:
        with self._lock:
            return list(self._waits_by_run.get(execution_arn, []))

    def retry_intervals_of(self, execution_arn: str) -> list[float]:
        with self._lock:
            return list(self._retries_by_run.get(execution_arn, []))

    def _wait(self, env: Any, wait_seconds: int) -> None:
        with self._lock:
            self.waits.append(wait_seconds)
            self._waits_by_run[_execution_of(env)].append(wait_seconds)

    def _sleep(self, seconds: float) -> None:
        with self._lock:
            self.retry_intervals.append(seconds)
            self._retries_by_run[getattr(self._retrying, "execution", "")].append(seconds)

    @contextlib.contextmanager
    def installed(self) -> Iterator[VirtualTime]:
        """Within this block, moto's executor waits and retries without sleeping, and the
        handlers read this clock."""
        clock = types.SimpleNamespace(sleep=self._sleep)
        evaluate_retrier = retrier_decl.RetrierDecl._eval_body

        def retrier(declaration: Any, env: Any) -> None:
            self._retrying.execution = _execution_of(env)  # the run a sleep here is for
            evaluate_retrier(declaration, env)

        with (
            mock.patch.object(
                wait_function.WaitFunction,
                "_wait_interval",
                lambda _function, env, wait_seconds: self._wait(env, wait_seconds),
            ),
            mock.patch.object(retrier_decl, "time", clock),
            mock.patch.object(retrier_decl.RetrierDecl, "_eval_body", retrier),
            mock.patch.object(handlers_clock, "now", self.now),
        ):
            yield self
