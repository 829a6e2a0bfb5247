"""The templates the project ships beside the app (bootstrap/), read as CloudFormation would.

`variants` gives every form a fragment can take once its `Fn::If`s are decided, so a walk
sees each one; `resolved` decides them for one installation, with its parameters, so a
policy can be evaluated (tests/unit/iam.py's `decide`) as that account would hold it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

BOOTSTRAP = Path(__file__).parents[2] / "bootstrap"
CDK_BOOTSTRAP = BOOTSTRAP / "cdk-bootstrap.yaml"
EXECUTION_POLICY = BOOTSTRAP / "execution-policy.yaml"
_NO_VALUE = object()


def shipped_policy(name: str, *, account: str, region: str = "eu-west-1") -> dict[str, Any]:
    """The document of bootstrap/execution-policy.yaml's managed policy `name`, as `account`
    holds it once deployed."""
    resources = yaml.safe_load(EXECUTION_POLICY.read_text())["Resources"]
    (policy,) = [
        r["Properties"] for r in resources.values() if r["Properties"]["ManagedPolicyName"] == name
    ]
    return resolved(
        policy["PolicyDocument"],
        conditions={},
        values={"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account},
    )


def shipped_templates() -> dict[str, dict[str, Any]]:
    """Every template in bootstrap/, by file name (long-form intrinsics: plain YAML)."""
    return {
        path.name: yaml.safe_load(path.read_text()) for path in sorted(BOOTSTRAP.glob("*.yaml"))
    }


def variants(node: Any) -> list[Any]:
    """Every value `node` may take, each `Fn::If` either way, `AWS::NoValue` left out."""
    return [v for v in _variants(node) if v is not _NO_VALUE]


def _variants(node: Any) -> list[Any]:
    if isinstance(node, dict):
        if node == {"Ref": "AWS::NoValue"}:
            return [_NO_VALUE]
        if set(node) == {"Fn::If"}:
            _, when_true, when_false = node["Fn::If"]
            return _variants(when_true) + _variants(when_false)
        keys = list(node)
        combinations = itertools.product(*(_variants(node[key]) for key in keys))
        return [
            {key: value for key, value in zip(keys, values, strict=True) if value is not _NO_VALUE}
            for values in combinations
        ]
    if isinstance(node, list):
        combinations = itertools.product(*(_variants(item) for item in node))
        return [[item for item in items if item is not _NO_VALUE] for items in combinations]
    return [node]


def resolved(node: Any, *, conditions: Mapping[str, bool], values: Mapping[str, Any]) -> Any:
    """`node` as one installation holds it: its conditions decided, its parameters given.

    `values` maps parameter and pseudo-parameter names to what they are there; a `Ref` or
    `${...}` to any other name is left for `readable` to show.
    """
    if isinstance(node, dict):
        if node == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return resolved(
                when_true if conditions[name] else when_false,
                conditions=conditions,
                values=values,
            )
        if set(node) == {"Ref"} and node["Ref"] in values:
            return values[node["Ref"]]
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            return re.sub(
                r"\$\{([^}]+)\}",
                lambda m: str(values.get(m[1], f"<{m[1]}>")),
                node["Fn::Sub"],
            )
        items = {k: resolved(v, conditions=conditions, values=values) for k, v in node.items()}
        return {k: v for k, v in items.items() if v is not _NO_VALUE}
    if isinstance(node, list):
        items = [resolved(item, conditions=conditions, values=values) for item in node]
        return [item for item in items if item is not _NO_VALUE]
    return node
