"""The orders table as the stage's template declares it, for tests that make it on moto
without synthesizing (the unit and property tests). One schema, checked against the
template by tests/unit/test_auction_stage.py."""

from __future__ import annotations

from typing import Any

import boto3

from domain.lifecycle import OPEN_ORDERS_INDEX
from domain.orders import OPEN_SHARD, POSTED_AT

# CreateTable's parameters, which the template's table properties name alike.
ORDERS_TABLE_SCHEMA: dict[str, Any] = {
    "KeySchema": [{"AttributeName": "record_id", "KeyType": "HASH"}],
    "AttributeDefinitions": [
        {"AttributeName": "record_id", "AttributeType": "S"},
        {"AttributeName": OPEN_SHARD, "AttributeType": "N"},
        {"AttributeName": POSTED_AT, "AttributeType": "N"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": OPEN_ORDERS_INDEX,
            "KeySchema": [
                {"AttributeName": OPEN_SHARD, "KeyType": "HASH"},
                {"AttributeName": POSTED_AT, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def create_orders_table(name: str) -> None:
    """The orders table named `name`, on the AWS the environment points at (moto)."""
    boto3.client("dynamodb").create_table(TableName=name, **ORDERS_TABLE_SCHEMA)
