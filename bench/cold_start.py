"""Cold start: importing a handler module in a fresh interpreter, against `import boto3`.

Measured three ways: tracing off; tracing on with every module's bytecode cached, as in
a development environment; and tracing on as deployed, importing the built code asset and
layer, which hold sources only: a Lambda's read-only file system keeps no bytecode, so
each cold start compiles them. boto3 is timed from bytecode in all three (the runtime's
own copy is assumed to ship it). On a machine other than the Lambda's arm64/3.14, the
layer's compiled wrapt falls back to its pure-Python twin, a little slower to import.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

from auction_constructs.packaging import build_code_asset, build_layer_asset
from bench.measure import Figure

HANDLERS = ("handlers.post_orders", "handlers.fetch_results", "handlers.store_result")
_TIMED_IMPORT = (
    "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
)


def import_seconds(module: str, repeat: int, env: dict[str, str], cwd: str | None = None) -> float:
    """Median seconds to import `module` in a new interpreter (its own start excluded)."""
    command = [sys.executable, "-c", _TIMED_IMPORT.format(module=module)]
    samples = []
    for _ in range(repeat):
        run = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=cwd)
        samples.append(float(run.stdout))
    return statistics.median(samples)


def figures(repeat: int = 15) -> list[Figure]:
    plain = {
        k: v for k, v in os.environ.items() if k not in ("AWS_XRAY_DAEMON_ADDRESS", "PYTHONPATH")
    }
    plain["PYTHONDONTWRITEBYTECODE"] = "1"  # a measurement leaves no bytecode behind
    traced = {**plain, "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "LAMBDA_TASK_ROOT": "/var/task"}
    layer = build_layer_asset() / "python"
    deployed = {**traced, "PYTHONPATH": f"{build_code_asset()}{os.pathsep}{layer}"}
    results = []
    with tempfile.TemporaryDirectory() as elsewhere:  # away from the repository's sources
        for label, env, cwd in (
            ("tracing off", plain, None),
            ("tracing on, bytecode cached", traced, None),
            ("tracing on, as deployed", deployed, elsewhere),
        ):
            floor = import_seconds("boto3", repeat, env, cwd)
            for module in HANDLERS:
                seconds = import_seconds(module, repeat, env, cwd)
                results.append(
                    Figure(f"cold start: import {module} ({label})", seconds * 1000, "ms",
                           floor=floor * 1000, budget=1.15, budget_is_ratio=True)
                )  # fmt: skip
    return results
