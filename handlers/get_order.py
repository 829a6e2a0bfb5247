"""GET /orders/{record_id}: an order as stored, and what the auction decided for it.

200: the order, its status (`open`, `accepted` or `rejected`), when it was posted and
expires, and its outcome once decided. 404: no such order, or it expired (an expired
order may still be in the table until DynamoDB's TTL deletes it; it is not shown), or no
order can have that record_id: one POST would refuse is answered without asking
DynamoDB, which refuses a key over 2,048 bytes with an error, not an empty answer.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from botocore.config import Config

from domain.lifecycle import describe
from domain.orders import record_id_problem
from handlers import aws_clients, observability
from handlers.api_events import answer, logged, wrong_method
from handlers.dynamodb_items import from_item

observability.install_tracing()

ROUTE = "GET /orders/{record_id}"


@functools.cache
def _orders_table() -> tuple[Any, str]:
    """The DynamoDB client and table name, built once per container."""
    config = Config(
        connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 3}
    )
    return aws_clients.client("dynamodb", config=config), os.environ["ORDERS_TABLE_NAME"]


@observability.invocation
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = event.get("httpMethod")
    if method != "GET":
        return wrong_method(method, "GET")
    record_id = (event.get("pathParameters") or {}).get("record_id")
    problem = record_id_problem(record_id)
    if problem is not None:
        message = f"no order has this record_id: a record_id {problem}"
        return logged(context, ROUTE, answer(404, {"message": message}))
    client, table_name = _orders_table()
    with observability.traced("read_order"):
        item = client.get_item(
            TableName=table_name, Key={"record_id": {"S": record_id}}, ConsistentRead=True
        ).get("Item")
    order = describe(from_item(item), now=time.time()) if item else None
    if order is None:
        return logged(context, ROUTE, answer(404, {"message": f"no order {record_id!r}"}))
    return logged(context, ROUTE, answer(200, order), status_of_order=order["status"])
