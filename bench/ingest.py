"""Ingest: POST /orders on moto against the seed's bare `batch_writer` loop, and against
that loop with the reads a resend-safe POST needs first; parsing against `json.loads`."""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from collections.abc import Iterator

import boto3
from moto import mock_aws

from bench.measure import Figure, fastest_in_turns
from domain.orders import parse_order_batch
from emulator.lambda_runtime import LambdaContext, cold_start

TABLE = "orders-bench"


def _records(count: int, batch: str = "0") -> list[dict]:
    return [
        {"record_id": f"order-{batch}-{n:05d}", "parameter_1": "abc", "parameter_2": n}
        for n in range(count)
    ]


def _fresh_bodies(size: int, kind: str) -> Iterator[str]:
    """Bodies of new orders, each call another batch: a resent batch would write nothing."""
    for batch in itertools.count():
        yield json.dumps(_records(size, f"{kind}-{size}-{batch}"))


def _seed_post_lambda(table, body: str, *, read_first: bool = False) -> None:
    """The seed's implementation: parse, then a batch_writer loop, no validation. With
    `read_first`, the least resending safely adds: each record's item read, 100 a request."""
    ttl = int(time.time()) + 24 * 60 * 60
    records = json.loads(body)
    if read_first:
        for start in range(0, len(records), 100):
            keys = [{"record_id": r["record_id"]} for r in records[start : start + 100]]
            table.meta.client.batch_get_item(RequestItems={table.name: {"Keys": keys}})
    with table.batch_writer() as batch:
        for record in records:
            record["ttl"] = ttl
            batch.put_item(Item=record)


def ingest_figures(
    sizes: tuple[int, ...] = (1, 100, 1_000, 10_000), repeat: int = 2
) -> list[Figure]:
    results = []
    os.environ.update(AWS_DEFAULT_REGION="eu-west-1", ORDERS_TABLE_NAME=TABLE)
    with mock_aws():
        # A table each: the seed's loop would overwrite the handler's items, which the
        # handler would then read as changed orders to replace.
        table, _ = (
            boto3.resource("dynamodb").create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "record_id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "record_id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            for name in (f"{TABLE}-seed", TABLE)
        )
        post_orders = cold_start("handlers.post_orders")
        client, _ = post_orders._orders_table()
        calls: list[str] = []
        for operation in ("BatchGetItem", "BatchWriteItem"):
            client.meta.events.register(
                f"before-call.dynamodb.{operation}",
                lambda operation=operation, **_: calls.append(operation),
            )
        for size in sizes:
            bodies, seed_bodies = _fresh_bodies(size, "handler"), _fresh_bodies(size, "seed")
            calls.clear()
            event = {"httpMethod": "POST", "body": next(bodies)}
            answer = post_orders.handler(event, LambdaContext())
            assert answer["statusCode"] == 201, answer["body"][:300]
            reads, writes = calls.count("BatchGetItem"), calls.count("BatchWriteItem")
            fastest = fastest_in_turns(
                {
                    "handler": lambda bodies=bodies: post_orders.handler(
                        {"httpMethod": "POST", "body": next(bodies)}, LambdaContext()
                    ),
                    "bare": lambda bodies=seed_bodies: _seed_post_lambda(table, next(bodies)),
                    "bare, reading first": lambda bodies=seed_bodies: _seed_post_lambda(
                        table, next(bodies), read_first=True
                    ),
                },
                repeat,
            )
            handler_seconds, bare_seconds = fastest["handler"], fastest["bare"]
            reading_seconds = fastest["bare, reading first"]
            label = f"ingest {size:>6} records"
            results.append(
                Figure(f"{label}: BatchWriteItem requests", writes, "requests",
                       floor=math.ceil(size / 25), budget=1.0, budget_is_ratio=True)
            )  # fmt: skip
            results.append(
                Figure(f"{label}: BatchGetItem requests (resending is safe)", reads, "requests",
                       floor=math.ceil(size / 100), budget=1.0, budget_is_ratio=True)
            )  # fmt: skip
            results.append(
                Figure(f"{label}: time, against the seed's loop", handler_seconds * 1000, "ms",
                       floor=bare_seconds * 1000)
            )  # fmt: skip
            results.append(
                Figure(f"{label}: time, against that loop reading first", handler_seconds * 1000,
                       "ms", floor=reading_seconds * 1000,
                       budget=1.2 if size >= 1_000 else None, budget_is_ratio=True)
            )  # fmt: skip
    return results


def validation_figures(size: int = 10_000, repeat: int = 10) -> list[Figure]:
    """Parse + validate against `json.loads` alone, and against the least a check for
    repeated keys costs: json handing each object over as key-value pairs."""
    body = json.dumps(_records(size))
    fastest = fastest_in_turns(
        {
            "floor": lambda: json.loads(body),
            "pairs": lambda: json.loads(body, object_pairs_hook=dict),
            "parse": lambda: parse_order_batch(body),
        },
        repeat,
    )
    floor, pairs, parse = fastest["floor"], fastest["pairs"], fastest["parse"]
    return [
        Figure(f"validation: parse + validate {size} records", parse * 1000, "ms",
               floor=floor * 1000, budget=4.0, budget_is_ratio=True),
        Figure("validation: json.loads handing over key-value pairs (no check yet)",
               pairs * 1000, "ms", floor=floor * 1000),
        Figure("validation: throughput", size / parse, "records/s"),
    ]  # fmt: skip
