"""Retrying DynamoDB's "not now" answers with backoff, never past the caller's deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import attrs
from botocore.exceptions import ClientError

BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0

# Errors that say "not now" rather than "never": the request is tried again.
RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def is_retryable(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in RETRYABLE_ERRORS


@attrs.define
class Backoff:
    """Exponential backoff with full jitter, bounded by `deadline` (a `clock` reading)."""

    deadline: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    requests: int = 0
    _failures: int = 0

    def time_left(self) -> bool:
        return self.clock() < self.deadline

    def sent(self, *, progressed: bool) -> None:
        """Count a request; one that made progress resets the backoff."""
        self.requests += 1
        if progressed:
            self._failures = 0

    def wait(self) -> bool:
        """Back off after a request that made no progress; False if the deadline is too near."""
        self._failures += 1
        delay = self.jitter() * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**self._failures)
        if self.clock() + delay >= self.deadline:
            return False
        self.sleep(delay)
        return True

    @classmethod
    def until(cls, deadline: float, **options: Any) -> Backoff:
        return cls(deadline=deadline, **options)
