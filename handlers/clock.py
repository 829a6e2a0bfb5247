"""The wall clock of the scheduled functions (Lambda A, B, C), read in one place.

The local emulation moves it between runs (emulator/virtual_time.py), so that hours pass
for the handlers in a test that takes seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    """Seconds since the epoch."""
    return time.time()


def utc_now() -> datetime:
    return datetime.fromtimestamp(now(), UTC)
