"""Cold start: importing a handler module in a fresh interpreter, against `import boto3`.

Measured four ways: tracing off; tracing on with every module's bytecode cached, as in a
development environment; and tracing on as deployed, importing the built code asset and
layer, first as sources only (Lambda's file system is read-only, so every cold start
compiles them), then with the bytecode the packages ship when built with the functions'
Python (compiled here by this machine's Python, standing in for it). boto3 is timed from
bytecode in all four, as the runtime ships it. On a machine other than the Lambda's
arm64, the layer's compiled wrapt falls back to its pure-Python twin.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from auction_constructs.packaging import BytecodeCompiler, build_code_asset, build_layer_asset
from bench.measure import Figure

HANDLERS = ("handlers.post_orders", "handlers.fetch_results", "handlers.store_result")
_TIMED_IMPORT = (
    "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
)


def import_seconds(module: str, env: dict[str, str], cwd: str | None) -> float:
    """Seconds to import `module` in a new interpreter (its own start excluded)."""
    command = [sys.executable, "-c", _TIMED_IMPORT.format(module=module)]
    run = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=cwd)
    return float(run.stdout)


def fastest_import_ms(
    modules: tuple[str, ...], repeat: int, env: dict[str, str], cwd: str | None = None
) -> dict[str, float]:
    """Each module's fastest import, taken in turns (as `bench.measure.fastest_in_turns`)."""
    samples: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(repeat):
        for module in modules:
            samples[module].append(import_seconds(module, env, cwd) * 1000)
    return {module: min(times) for module, times in samples.items()}


def figures(repeat: int = 15) -> list[Figure]:
    plain = {
        k: v for k, v in os.environ.items() if k not in ("AWS_XRAY_DAEMON_ADDRESS", "PYTHONPATH")
    }
    plain["PYTHONDONTWRITEBYTECODE"] = "1"  # a measurement leaves no bytecode behind
    traced = {**plain, "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "LAMBDA_TASK_ROOT": "/var/task"}
    here = BytecodeCompiler(
        Path(sys.executable), f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    results = []
    with tempfile.TemporaryDirectory() as scratch:  # away from the repository's sources
        built = Path(scratch)
        sources_only = _deployed(traced, build_code_asset(built / "code"), build_layer_asset())
        compiled = _deployed(
            traced,
            build_code_asset(built / "compiled-code", compiler=here),
            build_layer_asset(build_dir=built, compiler=here),
        )
        for label, env, cwd in (
            ("tracing off", plain, None),
            ("tracing on, bytecode cached", traced, None),
            ("tracing on, as deployed: sources", sources_only, scratch),
            ("tracing on, as deployed: with bytecode", compiled, scratch),
        ):
            fastest = fastest_import_ms(("boto3", *HANDLERS), repeat, env, cwd)
            for module in HANDLERS:
                results.append(
                    Figure(f"cold start: import {module} ({label})", fastest[module], "ms",
                           floor=fastest["boto3"], budget=1.15, budget_is_ratio=True)
                )  # fmt: skip
    return results


def _deployed(env: dict[str, str], code: Path, layer: Path) -> dict[str, str]:
    """`env` with the code asset and the layer on the path, as Lambda mounts them."""
    return {**env, "PYTHONPATH": f"{code}{os.pathsep}{layer / 'python'}"}
