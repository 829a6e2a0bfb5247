"""Cold start: importing a handler module in a fresh interpreter, against `import boto3`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from bench.measure import Figure

HANDLERS = ("handlers.post_orders", "handlers.fetch_results", "handlers.store_result")
_TIMED_IMPORT = (
    "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
)


def import_seconds(module: str, repeat: int, env: dict[str, str]) -> float:
    """Median seconds to import `module` in a new interpreter (its own start excluded)."""
    command = [sys.executable, "-c", _TIMED_IMPORT.format(module=module)]
    samples = []
    for _ in range(repeat):
        run = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        samples.append(float(run.stdout))
    return statistics.median(samples)


def figures(repeat: int = 15) -> list[Figure]:
    results = []
    plain = {k: v for k, v in os.environ.items() if k != "AWS_XRAY_DAEMON_ADDRESS"}
    traced = {**plain, "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "LAMBDA_TASK_ROOT": "/var/task"}
    for label, env in (("tracing off", plain), ("tracing on, as in Lambda", traced)):
        floor = import_seconds("boto3", repeat, env)
        for module in HANDLERS:
            seconds = import_seconds(module, repeat, env)
            results.append(
                Figure(f"cold start: import {module} ({label})", seconds * 1000, "ms",
                       floor=floor * 1000, budget=1.15, budget_is_ratio=True)
            )  # fmt: skip
    return results
