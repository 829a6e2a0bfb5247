"""How long a submitted order is kept."""

from __future__ import annotations

import math

RETENTION_SECONDS = 24 * 60 * 60


def expires_at(submitted_at: float) -> int:
    """The `ttl` of an order submitted at `submitted_at` (epoch seconds): 24 h later.

    >>> expires_at(1_700_000_000.9)
    1700086400
    """
    return math.floor(submitted_at) + RETENTION_SECONDS
