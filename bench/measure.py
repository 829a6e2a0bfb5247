"""How a benchmark figure is recorded: the value, its floor, and the budget it must meet."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping

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


def fastest_in_turns(
    runs: Mapping[str, Callable[[], object]], repeat: int, rounds: int = 3
) -> dict[str, float]:
    """Each run's fastest wall time: `rounds` turns, each calling every run `repeat` times
    in a row, with the garbage collector paused.

    The fastest, and no collection, as timeit does: the same work each time, and what makes
    a call slower is the machine's other load or objects the benchmark process holds. In
    turns, so that a run measured first, on a processor not yet up to speed, or while the
    host is busy, is measured again later; in a row, so that each run is timed in its own
    steady state (interleaved call by call with parsing, `json.loads` ran a third slower).
    """
    samples: dict[str, list[float]] = {name: [] for name in runs}
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, run in runs.items():
                for _ in range(repeat):
                    started = time.perf_counter()
                    run()
                    samples[name].append(time.perf_counter() - started)
    finally:
        if collecting:
            gc.enable()
    return {name: min(times) for name, times in samples.items()}
