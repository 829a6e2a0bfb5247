"""Lambda B: record the auction's decisions, one chunk of a run per call.

For each decision of the chunk (see domain/runs.py): an accepted order's document is
stored under `orders/` (once: an object already there, from an earlier attempt, is left
as it is), and the order's item records the outcome (once, and never on an order that
expired, was deleted or was posted anew). What became of each decision is written beside
the chunk and returned; a rejection is an outcome like any other, not an error. If a
decision could not be recorded for a reason a retry may mend, the answer says the chunk
is not complete (after recording all the others), and the workflow calls again after a
wait: every step is idempotent. The call itself fails only on the unexpected, so
Lambda's Errors metric, and its alarm, mean just that.

The seed's contract stands for one order handed over alone (`{"order": {...}, "run":
{...}}` or the bare `{"status", "power"}`): accepted, it is stored; rejected, the call
raises `OrderRejectedError`.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, NamedTuple

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from domain.auction import OrderStatus
from domain.errors import DomainError
from domain.metrics import RUN_ID, Metric
from domain.orders import OUTCOME, POSTED_AT, TTL
from domain.results import Decision, RunRef, accepted_document, decide, outcome, parse_store_request
from domain.runs import ChunkOutcome, ChunkRef, Failure, outcome_key
from handlers import aws_clients, clock, observability
from handlers.dynamodb_items import from_item, to_attribute_value
from handlers.run_files import RunFiles

observability.install_tracing()

# A slow S3 or DynamoDB fails the call well inside the function's timeout (botocore's
# defaults wait 60 s per read), so the workflow retries and reports the service's error.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
    max_pool_connections=16,
)
# Decisions recorded at once: each is a few calls that mostly wait on the network.
PARALLEL_DECISIONS = 8


class Recorded(NamedTuple):
    """What became of one decision: "stored", "rejected" or "gone" with its record_id,
    "failed" or "retry" with a `Failure`; a decided one's age, posting to decision."""

    kind: str
    detail: Any
    decision_age: float | None = None


@functools.cache
def _aws() -> tuple[Any, Any, str, str]:
    """S3 and DynamoDB clients, the results bucket and the orders table, once per container."""
    return (
        aws_clients.client("s3", _CONFIG),
        aws_clients.client("dynamodb", _CONFIG),
        os.environ["RESULTS_BUCKET_NAME"],
        os.environ.get("ORDERS_TABLE_NAME", ""),
    )


@functools.cache
def _run_files() -> RunFiles:
    return RunFiles(_aws()[0], os.environ["RUNS_BUCKET_NAME"])


@observability.invocation
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "chunk" in event:
        return _store_chunk(
            ChunkRef.from_payload(event["chunk"]), RunRef.from_payload(event["run"]), context
        )
    return _store_one(event, context)


def _store_chunk(chunk: ChunkRef, run: RunRef, context: Any) -> dict[str, Any]:
    files = _run_files()
    payloads = files.get(chunk.key)
    with observability.traced("record_decisions", chunk=chunk.chunk, decisions=len(payloads)):
        tracing = observability.propagator()  # the workers' calls nest in record_decisions
        with ThreadPoolExecutor(PARALLEL_DECISIONS) as pool:
            results = list(pool.map(tracing(_record), payloads, [run] * len(payloads)))
    found = ChunkOutcome(
        chunk=chunk.chunk,
        stored=sum(1 for result in results if result.kind == "stored"),
        rejected=tuple(result.detail for result in results if result.kind == "rejected"),
        gone=tuple(result.detail for result in results if result.kind == "gone"),
        failed=tuple(r.detail for r in results if r.kind in ("failed", "retry")),
    )
    files.put(outcome_key(run.run_id, chunk.chunk), found.to_payload())
    ages = [result.decision_age for result in results if result.decision_age is not None]
    observability.put_metrics({Metric.DECISION_AGE: ages}, **{RUN_ID: run.run_id})
    retry = sum(1 for result in results if result.kind == "retry")
    observability.log_request(
        context, "chunk recorded", chunk=chunk.chunk, stored=found.stored,
        rejected=len(found.rejected), gone=len(found.gone), failed=len(found.failed),
    )  # fmt: skip
    return {
        "complete": retry == 0,  # False: a retry may mend what failed (the workflow's)
        "chunk": chunk.chunk,
        "stored": found.stored,
        "rejected": len(found.rejected),
        "gone": len(found.gone),
        "failed": len(found.failed),
    }


def _record(payload: Any, run: RunRef) -> Recorded:
    """Record one decision: stored, rejected or gone, or a failure: "failed" for a
    decision outside the contract, "retry" else."""
    try:
        decision = Decision.from_payload(payload)
    except DomainError as error:
        record_id = payload.get("record_id") if isinstance(payload, dict) else None
        return Recorded("failed", Failure(str(record_id), f"not a valid decision: {error}"))
    result = decision.result
    now = _to_the_millisecond(clock.utc_now())  # as the outcome's recorded_at says it
    try:
        # The outcome first: only the run whose outcome the order holds stores a document,
        # so no document ever disagrees with the order it is for.
        if not _record_outcome(decision, run, now):
            return Recorded("gone", result.record_id)
        if result.status is OrderStatus.ACCEPTED:
            document = accepted_document(result, run, decision.posted_at)
            _put_once(document.key, document.document)
    except (ClientError, BotoCoreError) as error:
        return Recorded("retry", Failure(str(result.record_id), _reason(error)))
    kind = "stored" if result.status is OrderStatus.ACCEPTED else "rejected"
    age = (round(now.timestamp() * 1000) - decision.posted_at) / 1000
    return Recorded(kind, result.record_id, age)


def _to_the_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _put_once(key: str, document: dict[str, Any]) -> bool:
    """Store `document` at `key` unless an object is there already; True if written."""
    s3, _, bucket, _ = _aws()
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(document).encode(),
            ContentType="application/json",
            IfNoneMatch="*",  # an earlier attempt stored it already: keep that one
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        return False
    return True


def _record_outcome(decision: Decision, run: RunRef, now: datetime) -> bool:
    """Record the outcome on the order's item, once; False if the order is gone, or holds
    another run's outcome."""
    _, dynamodb, _, table = _aws()
    record_id = decision.result.record_id
    names = {"#outcome": OUTCOME, "#posted": POSTED_AT, "#ttl": TTL, "#shard": "open_shard"}
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"record_id": {"S": record_id}},
            UpdateExpression="SET #outcome = :outcome REMOVE #shard",
            # The order posted then, still live, not yet decided: an expired or deleted
            # order is not resurrected, a re-posted one not given another's decision, and
            # a repeated update changes nothing.
            ConditionExpression=(
                "#posted = :posted AND #ttl > :now AND attribute_not_exists(#outcome)"
            ),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":outcome": to_attribute_value(outcome(decision, run, now=now).to_item_value()),
                ":posted": {"N": str(decision.posted_at)},
                ":now": {"N": str(int(now.timestamp()))},
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return _recorded_by(dynamodb, table, decision, run)
    return True


def _recorded_by(dynamodb: Any, table: str, decision: Decision, run: RunRef) -> bool:
    """After a refused update: did this run record it already (a retry)? Otherwise the
    order is gone, or another run (an overlapping one) decided it first."""
    item = dynamodb.get_item(
        TableName=table, Key={"record_id": {"S": decision.result.record_id}}, ConsistentRead=True
    ).get("Item")
    held = from_item(item) if item else {}
    recorded = held.get(OUTCOME) or {}
    return held.get(POSTED_AT) == decision.posted_at and recorded.get("run_id") == run.run_id


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{error.operation_name}: {details.get('Code')}: {details.get('Message')}"
    return f"{type(error).__name__}: {error}"


def _store_one(event: Any, context: Any) -> dict[str, str]:
    """The seed's contract: one order; accepted is stored, rejected raises."""
    request = parse_store_request(event)
    with observability.traced("decide_order", status=request.order.status.value):
        decision = decide(request, now=clock.utc_now(), unique_id=uuid.uuid4().hex)
    written = _put_once(decision.key, decision.document)
    observability.log_request(context, "order result stored", key=decision.key, written=written)
    return {"bucket": _aws()[2], "key": decision.key}
