"""The workflow definition as a Graphviz graph, with the path a run took marked on it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

ENTERED = "#b7e4c7"  # states the run entered
NOT_ENTERED = "#f1f3f5"


def workflow_dot(definition: Mapping[str, Any], entered: Mapping[str, int]) -> str:
    """DOT text of the definition's states and transitions; entered states filled, with
    how often (`entered`: state name to count)."""
    lines = [
        "digraph workflow {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, compound=true];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
        '  "__start__" [label="start", shape=circle, width=0.3, fillcolor="#343a40", '
        "fontcolor=white];",
    ]
    lines += _states(definition, entered, indent="  ", prefix="")
    lines.append(f'  "__start__" -> {_id("", definition["StartAt"])};')
    lines.append("}")
    return "\n".join(lines)


def _states(
    machine: Mapping[str, Any], entered: Mapping[str, int], indent: str, prefix: str
) -> Iterator[str]:
    for name, state in machine["States"].items():
        count = entered.get(name, 0)
        label = f"{name}\n{state['Type']}" + (f" x{count}" if count else "")
        color = ENTERED if count else NOT_ENTERED
        yield f'{indent}{_id(prefix, name)} [label={json.dumps(label)}, fillcolor="{color}"];'
        yield from _inner(name, state, entered, indent, prefix)
        for target, how in _transitions(state):
            style = {"catch": ' [style=dashed, color="#c92a2a", label="error"]',
                     "choice": ' [color="#1971c2"]'}.get(how, "")  # fmt: skip
            yield f"{indent}{_id(prefix, name)} -> {_id(prefix, target)}{style};"


def _inner(
    name: str, state: Mapping[str, Any], entered: Mapping[str, int], indent: str, prefix: str
) -> Iterator[str]:
    """Branches of a Parallel and the processor of a Map, as clusters inside it."""
    inner = [
        *state.get("Branches", []),
        *([state["ItemProcessor"]] if "ItemProcessor" in state else []),
    ]
    for number, machine in enumerate(inner):
        cluster = f"{prefix}{name}/{number}/"
        kind = "each item" if "ItemProcessor" in state else f"branch {number + 1}"
        yield f'{indent}subgraph "cluster_{cluster}" {{'
        yield f'{indent}  label={json.dumps(f"{name}: {kind}")}; style=dashed; color="#868e96";'
        yield from _states(machine, entered, indent + "  ", cluster)
        yield f"{indent}}}"
        yield f"{indent}{_id(prefix, name)} -> {_id(cluster, machine['StartAt'])} [style=dotted];"


def _transitions(state: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if "Next" in state:
        yield state["Next"], "next"
    for choice in state.get("Choices", []):
        yield choice["Next"], "choice"
    if "Default" in state:
        yield state["Default"], "choice"
    for catch in state.get("Catch", []):
        yield catch["Next"], "catch"


def _id(prefix: str, name: str) -> str:
    return json.dumps(f"{prefix}{name}")
