"""The orders table and buckets on moto, with DynamoDB's limits as AWS applies them, and the
API's and Lambda B's handlers as their containers run them: for properties that go from a
POST to a decision."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import boto3
from moto import mock_aws

from domain.lifecycle import OPEN_ORDERS_INDEX
from emulator.lambda_runtime import LambdaContext, cold_start
from emulator.local_lambda import environment
from emulator.moto_fidelity import aws_faithful_dynamodb
from handlers.json_text import exact_json
from tests.orders_table import create_orders_table

TABLE, RESULTS, RUNS = "orders", "order-results", "auction-runs"


@attrs.frozen
class MotoStage:
    """The handlers, and what they wrote."""

    post_orders: Any
    get_order: Any
    store_result: Any

    def post(self, records: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        event = {"httpMethod": "POST", "body": exact_json(records), "isBase64Encoded": False}
        response = self.post_orders.handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"])

    def get(self, record_id: str) -> tuple[int, dict[str, Any]]:
        event = {"httpMethod": "GET", "pathParameters": {"record_id": record_id}}
        response = self.get_order.handler(event, LambdaContext())
        return response["statusCode"], json.loads(response["body"])

    def item(self, record_id: str) -> dict[str, Any] | None:
        """The order's item as DynamoDB holds it (wire format)."""
        key = {"record_id": {"S": record_id}}
        return boto3.client("dynamodb").get_item(TableName=TABLE, Key=key).get("Item")

    def forget(self, record_id: str) -> None:
        """Delete the order, as its TTL would: the next POST of its id is a new order."""
        key = {"record_id": {"S": record_id}}
        boto3.client("dynamodb").delete_item(TableName=TABLE, Key=key)

    def decide(self, decisions: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
        """Lambda B records `decisions` as one chunk of the run `run_id`."""
        key = f"runs/{run_id}/chunks/00000.json"
        boto3.client("s3").put_object(Bucket=RUNS, Key=key, Body=exact_json(decisions).encode())
        event = {
            "chunk": {"format": 1, "chunk": 0, "key": key, "count": len(decisions)},
            "run": {"id": run_id, "started_at": datetime.now(UTC).isoformat()},
        }
        return self.store_result.handler(event, LambdaContext())


@contextlib.contextmanager
def moto_stage() -> Iterator[MotoStage]:
    """The stage's table, as the template declares it, and its buckets."""
    variables = {
        "ORDERS_TABLE_NAME": TABLE,
        "OPEN_ORDERS_INDEX": OPEN_ORDERS_INDEX,
        "RESULTS_BUCKET_NAME": RESULTS,
        "RUNS_BUCKET_NAME": RUNS,
    }
    with mock_aws(), aws_faithful_dynamodb(), environment(variables):
        create_orders_table(TABLE)
        s3 = boto3.client("s3")
        for bucket in (RESULTS, RUNS):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
            )
        yield MotoStage(
            post_orders=cold_start("handlers.post_orders"),
            get_order=cold_start("handlers.get_order"),
            store_result=cold_start("handlers.store_result"),
        )
