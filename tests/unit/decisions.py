"""Deciding orders in a test as an auction run does: Lambda B's handler, called with chunks
of decisions as the workflow's Distributed Map hands them over."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3
from botocore.exceptions import ClientError

from domain.auction import OrderResult, OrderStatus
from domain.results import Decision, RunRef
from domain.runs import ChunkRef, chunk_key, chunked
from emulator.lambda_runtime import LambdaContext, cold_start
from handlers.json_text import exact_json

# The run's chunks and outcomes go to a bucket of their own, apart from any a test reads;
# accepted orders' documents to the test's results bucket, if it has one.
RUN_FILES_BUCKET = "decisions-run-files"
DOCUMENTS_BUCKET = "decisions-documents"


def record_decisions(
    table: Any, record_ids: Iterable[str], status: str = "accepted", *, run_id: str = "run-1"
) -> RunRef:
    """Record each order's outcome through Lambda B (its conditional update takes the order
    out of the open orders), for the order as the table holds it now; the run used."""
    run = RunRef(run_id, datetime.now(UTC))
    decisions = [
        Decision(
            OrderResult(OrderStatus(status), 4, record_id), posted_at=_posted_at(table, record_id)
        ).to_payload()
        for record_id in record_ids
    ]
    variables = {
        "ORDERS_TABLE_NAME": table.name,
        "RUNS_BUCKET_NAME": _bucket(RUN_FILES_BUCKET),
        "RESULTS_BUCKET_NAME": os.environ.get("RESULTS_BUCKET_NAME") or _bucket(DOCUMENTS_BUCKET),
    }
    s3 = boto3.client("s3")
    with mock.patch.dict(os.environ, variables):
        lambda_b = cold_start("handlers.store_result")  # its clients, made for these
        for index, chunk in enumerate(chunked(decisions)):
            key = chunk_key(run_id, index)
            s3.put_object(Bucket=RUN_FILES_BUCKET, Key=key, Body=exact_json(chunk).encode())
            event = {
                "chunk": ChunkRef(index, key, len(chunk)).to_payload(),
                "run": {"id": run_id, "started_at": run.started_at.isoformat()},
            }
            answer = lambda_b.handler(event, LambdaContext())
            recorded = (answer["complete"], answer["stored"] + answer["rejected"])
            assert recorded == (True, len(chunk)), f"not all recorded: {answer}"
    return run


def _posted_at(table: Any, record_id: str) -> int:
    """When the order the table holds now was posted: the posting a decision is for."""
    item = table.get_item(Key={"record_id": record_id}, ConsistentRead=True)["Item"]
    return int(item["posted_at"])


def _bucket(name: str) -> str:
    try:
        boto3.client("s3").create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    return name
