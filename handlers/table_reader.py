"""Reading what the orders table holds of a batch's orders, before anything is written."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from domain.lifecycle import StoredOrder
from domain.orders import DIGEST, OUTCOME, TTL
from handlers.backoff import Backoff, is_retryable
from handlers.dynamodb_items import from_item

BATCH_SIZE = 100  # BatchGetItem's maximum
KEY = "record_id"


class ReadIncompleteError(Exception):
    """The table did not answer for every key before the deadline."""


def read_stored(
    client: Any, table_name: str, record_ids: Sequence[str], *, backoff: Backoff
) -> dict[str, StoredOrder]:
    """What the table holds of these orders (strongly consistent), by record_id.

    Only the attributes a POST decides by are read. Keys DynamoDB leaves unprocessed are
    asked again with backoff; if time runs out first, `ReadIncompleteError`.
    """
    pending = deque(record_ids)
    found: dict[str, StoredOrder] = {}
    while pending:
        if not backoff.time_left():
            raise ReadIncompleteError(f"{len(pending)} order(s) not read in time")
        keys = [{KEY: {"S": pending.popleft()}} for _ in range(min(BATCH_SIZE, len(pending)))]
        request = {
            table_name: {
                "Keys": keys,
                "ConsistentRead": True,
                "ProjectionExpression": "#key, #ttl, #digest, #outcome.#status",
                "ExpressionAttributeNames": {
                    "#key": KEY, "#ttl": TTL, "#digest": DIGEST, "#outcome": OUTCOME,
                    "#status": "status",
                },
            }
        }  # fmt: skip
        try:
            response = client.batch_get_item(RequestItems=request)
        except ClientError as error:
            if not is_retryable(error):
                raise
            response = {"UnprocessedKeys": request}
        for item in response.get("Responses", {}).get(table_name, []):
            plain = from_item(item)
            found[plain[KEY]] = StoredOrder.from_item(plain)
        unprocessed = response.get("UnprocessedKeys", {}).get(table_name, {}).get("Keys", [])
        pending.extend(key[KEY]["S"] for key in unprocessed)
        backoff.sent(progressed=not unprocessed)
        if unprocessed and not backoff.wait():
            raise ReadIncompleteError(f"{len(pending)} order(s) not read in time")
    return found
