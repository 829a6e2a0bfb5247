"""Time compression for the workflow on moto: Wait states and retry intervals pass at once.

Each wait is recorded with the seconds the definition asked for, so a test can check the
backoff a real run would have waited.
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Iterator
from unittest import mock

import attrs
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function


@attrs.define
class VirtualTime:
    """The seconds each Wait state and each retry interval would have taken."""

    waits: list[int] = attrs.field(factory=list)
    retry_intervals: list[float] = attrs.field(factory=list)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def _wait(self, _function: object, _env: object, wait_seconds: int) -> None:
        with self._lock:
            self.waits.append(wait_seconds)

    def _sleep(self, seconds: float) -> None:
        with self._lock:
            self.retry_intervals.append(seconds)

    @contextlib.contextmanager
    def installed(self) -> Iterator[VirtualTime]:
        """Within this block, moto's executor waits and retries without sleeping."""
        clock = types.SimpleNamespace(sleep=self._sleep)
        with (
            mock.patch.object(
                wait_function.WaitFunction,
                "_wait_interval",
                lambda function, env, wait_seconds: self._wait(function, env, wait_seconds),
            ),
            mock.patch.object(retrier_decl, "time", clock),
        ):
            yield self
