"""Lambda C: a run's summary from its chunks' outcomes, a report of every order, one alert."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.unit.conftest import fresh

RUN = {"id": "run-9", "started_at": "2026-11-26T10:00:00.000Z"}


@pytest.fixture
def summarize(runs_bucket) -> Any:
    return fresh("handlers.summarize_run")


def put(bucket: str, key: str, content: Any) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(content))


def a_run(bucket: str, chunks: int, per_chunk: int = 3) -> dict:
    """A run's manifest and chunks, as Lambda A writes them."""
    manifest = []
    for n in range(chunks):
        key = f"runs/run-9/chunks/{n:05d}.json"
        decisions = [{"record_id": f"c{n}-{i}", "status": "accepted", "power": 1, "posted_at": 1}
                     for i in range(per_chunk)]  # fmt: skip
        put(bucket, key, decisions)
        manifest.append({"format": 1, "chunk": n, "key": key, "count": per_chunk})
    put(bucket, "runs/run-9/chunks.json", manifest)
    return {"run": RUN, "chunks": {"bucket": bucket, "key": "runs/run-9/chunks.json"}}


def outcome(bucket: str, chunk: int, **fields: Any) -> None:
    content = {"format": 1, "chunk": chunk, "stored": 0, "rejected": [], "gone": [], "failed": []}
    put(bucket, f"runs/run-9/outcomes/{chunk:05d}.json", content | fields)


def test_a_run_with_nothing_wrong_needs_nobody(summarize, runs_bucket, context):
    event = a_run(runs_bucket, chunks=2)
    outcome(runs_bucket, 0, stored=3)
    outcome(runs_bucket, 1, stored=2, gone=["c1-2"])

    summary = summarize.handler(event, context)

    assert {k: v for k, v in summary.items() if k != "alert"} == {
        "orders": 6, "stored": 5, "rejected": 0, "failed": 0, "gone": 1,
        "needs_attention": False,
    }  # fmt: skip


def test_rejections_and_failures_make_one_alert_naming_the_first_and_the_report(
    summarize, runs_bucket, context
):
    event = a_run(runs_bucket, chunks=2, per_chunk=12)
    outcome(runs_bucket, 0, rejected=[f"c0-{i}" for i in range(12)])
    outcome(runs_bucket, 1, stored=11, failed=[{"record_id": "c1-0", "reason": "S3: SlowDown"}])

    summary = summarize.handler(event, context)

    assert summary["needs_attention"] is True
    alert = summary["alert"]
    assert alert["title"] == "Auction run run-9: 12 rejected, 1 failed of 24 orders"
    assert "c0-0, c0-1" in alert["description"]
    assert "and 2 more" in alert["description"]
    assert "c1-0 (S3: SlowDown)" in alert["description"]
    report_key = "runs/run-9/report.json"
    assert f"s3://{runs_bucket}/{report_key}" in alert["description"]
    report = json.loads(
        boto3.client("s3").get_object(Bucket=runs_bucket, Key=report_key)["Body"].read()
    )
    assert report["rejected"] == sorted(f"c0-{i}" for i in range(12))  # all, not the first ten


def test_a_chunk_without_an_outcome_counts_each_of_its_orders_as_failed(
    summarize, runs_bucket, context
):
    event = a_run(runs_bucket, chunks=2)
    outcome(runs_bucket, 0, stored=3)

    summary = summarize.handler(event, context)

    assert summary["failed"] == 3
    assert "c1-0 (no outcome was recorded for its chunk)" in summary["alert"]["description"]


def test_every_page_of_outcomes_is_read(summarize, runs_bucket, context):
    event = a_run(runs_bucket, chunks=5, per_chunk=1)
    for n in range(5):
        outcome(runs_bucket, n, stored=1)
    # S3 lists 1,000 keys a page; two a page here, so that five outcomes take three pages.
    summarize._files().s3.meta.events.register(
        "provide-client-params.s3.ListObjectsV2", lambda params, **_: params.update(MaxKeys=2)
    )

    summary = summarize.handler(event, context)

    assert (summary["orders"], summary["stored"], summary["failed"]) == (5, 5, 0)
