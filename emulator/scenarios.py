"""Choosing what the simulated auction platform does, for demos and tests."""

from __future__ import annotations

import itertools

from domain.auction import SimulatedAuctionPlatform


def seed_for_late_results(not_ready_attempts: int, ready_probability: float = 0.5) -> int:
    """A seed with which Lambda A answers "not ready" exactly this many times, then results.

    Found by replaying the platform itself, so it stays right if the platform changes.
    """
    for seed in itertools.count():
        platform = SimulatedAuctionPlatform(seed=seed, ready_probability=ready_probability)
        answers = [platform.results("run", []).ready for _ in range(not_ready_attempts + 1)]
        if answers == [False] * not_ready_attempts + [True]:
            return seed
    raise AssertionError("unreachable")  # pragma: no cover
