"""How a benchmark figure is recorded: the value, its floor, and the budget it must meet."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import attrs


@attrs.frozen
class Figure:
    name: str
    value: float
    unit: str
    floor: float | None = None  # what the simplest correct thing costs
    budget: float | None = None  # the most `value` (or `value / floor`) may be
    budget_is_ratio: bool = False

    @property
    def ratio(self) -> float | None:
        return None if not self.floor else self.value / self.floor

    @property
    def within_budget(self) -> bool | None:
        if self.budget is None:
            return None
        measured = self.ratio if self.budget_is_ratio else self.value
        return measured is not None and measured <= self.budget


def fastest_seconds(run: Callable[[], object], repeat: int) -> float:
    """The fastest wall time of `repeat` calls, with the garbage collector paused.

    Both as timeit does: the same work each time, and what makes a call slower is the
    machine's other load (large on a shared host) or a collection of objects that the
    benchmark process, not the code measured, holds.
    """
    samples = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            samples.append(time.perf_counter() - started)
    finally:
        if collecting:
            gc.enable()
    return min(samples)
