"""X-Ray segments, as the local daemon received them, laid out per function on a run's axis.

Readable at any size: a function's invocations are one lane each (at most `MAX_LANES`,
the rest counted), showing the invocation and its main subsegments (the ones directly
under the function, such as `record_decisions`); the calls made inside those, thousands
in a large run, are summarised as one row per kind (`dynamodb UpdateItem`: how many, how
long, how many were refused as expected, how many failed).

`read_span` is the one place a received document becomes a `Span`.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

MAX_LANES = 30  # invocations drawn per function; the others are counted
# A refusal the handler expects and handles: not an error, though the SDK flags it as one.
EXPECTED_REFUSALS = {
    "ConditionalCheckFailedException": "DynamoDB refused a conditional write the handler "
    "expects to be refused (an outcome recorded already, or an order gone)",
    "PreconditionFailed": "S3 refused to overwrite a document stored already (If-None-Match)",
}
_ERROR_CODE = re.compile(r"\((\w+)\) when calling")
OK, REFUSED, ERROR = "ok", "refused", "error"


@attrs.frozen
class Span:
    """One (sub)segment: what it was, when, under which parent, and how it ended."""

    id: str
    parent_id: str | None
    name: str
    start: float  # epoch seconds
    end: float
    outcome: str  # OK, REFUSED (expected, handled) or ERROR


def read_span(document: Mapping[str, Any]) -> Span | None:
    """A segment document as a span; None for one still in progress (no end yet)."""
    if "end_time" not in document or "start_time" not in document:
        return None
    operation = document.get("aws", {}).get("operation")
    name = str(document.get("name", "?"))
    return Span(
        id=str(document.get("id", "")),
        parent_id=document.get("parent_id"),
        name=f"{name} {operation}" if operation else name,
        start=float(document["start_time"]),
        end=float(document["end_time"]),
        outcome=_outcome(document),
    )


def _outcome(document: Mapping[str, Any]) -> str:
    if not (document.get("fault") or document.get("error")):
        return OK
    exceptions = (document.get("cause") or {}).get("exceptions") or []
    codes = {m[1] for e in exceptions if (m := _ERROR_CODE.search(str(e.get("message", ""))))}
    return REFUSED if codes and codes <= set(EXPECTED_REFUSALS) else ERROR


def _worst(outcomes: Iterable[str]) -> str:
    found = set(outcomes)
    return ERROR if ERROR in found else REFUSED if REFUSED in found else OK


def function_timeline(name: str, invocations: Sequence[Iterable[Mapping[str, Any]]]) -> dict:
    """One function's lanes and summarised calls, from each invocation's documents."""
    lanes, calls = [], defaultdict(list)
    for documents in invocations:
        spans = [span for d in documents if (span := read_span(d)) is not None]
        if not spans:
            continue
        ids = {span.id for span in spans}
        main = [span for span in spans if span.parent_id not in ids]
        for span in spans:
            if span.parent_id in ids:
                calls[span.name].append(span)
        lanes.append(
            {
                "start": min(span.start for span in spans),
                "end": max(span.end for span in spans),
                "outcome": _worst(span.outcome for span in spans),
                "parts": [_bar(span) for span in sorted(main, key=lambda s: s.start)],
            }
        )
    lanes.sort(key=lambda lane: lane["start"])
    return {
        "name": name,
        "invocations": len(lanes),
        "lanes": _drawn(lanes),
        "hidden": max(0, len(lanes) - MAX_LANES),
        "calls": [_summary(label, spans) for label, spans in sorted(calls.items())],
    }


def _drawn(lanes: list[dict]) -> list[dict]:
    """At most `MAX_LANES`: the first ones, and every lane that failed."""
    if len(lanes) <= MAX_LANES:
        return lanes
    failed = [lane for lane in lanes if lane["outcome"] == ERROR]
    kept = (failed + [lane for lane in lanes if lane["outcome"] != ERROR])[:MAX_LANES]
    return sorted(kept, key=lambda lane: lane["start"])


def _bar(span: Span) -> dict:
    return {"name": span.name, "start": span.start, "end": span.end, "outcome": span.outcome}


def _summary(label: str, spans: list[Span]) -> dict:
    durations = [(span.end - span.start) * 1000 for span in spans]
    return {
        "name": label,
        "count": len(spans),
        "first": min(span.start for span in spans),
        "last": max(span.end for span in spans),
        "median_ms": statistics.median(durations),
        "max_ms": max(durations),
        "refused": sum(1 for span in spans if span.outcome == REFUSED),
        "errors": sum(1 for span in spans if span.outcome == ERROR),
    }
