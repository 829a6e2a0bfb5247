"""Ingest: POST /orders on moto against the seed's bare `batch_writer` loop, and parsing
against `json.loads` alone."""

from __future__ import annotations

import json
import math
import os
import time

import boto3
from moto import mock_aws

from bench.measure import Figure, fastest_in_turns
from domain.orders import parse_order_batch
from emulator.lambda_runtime import LambdaContext, cold_start

TABLE = "orders-bench"


def _records(count: int) -> list[dict]:
    return [
        {"record_id": f"order-{n:05d}", "parameter_1": "abc", "parameter_2": n}
        for n in range(count)
    ]


def _seed_post_lambda(table, body: str) -> None:
    """The seed's implementation: parse, then a batch_writer loop, no validation."""
    ttl = int(time.time()) + 24 * 60 * 60
    with table.batch_writer() as batch:
        for record in json.loads(body):
            record["ttl"] = ttl
            batch.put_item(Item=record)


def ingest_figures(
    sizes: tuple[int, ...] = (1, 100, 1_000, 10_000), repeat: int = 2
) -> list[Figure]:
    results = []
    os.environ.update(AWS_DEFAULT_REGION="eu-west-1", ORDERS_TABLE_NAME=TABLE)
    with mock_aws():
        table = boto3.resource("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "record_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "record_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        post_orders = cold_start("handlers.post_orders")
        client, _ = post_orders._orders_table()
        calls = []
        client.meta.events.register(
            "before-call.dynamodb.BatchWriteItem", lambda **_: calls.append(1)
        )
        for size in sizes:
            body = json.dumps(_records(size))
            event = {"httpMethod": "POST", "body": body}
            calls.clear()
            assert post_orders.handler(event, LambdaContext())["statusCode"] == 201
            requests = len(calls)
            fastest = fastest_in_turns(
                {
                    "handler": lambda event=event: post_orders.handler(event, LambdaContext()),
                    "bare": lambda body=body: _seed_post_lambda(table, body),
                },
                repeat,
            )
            handler_seconds, bare_seconds = fastest["handler"], fastest["bare"]
            label = f"ingest {size:>6} records"
            results.append(
                Figure(f"{label}: BatchWriteItem requests", requests, "requests",
                       floor=math.ceil(size / 25), budget=1.0, budget_is_ratio=True)
            )  # fmt: skip
            results.append(
                Figure(f"{label}: time", handler_seconds * 1000, "ms", floor=bare_seconds * 1000,
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
               floor=floor * 1000, budget=3.0, budget_is_ratio=True),
        Figure("validation: json.loads handing over key-value pairs (no check yet)",
               pairs * 1000, "ms", floor=floor * 1000),
        Figure("validation: throughput", size / parse, "records/s"),
    ]  # fmt: skip
