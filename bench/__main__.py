"""`make bench`: measure every figure, print the table, and write it as JSON.

python -m bench [--quick]   (--quick: leave out the `make test` wall time)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

from bench import auction_run, cold_start, demo, ingest, packages
from bench.measure import Figure

RESULTS = Path(__file__).parent / "results" / "latest.json"


def developer_loop(outdir: Path, with_tests: bool) -> list[Figure]:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "pipeline_app.py"],
        check=True,
        env={**os.environ, "CDK_OUTDIR": str(outdir)},
    )
    results = [
        Figure(
            "developer loop: synthesize the pipeline app",
            time.perf_counter() - started,
            "s",
            budget=20,
        )
    ]
    if with_tests:
        started = time.perf_counter()
        tests = subprocess.run(["make", "test"], capture_output=True, text=True)  # noqa: S607
        if tests.returncode:
            sys.exit(f"make test failed, so its time is no figure:\n{tests.stdout[-4000:]}")
        results.append(
            Figure("developer loop: make test", time.perf_counter() - started, "s", budget=240)
        )
    return results


def _cell(number: float | None) -> str:
    if number is None:
        return ""
    return f"{number:,.2f}" if abs(number) < 100 else f"{number:,.0f}"


def print_table(figures: list[Figure]) -> None:
    print(f"{'figure':<78} {'value':>12} {'unit':<12} {'floor':>10} {'ratio':>7} {'budget':>8}  ok")
    for f in figures:
        budget = (
            "" if f.budget is None else (f"{f.budget}x" if f.budget_is_ratio else _cell(f.budget))
        )
        ok = {True: "yes", False: "NO", None: ""}[f.within_budget]
        print(f"{f.name:<78} {_cell(f.value):>12} {f.unit:<12} {_cell(f.floor):>10} "
              f"{_cell(f.ratio):>7} {budget:>8}  {ok}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the make test wall time")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as outdir:
        figures = developer_loop(Path(outdir), with_tests=not options.quick)
        figures += demo.figures()
        figures += cold_start.figures()
        figures += cold_start.metrics_figures()
        figures += packages.figures()
        # Validation before ingest: moto's tables would fill the heap it is timed in.
        figures += ingest.validation_figures()
        figures += ingest.ingest_figures()
        figures += auction_run.figures(Path(outdir))
        figures += auction_run.served_run_figures(Path(outdir))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print_table(figures)
    RESULTS.parent.mkdir(exist_ok=True)
    rows = [attrs.asdict(f) | {"ratio": f.ratio, "within_budget": f.within_budget} for f in figures]
    RESULTS.write_text(json.dumps(rows, indent=2))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
