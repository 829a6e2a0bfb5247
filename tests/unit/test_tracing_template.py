"""Switching a group of functions to the other tracing adapter is one setting.

The session's app traces staging's groups with the other adapter than dev's
(tests/conftest.py): each function of staging differs from its dev twin in its layer and
its `TRACING_ADAPTER` only, its permissions included.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from handlers.observability import TracingAdapter
from stages.settings import TRACING
from tests.unit.iam import statements_of_role

pytestmark = pytest.mark.synth

FUNCTIONS = {  # each function of dev, and its adapter there
    "PostOrders": TRACING["dev"].api,
    "GetOrder": TRACING["dev"].api,
    "FetchResults": TRACING["dev"].scheduled,
    "StoreResult": TRACING["dev"].scheduled,
    "SummarizeRun": TRACING["dev"].scheduled,
    "SyntheticCheck": TRACING["dev"].scheduled,
}
# What only one adapter's layer holds (top-level folders of its `python/`).
PACKAGES = {TracingAdapter.XRAY_SDK: "aws_xray_sdk", TracingAdapter.OPENTELEMETRY: "opentelemetry"}
TRACE_WRITES = {("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")}


def any_account(value: Any) -> Any:
    """`value` with account ids blanked: the two stages deploy to different accounts."""
    return json.loads(re.sub(r"\b\d{12}\b", "<account>", json.dumps(value, sort_keys=True)))


def other(adapter: TracingAdapter) -> TracingAdapter:
    (found,) = set(TracingAdapter) - {adapter}
    return found


@pytest.fixture(scope="module")
def stages(synthesized) -> dict[str, dict]:
    return {stage: synthesized.stage_template(stage) for stage in ("Dev", "Staging")}


def function(template: dict, name: str) -> dict:
    (found,) = [
        resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and logical_id.startswith(f"Functions{name}Function")
    ]
    return found


def layer_packages(synthesized, template: dict, properties: dict) -> set[str]:
    """The top-level packages of the one layer a function has, as its asset holds them."""
    ((_, reference),) = [ref for layer in properties["Layers"] for ref in layer.items()]
    content = template["Resources"][reference]["Properties"]["Content"]
    asset = synthesized.outdir / f"asset.{content['S3Key'].removesuffix('.zip')}" / "python"
    return {path.name for path in asset.iterdir()}


def unversioned(properties: dict) -> dict:
    """A function's properties but its layer, its variables, and the hash of its version
    that `FunctionVersionUpgrade` appends to its description: the layer is in that hash."""
    kept = {k: v for k, v in properties.items() if k not in ("Environment", "Layers")}
    return kept | {"Description": re.sub(r" version-hash:[0-9a-f]{32}$", "", kept["Description"])}


@pytest.mark.parametrize(("name", "adapter"), FUNCTIONS.items())
def test_the_other_adapter_changes_a_function_s_layer_and_variable_and_nothing_else(
    synthesized, stages, name, adapter
):
    dev, staging = function(stages["Dev"], name), function(stages["Staging"], name)

    for properties, traced_by in ((dev, adapter), (staging, other(adapter))):
        assert properties["Environment"]["Variables"]["TRACING_ADAPTER"] == traced_by.value
        template = stages["Dev"] if properties is dev else stages["Staging"]
        packages = layer_packages(synthesized, template, properties)
        assert PACKAGES[traced_by] in packages
        assert PACKAGES[other(traced_by)] not in packages
    assert any_account(unversioned(dev)) == any_account(unversioned(staging))
    # Each stage's own namespace for its metrics aside (tests/unit/test_auction_alarms.py).
    per_stage = ("TRACING_ADAPTER", "METRICS_NAMESPACE")
    variables = {k: v for k, v in dev["Environment"]["Variables"].items() if k not in per_stage}
    assert variables == {
        k: v for k, v in staging["Environment"]["Variables"].items() if k not in per_stage
    }


@pytest.mark.parametrize("name", FUNCTIONS)
def test_either_adapter_sends_its_traces_with_the_same_permissions(stages, name):
    """Lambda's X-Ray daemon sends what either adapter gives it, with the function's role."""
    dev, staging = (statements_of_role(stages[s], f"Functions{name}Role") for s in stages)

    assert any_account(sorted(dev)) == any_account(sorted(staging))
    assert dev >= TRACE_WRITES
