"""Lambda C: the run's summary, from what Lambda B recorded of every chunk, and its alert.

Event (from the workflow): `{"run": {...}, "chunks": {"bucket": ..., "key": ...}}`.
Writes `runs/<run>/report.json` (every rejected and failed record_id) and answers the
counts, whether anyone needs to know (`needs_attention`: an order was rejected or could
not be recorded), and the one alert the workflow publishes then. A chunk with no
recorded outcome counts each of its orders as failed.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from domain.metrics import RUN_ID, Metric
from domain.results import RunRef
from domain.runs import ChunkOutcome, ChunkRef, RunSummary, report_key, run_prefix
from handlers import aws_clients, clock, observability
from handlers.run_files import RunFiles

observability.install_tracing()


@functools.cache
def _files() -> RunFiles:
    return RunFiles(aws_clients.client("s3"), os.environ["RUNS_BUCKET_NAME"])


@observability.invocation
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = RunRef.from_payload(event["run"])
    files = _files()
    with observability.traced("summarize_run"):
        chunks = [ChunkRef.from_payload(entry) for entry in files.get(event["chunks"]["key"])]
        outcomes = [ChunkOutcome.from_payload(files.get(key)) for key in _outcome_keys(files, run)]
        recorded = {outcome.chunk for outcome in outcomes}
        unrecorded = {
            chunk.chunk: [decision["record_id"] for decision in files.get(chunk.key)]
            for chunk in chunks
            if chunk.chunk not in recorded
        }
        summary = RunSummary.of(run.run_id, chunks, outcomes, unrecorded)
        files.put(report_key(run.run_id), summary.to_payload())
    observability.log_request(
        context, "run summarized", orders=summary.orders, stored=summary.stored,
        rejected=len(summary.rejected), failed=len(summary.failed), gone=len(summary.gone),
    )  # fmt: skip
    now = clock.now()
    observability.put_metrics(run_numbers(summary, run, now), at=now, **{RUN_ID: run.run_id})
    return {
        "orders": summary.orders,
        "stored": summary.stored,
        "rejected": len(summary.rejected),
        "failed": len(summary.failed),
        "gone": len(summary.gone),
        "needs_attention": summary.needs_attention,
        "alert": summary.alert(files.location(report_key(run.run_id))),
    }


def _outcome_keys(files: RunFiles, run: RunRef) -> list[str]:
    """The keys of the chunk outcomes Lambda B wrote for this run, every page listed."""
    prefix = f"{run_prefix(run.run_id)}outcomes/"
    keys: list[str] = []
    for page in files.s3.get_paginator("list_objects_v2").paginate(
        Bucket=files.bucket, Prefix=prefix
    ):
        keys += [entry["Key"] for entry in page.get("Contents", [])]
    return keys


def run_numbers(summary: RunSummary, run: RunRef, now: float) -> dict[str, float]:
    """The run's counts, and its duration until `now` (from its start to its summary)."""
    return {
        Metric.ORDERS_TAKEN: summary.orders,
        Metric.ORDERS_ACCEPTED: summary.stored,
        Metric.ORDERS_REJECTED: len(summary.rejected),
        Metric.ORDERS_FAILED: len(summary.failed),
        Metric.ORDERS_GONE: len(summary.gone),
        Metric.ORDERS_DECIDED: summary.stored + len(summary.rejected),
        Metric.RUN_DURATION: max(0.0, now - run.started_at.timestamp()),
    }
