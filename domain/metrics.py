"""The auction's own numbers, as CloudWatch embedded metric format (EMF) documents.

Pure: the caller gives the namespace, the time and the values; handlers/observability.py
writes the documents to stdout, where CloudWatch Logs extracts the metrics. The
specification's limits are kept here
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
at most 100 metrics per directive and 100 values per metric, a name once per document, a
log event of at most 256 KB. A metric with more values is spread over documents, as AWS's
own client libraries do.

No dimensions (the empty dimension set, `[[]]`, as AWS's CloudWatch agent's own tests
write it; the specification does not say otherwise, and does not say it in so many words
either): each name
is one custom metric per stage's namespace, billed monthly, whatever the traffic. The run
a document is about is a plain property (`RunId`), searchable in the logs, never a
dimension (one metric per run would be billed for each). Delivery is at least once: a
count may be seen twice in CloudWatch; locally every document is counted exactly once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NAMESPACE_ROOT = "EnergyAuction"
RUN_ID = "RunId"  # the property naming the run a document is about
MAX_METRICS_PER_DOCUMENT = 100
MAX_VALUES_PER_METRIC = 100
MAX_EVENT_BYTES = 256 * 1024
# What a document's directive, timestamp and properties may take besides its values.
_DOCUMENT_OVERHEAD_BYTES = 2_048


COUNT, SECONDS = "Count", "Seconds"  # the units written


class Metric:
    """The name of every metric the handlers write, and where each comes from.

    Plain strings, not an enum: a class of enum members takes about a millisecond to
    create at every cold start, and POST /orders's budget is tight (docs/performance.md).
    """

    ORDERS_POSTED = "OrdersPosted"  # POST /orders: records held by a 201 answer
    OPEN_ORDERS = "OpenOrders"  # Lambda A, each attempt: orders open at the run's start
    OLDEST_OPEN_ORDER_AGE = "OldestOpenOrderAge"  # ... the oldest's age (0: none open)
    PLATFORM_ASKS = "PlatformAsks"  # Lambda A, once ready: the attempts it took
    DECISION_AGE = "DecisionAge"  # Lambda B: each decided order, posting to decision
    ORDERS_TAKEN = "OrdersTaken"  # Lambda C, per run: orders the run decided on
    ORDERS_ACCEPTED = "OrdersAccepted"
    ORDERS_REJECTED = "OrdersRejected"
    ORDERS_FAILED = "OrdersFailed"  # could not be recorded: still open
    ORDERS_GONE = "OrdersGone"  # expired or re-posted before the decision was recorded
    ORDERS_DECIDED = "OrdersDecided"  # accepted + rejected
    RUN_DURATION = "RunDuration"  # from the run's start to its summary


# Every name, each a billed custom metric per stage: no other may be written.
METRICS = tuple(value for name, value in vars(Metric).items() if name.isupper())
_IN_SECONDS = frozenset({Metric.OLDEST_OPEN_ORDER_AGE, Metric.DECISION_AGE, Metric.RUN_DURATION})


def unit_of(metric: str) -> str:
    """The unit a metric is written in: ages and durations in seconds, the rest counts.

    >>> unit_of(Metric.DECISION_AGE), unit_of(Metric.OPEN_ORDERS)
    ('Seconds', 'Count')
    """
    return SECONDS if metric in _IN_SECONDS else COUNT


def namespace(stage: str) -> str:
    """The stage's own namespace.

    >>> namespace("prod")
    'EnergyAuction/prod'
    """
    return f"{NAMESPACE_ROOT}/{stage}"


def emf_documents(
    namespace: str,
    values: Mapping[str, float | Sequence[float]],
    *,
    timestamp_ms: int,
    properties: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The documents that carry `values` (a number, or several: a distribution).

    A metric given no values is left out; no values at all make no document. A name not
    in `METRICS` is refused (each name is billed), as is a value JSON cannot hold.

    >>> [doc["OrdersPosted"] for doc in emf_documents(
    ...     "EnergyAuction/dev", {Metric.ORDERS_POSTED: 2}, timestamp_ms=0)]
    [2]
    >>> [len(doc["DecisionAge"]) for doc in emf_documents(
    ...     "EnergyAuction/dev", {Metric.DECISION_AGE: [1.5] * 250}, timestamp_ms=0)]
    [100, 100, 50]
    """
    pieces = [
        (metric, chunk) for metric, given in values.items() for chunk in _chunks(metric, given)
    ]
    documents: list[dict[str, list[float] | float]] = []
    sizes: list[int] = []
    for metric, chunk in pieces:
        size = len(json.dumps(chunk)) + len(metric) + 40
        room = next(
            (
                n
                for n, held in enumerate(documents)
                if metric not in held
                and len(held) < MAX_METRICS_PER_DOCUMENT
                and sizes[n] + size <= MAX_EVENT_BYTES - _DOCUMENT_OVERHEAD_BYTES
            ),
            None,
        )
        if room is None:
            documents.append({})
            sizes.append(0)
            room = len(documents) - 1
        documents[room][metric] = chunk[0] if len(chunk) == 1 else chunk
        sizes[room] += size
    return [_document(namespace, held, timestamp_ms, properties or {}) for held in documents]


def _chunks(metric: str, given: float | Sequence[float]) -> list[list[float]]:
    if metric not in METRICS:
        raise ValueError(f"{metric!r} is not one of the auction's metrics")
    found = [given] if isinstance(given, int | float) else list(given)
    for value in found:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{metric}: a metric's value is a finite number, not {value!r}")
    return [
        found[start : start + MAX_VALUES_PER_METRIC]
        for start in range(0, len(found), MAX_VALUES_PER_METRIC)
    ]


def _document(
    namespace: str,
    held: Mapping[str, list[float] | float],
    timestamp_ms: int,
    properties: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [[]],
                    "Metrics": [{"Name": metric, "Unit": unit_of(metric)} for metric in held],
                }
            ],
        },
        **properties,
        **held,
    }


def metric_values(documents: Iterable[Mapping[str, Any]]) -> dict[str, list[float]]:
    """Every value of every metric the documents carry, by name, in order.

    >>> metric_values(emf_documents("n", {Metric.DECISION_AGE: [1, 2]}, timestamp_ms=0))
    {'DecisionAge': [1, 2]}
    """
    found: dict[str, list[float]] = {}
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                found.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
    return found
