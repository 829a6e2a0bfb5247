"""Lambda A: the auction's results for the orders open at the run's start, or not yet.

Event (from the workflow): `{"run": {"id": ..., "started_at": ...}, "retries": n}`.
Answer: `{"results": false}` while the platform is not ready, then `{"results": true,
"count": n, "chunks": {"bucket": ..., "key": ...}}`: the decisions are written to S3 in
chunks (see domain/runs.py), as they may be far larger than a workflow state can carry.
No open orders: results true, count 0, no chunk.

The auction platform is simulated, as in the original: ready at random.
`AUCTION_SIMULATION_SEED` replays a fixed sequence (the local demo uses it),
`AUCTION_READY_PROBABILITY` sets how often results are ready (default 0.5) and
`AUCTION_REJECTION_PROBABILITY` how often an order is rejected (default 0.2).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

from domain.auction import AuctionPlatform, OpenOrder, SimulatedAuctionPlatform, check_results
from domain.metrics import RUN_ID, Metric
from domain.results import Decision, RunRef
from domain.runs import ChunkRef, chunk_key, chunked, manifest_key
from handlers import aws_clients, clock, observability
from handlers.open_orders import open_at
from handlers.run_files import RunFiles

observability.install_tracing()


@functools.cache
def _platform() -> AuctionPlatform:
    seed = os.environ.get("AUCTION_SIMULATION_SEED")
    return SimulatedAuctionPlatform(
        seed=int(seed) if seed else None,
        ready_probability=float(os.environ.get("AUCTION_READY_PROBABILITY", "0.5")),
        rejection_probability=float(os.environ.get("AUCTION_REJECTION_PROBABILITY", "0.2")),
    )


@functools.cache
def _aws() -> tuple[Any, str, str, RunFiles]:
    """The DynamoDB client, table and index names, and the run files, once per container."""
    files = RunFiles(aws_clients.client("s3"), os.environ["RUNS_BUCKET_NAME"])
    table = os.environ["ORDERS_TABLE_NAME"]
    return aws_clients.client("dynamodb"), table, os.environ["OPEN_ORDERS_INDEX"], files


@observability.invocation
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = RunRef.from_payload(event["run"])
    dynamodb, table, index, files = _aws()
    started_ms = int(run.started_at.timestamp() * 1000)
    now = clock.now()
    with observability.traced("open_orders"):
        orders = open_at(dynamodb, table, index, started_ms=started_ms, now=now)
    # Before the platform is asked: a platform that fails every call leaves orders
    # undecided too, and the alarm on their age must still see them.
    observability.put_metrics(open_orders_numbers(orders, now), at=now, **{RUN_ID: run.run_id})
    with observability.traced("auction_results", orders=len(orders)):
        results = _platform().results(run.run_id, orders)
    check_results(orders, results)
    observability.log_request(
        context, "auction results fetched", ready=results.ready, orders=len(orders)
    )
    if not results.ready:
        return {"results": False}
    attempt = int(event.get("retries", 0)) + 1
    observability.put_metrics({Metric.PLATFORM_ASKS: attempt}, **{RUN_ID: run.run_id})
    posted = {order.record_id: order.posted_at for order in orders}
    decisions = [
        Decision(result, posted[result.record_id]).to_payload() for result in results.orders
    ]
    with observability.traced("write_chunks", decisions=len(decisions)):
        refs = []
        for index_, chunk in enumerate(chunked(decisions)):
            files.put(chunk_key(run.run_id, index_), list(chunk))
            refs.append(ChunkRef(index_, chunk_key(run.run_id, index_), len(chunk)).to_payload())
        files.put(manifest_key(run.run_id), refs)
    return {
        "results": True,
        "count": len(decisions),
        "chunks": {"bucket": files.bucket, "key": manifest_key(run.run_id)},
    }


def open_orders_numbers(orders: Sequence[OpenOrder], now: float) -> dict[str, float]:
    """How many orders are open, and the oldest's age in seconds: 0 when none is, so that
    a quiet hour still reports."""
    oldest_ms = min((order.posted_at for order in orders), default=None)
    age = 0.0 if oldest_ms is None else max(0.0, now - oldest_ms / 1000)
    return {Metric.OPEN_ORDERS: len(orders), Metric.OLDEST_OPEN_ORDER_AGE: age}
