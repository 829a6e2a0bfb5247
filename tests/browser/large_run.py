"""A generated record of a 10,000-order run, shaped as the local system records one.

Made, not run: a real run of that size takes minutes (`make bench` times one). The X-Ray
documents have the shape the SDK sends (a subsegment per AWS call, nested under the
handler's own subsegments), with the refusals a real run meets: conditional updates
refused because an outcome is recorded already, documents already stored.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

from domain.runs import CHUNK_SIZE
from emulator.report.record import RunRecord

START = 1_796_000_000.0
_ids = itertools.count()


def _id() -> str:
    return f"{next(_ids):016x}"


def _document(trace: str, parent: str, name: str, start: float, seconds: float, **extra: Any):
    return {
        "trace_id": trace,
        "id": _id(),
        "parent_id": parent,
        "type": "subsegment",
        "name": name,
        "start_time": start,
        "end_time": start + seconds,
        **extra,
    }


def _call(
    trace: str,
    parent: str,
    service: str,
    operation: str,
    start: float,
    seconds: float,
    refused_with: str | None = None,
) -> dict[str, Any]:
    extra: dict[str, Any] = {"namespace": "aws", "aws": {"operation": operation}}
    if refused_with:
        message = f"An error occurred ({refused_with}) when calling the {operation} operation"
        extra |= {
            "fault": True,
            "error": True,
            "http": {"response": {"status": 400}},
            "cause": {"exceptions": [{"message": message, "type": "ClientError"}]},
        }
    return _document(trace, parent, service, start, seconds, **extra)


def _store_result(chunk: int, at: float, rng: random.Random) -> tuple[list[dict], float]:
    trace, facade = f"1-{chunk:08x}-{_id()}", _id()
    record = _document(trace, facade, "record_decisions", at + 0.05, 0.0)
    documents = [_call(trace, facade, "s3", "GetObject", at, 0.02)]
    clock = at + 0.05
    for _ in range(CHUNK_SIZE):
        refused = rng.random() < 0.01
        documents.append(
            _call(
                trace,
                record["id"],
                "dynamodb",
                "UpdateItem",
                clock,
                0.004,
                "ConditionalCheckFailedException" if refused else None,
            )
        )
        if refused:
            documents.append(_call(trace, record["id"], "dynamodb", "GetItem", clock, 0.003))
        if rng.random() < 0.83:
            documents.append(
                _call(
                    trace,
                    record["id"],
                    "s3",
                    "PutObject",
                    clock + 0.004,
                    0.005,
                    "PreconditionFailed" if rng.random() < 0.005 else None,
                )
            )
        clock += 0.0015  # eight at a time
    record["end_time"] = clock
    documents += [record, _call(trace, facade, "s3", "PutObject", clock, 0.02)]
    return documents, clock + 0.05


def _fetch_results(at: float, ready: bool, orders: int) -> tuple[list[dict], float]:
    trace, facade = f"1-{int(at):08x}-{_id()}", _id()
    find = _document(trace, facade, "open_orders", at, 0.0)
    queries = [
        _call(trace, find["id"], "dynamodb", "Query", at + 0.01 * n, 0.01)
        for n in range(8 + orders // 1000)
    ]
    find["end_time"] = queries[-1]["end_time"]
    ask = _document(trace, facade, "auction_results", find["end_time"], 0.2)
    documents = [find, *queries, ask]
    end = ask["end_time"]
    if ready:
        write = _document(trace, facade, "write_chunks", end, 0.0)
        puts = [
            _call(trace, write["id"], "s3", "PutObject", end + 0.02 * n, 0.02)
            for n in range(orders // CHUNK_SIZE + 1)
        ]
        write["end_time"] = end = puts[-1]["end_time"]
        documents += [write, *puts]
    return documents, end + 0.05


def large_run_record(definition: str, template_path: Path, orders: int = 10_000) -> RunRecord:
    """A run of `orders` orders, late once, with 1% of its updates refused as expected."""
    rng = random.Random(orders)
    first, at = _fetch_results(START + 0.2, ready=False, orders=orders)
    second, at = _fetch_results(at + 0.1, ready=True, orders=orders)
    chunks = []
    for chunk in range(orders // CHUNK_SIZE):
        documents, at = _store_result(chunk, at + 0.1, rng)
        chunks.append(documents)
    trace, facade = f"1-{int(at):08x}-{_id()}", _id()
    summarize = _document(trace, facade, "summarize_run", at, 0.8)
    gets = [
        _call(trace, summarize["id"], "s3", "GetObject", at + 0.01 * n, 0.01)
        for n in range(orders // CHUNK_SIZE + 1)
    ]
    decisions = [
        {
            "record_id": f"order-{n:06d}",
            "status": "accepted" if n % 6 else "rejected",
            "power": 1 + n % 50,
            "posted_at": 1_795_999_000_000,
        }
        for n in range(orders)
    ]
    accepted = sum(1 for decision in decisions if decision["status"] == "accepted")
    rejected = orders - accepted
    return RunRecord(
        name="generated-10000-orders",
        status="SUCCEEDED",
        started=START,
        stopped=summarize["end_time"] + 0.3,
        definition=definition,
        template_path=template_path,
        entered={
            "Auction run": 1,
            "Start polling": 1,
            "Fetch auction results": 2,
            "Back off": 1,
            "Record each chunk": 1,
            "Record chunk": len(chunks),
            "Summarize run": 1,
            "Alert run outcome": 1,
        },
        waits=[30],
        summary={
            "orders": orders,
            "stored": accepted,
            "rejected": rejected,
            "failed": 0,
            "gone": 0,
        },
        traces={
            "handlers.fetch_results": [first, second],
            "handlers.store_result": chunks,
            "handlers.summarize_run": [[summarize, *gets]],
        },
        decisions=decisions,
        documents={
            f"orders/2026/12/01/order-00000{n}-1795999000000.json": {
                "record_id": f"order-00000{n}",
                "status": "accepted",
                "power": 1 + n,
            }
            for n in range(1, 6)
        },
        documents_stored=accepted,
        alerts=[
            {
                "content": {
                    "title": f"Auction run generated: {rejected} rejected of {orders}",
                    "description": "Rejected by the auction ...",
                }
            }
        ],
    )
