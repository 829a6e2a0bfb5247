"""Cold start: importing a handler module in a fresh interpreter, against `import boto3`.

Every handler, with tracing off, then with each tracing adapter three ways: with every
module's bytecode cached, as in a development environment; and as deployed, importing the
built code asset and that adapter's layer, first as sources only (Lambda's file system is
read-only, so every cold start compiles them), then with the bytecode the packages ship
when built with the functions' Python (compiled here by this machine's Python, standing in
for it). boto3 is timed from bytecode throughout, as the runtime ships it. The adapter's
own set-up (`install_tracing()`) is timed too, once botocore is imported, as every handler
imports it anyway.

On a machine other than the Lambda's arm64, the layers' compiled wrapt and protobuf fall
back to their pure-Python twins when imported as deployed; the "bytecode cached" rows use
this machine's own builds of both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from auction_constructs.functions import LAYERS
from auction_constructs.packaging import BytecodeCompiler, build_code_asset, build_layer_asset
from bench.measure import Figure
from handlers.observability import ADAPTER_VARIABLE, NAMESPACE_VARIABLE, TracingAdapter

HANDLERS = (
    "handlers.post_orders",
    "handlers.get_order",
    "handlers.fetch_results",
    "handlers.store_result",
    "handlers.summarize_run",
    "handlers.synthetic_check",
    "handlers.pre_traffic_check",
)
# The cold-start budget is the API's: its clients wait on it. Nobody waits on the others.
API_HANDLERS = frozenset({"handlers.post_orders", "handlers.get_order"})
BUDGET = 1.15
BOTO3, SET_UP = "boto3", "tracing set-up"
# What each figure times, in a new interpreter, after what it may do untimed first.
_STATEMENTS = {
    BOTO3: ("", "import boto3"),
    SET_UP: (
        "import botocore.session",
        "from handlers import observability; observability.install_tracing()",
    ),
    **{module: ("", f"import {module}") for module in HANDLERS},
}
_TIMED = (
    "{before}\nimport time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
)
# Writing the auction's metrics at cold start, botocore imported first (every handler
# imports it): the port with its EMF part imported, then the first document written; the
# EMF part's import alone; and that first document alone, the port imported before.
_FIRST_DOCUMENT = (
    "observability.put_metrics({Metric.OPEN_ORDERS: 3, Metric.OLDEST_OPEN_ORDER_AGE: 61.5}, "
    "RunId='0' * 36)"
)
_METRICS = {
    "metrics: the port imported, and its first EMF document": (
        "import botocore.session",
        f"from handlers import observability; from domain.metrics import Metric; {_FIRST_DOCUMENT}",
    ),
    "metrics: domain/metrics.py imported alone": (
        "import botocore.session",
        "import domain.metrics",
    ),
    "metrics: the first EMF document alone": (
        "import botocore.session; from handlers import observability; "
        "from domain.metrics import Metric",
        _FIRST_DOCUMENT,
    ),
}


def statement_seconds(statement: tuple[str, str], env: dict[str, str], cwd: str | None) -> float:
    """Seconds `statement` takes in a new interpreter (its start, and what it does before
    the timed part, excluded)."""
    before, timed = statement
    command = [sys.executable, "-c", _TIMED.format(before=before, statement=timed)]
    run = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=cwd)
    return float(run.stdout.split()[-1])  # after what the statement prints (an EMF line)


def fastest_ms(
    variants: dict[str, tuple[dict[str, str], str | None]], repeat: int
) -> dict[str, dict[str, float]]:
    """Per variant (its environment and directory), each statement's fastest time.

    Taken in turns, every statement of every variant once a round (as
    `bench.measure.fastest_in_turns`), so that a busy spell of a shared host slows all of
    them alike rather than one variant's rows.
    """
    samples = {variant: {name: [] for name in _STATEMENTS} for variant in variants}
    for _ in range(repeat):
        for variant, (env, cwd) in variants.items():
            for name, statement in _STATEMENTS.items():
                samples[variant][name].append(statement_seconds(statement, env, cwd) * 1000)
    return {
        variant: {name: min(times) for name, times in found.items()}
        for variant, found in samples.items()
    }


def figures(repeat: int = 15) -> list[Figure]:
    plain = {
        k: v for k, v in os.environ.items() if k not in ("AWS_XRAY_DAEMON_ADDRESS", "PYTHONPATH")
    }
    plain["PYTHONDONTWRITEBYTECODE"] = "1"  # a measurement leaves no bytecode behind
    here = BytecodeCompiler(
        Path(sys.executable), f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    results = []
    with tempfile.TemporaryDirectory() as scratch:  # away from the repository's sources
        built = Path(scratch)
        sources = build_code_asset(built / "code")
        compiled = build_code_asset(built / "compiled-code", compiler=here)
        variants = {"tracing off": (plain, None)}
        for adapter in TracingAdapter:
            _id, requirements, _description = LAYERS[adapter]
            traced = {
                **plain,
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
                "LAMBDA_TASK_ROOT": "/var/task",
                "AWS_LAMBDA_FUNCTION_NAME": "bench",
                ADAPTER_VARIABLE: adapter.value,
            }
            layer = build_layer_asset(requirements)
            compiled_layer = build_layer_asset(requirements, build_dir=built, compiler=here)
            variants |= {
                f"{adapter}, cached bytecode": (traced, None),
                f"{adapter}, deployed sources": (_deployed(traced, sources, layer), scratch),
                f"{adapter}, deployed bytecode":
                    (_deployed(traced, compiled, compiled_layer), scratch),
            }  # fmt: skip
        for label, fastest in fastest_ms(variants, repeat).items():
            for module in HANDLERS:
                budget = BUDGET if module in API_HANDLERS else None
                name = module.removeprefix("handlers.")
                results.append(
                    Figure(f"cold start: {name} ({label})", fastest[module], "ms",
                           floor=fastest[BOTO3], budget=budget, budget_is_ratio=True)
                )  # fmt: skip
            results.append(
                Figure(f"cold start: {SET_UP}, botocore imported ({label})", fastest[SET_UP], "ms")
            )  # fmt: skip
    return results


def _deployed(env: dict[str, str], code: Path, layer: Path) -> dict[str, str]:
    """`env` with the code asset and the layer on the path, as Lambda mounts them."""
    return {**env, "PYTHONPATH": f"{code}{os.pathsep}{layer / 'python'}"}


def metrics_figures(repeat: int = 30) -> list[Figure]:
    """What writing the metrics costs at cold start, as deployed: the code asset as sources
    (what synthesis without Python 3.14 ships) and compiled (the metrics need nothing from
    the layer)."""
    plain = {
        k: v for k, v in os.environ.items() if k not in ("AWS_XRAY_DAEMON_ADDRESS", "PYTHONPATH")
    }
    plain |= {"PYTHONDONTWRITEBYTECODE": "1", NAMESPACE_VARIABLE: "EnergyAuction/bench"}
    here = BytecodeCompiler(
        Path(sys.executable), f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        sources = build_code_asset(Path(scratch) / "code")
        compiled = build_code_asset(Path(scratch) / "compiled-code", compiler=here)
        variants = {
            "deployed sources": ({**plain, "PYTHONPATH": str(sources)}, scratch),
            "deployed bytecode": ({**plain, "PYTHONPATH": str(compiled)}, scratch),
        }
        samples = {(v, name): [] for v in variants for name in _METRICS}
        for _ in range(repeat):  # in turns, as `fastest_ms`
            for variant, (env, cwd) in variants.items():
                for name, statement in _METRICS.items():
                    samples[variant, name].append(statement_seconds(statement, env, cwd) * 1000)
    return [
        Figure(f"cold start: {name}, botocore imported ({variant})", min(times), "ms")
        for (variant, name), times in samples.items()
    ]
