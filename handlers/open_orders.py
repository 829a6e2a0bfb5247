"""The orders open at a run's start, read from the sparse open-orders index.

A query per index shard, page by page: the cost grows with the open orders only, never
with decided or expired ones (they are not in the index, or are filtered out).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.auction import OpenOrder
from domain.expiry import RETENTION_SECONDS
from domain.lifecycle import OPEN_SHARDS
from domain.orders import OPEN_SHARD, OUTCOME, POSTED_AT, TTL
from handlers.dynamodb_items import from_item


def open_at(
    client: Any, table_name: str, index_name: str, *, started_ms: int, now: float
) -> list[OpenOrder]:
    """Every order posted by `started_ms` (epoch ms) still open and live at `now`."""
    return [OpenOrder.from_item(from_item(item)) for shard in range(OPEN_SHARDS)
            for item in _shard(client, table_name, index_name, shard, started_ms, now)]  # fmt: skip


def _shard(
    client: Any, table_name: str, index_name: str, shard: int, started_ms: int, now: float
) -> Iterator[dict[str, Any]]:
    request = {
        "TableName": table_name,
        "IndexName": index_name,
        # Posted within the last 24 h: expired orders, which wait for TTL's deletion, are
        # not even read. The filter catches the second at either end, and an order decided
        # while the index caught up.
        "KeyConditionExpression": "#shard = :shard AND #posted BETWEEN :oldest AND :started",
        "FilterExpression": "#ttl > :now AND attribute_not_exists(#outcome)",
        "ExpressionAttributeNames": {
            "#shard": OPEN_SHARD, "#posted": POSTED_AT, "#ttl": TTL, "#outcome": OUTCOME,
        },
        "ExpressionAttributeValues": {
            ":shard": {"N": str(shard)},
            ":oldest": {"N": str(int((now - RETENTION_SECONDS) * 1000))},
            ":started": {"N": str(started_ms)},
            ":now": {"N": str(int(now))},
        },
    }  # fmt: skip
    while True:
        page = client.query(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
