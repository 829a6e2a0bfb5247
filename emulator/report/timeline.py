"""X-Ray segments, as the local daemon received them, laid out as a timeline per function."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MAX_BARS = 25  # per invocation: a chunk of 500 orders makes a thousand subsegments


def spans(documents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One invocation's subsegments as bars: name, start and end (epoch s), nesting depth.

    The SDK streams each subsegment on its own, naming its parent; in Lambda the
    invocation's own segment is the service's, so it is drawn here from its children.
    """
    by_id = {document["id"]: document for document in documents if "end_time" in document}
    if not by_id:
        return []

    def depth(document: Mapping[str, Any]) -> int:
        parent = by_id.get(document.get("parent_id", ""))
        return 1 + depth(parent) if parent else 1

    bars = [
        {
            "name": _label(document),
            "start": document["start_time"],
            "end": document["end_time"],
            "depth": depth(document),
            "error": bool(document.get("fault") or document.get("error")),
        }
        for document in by_id.values()
    ]
    invocation = {
        "name": "invocation",
        "start": min(bar["start"] for bar in bars),
        "end": max(bar["end"] for bar in bars),
        "depth": 0,
        "error": any(bar["error"] for bar in bars),
    }
    ordered = sorted(bars, key=lambda bar: (bar["start"], bar["depth"]))
    if len(ordered) > MAX_BARS:
        left_out = ordered[MAX_BARS:]
        summary = {
            "name": f"... and {len(left_out)} more subsegments",
            "start": left_out[0]["start"],
            "end": max(bar["end"] for bar in left_out),
            "depth": 1,
            "error": any(bar["error"] for bar in left_out),
        }
        ordered = [*ordered[:MAX_BARS], summary]
    return [invocation, *ordered]


def _label(document: Mapping[str, Any]) -> str:
    operation = document.get("aws", {}).get("operation")
    return f"{document['name']} {operation}" if operation else document["name"]
