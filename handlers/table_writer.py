"""Writing order items to DynamoDB until all are in or time runs out.

New orders go 25 a request (BatchWriteItem); changed open orders go 100 a transaction,
each put only while the order is still undecided, so no write ever replaces an outcome.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from typing import Any

import attrs
from botocore.exceptions import ClientError

from domain.orders import OUTCOME
from handlers.backoff import Backoff, is_retryable
from handlers.dynamodb_items import to_item

BATCH_SIZE = 25  # BatchWriteItem's maximum
TRANSACTION_SIZE = 100  # TransactWriteItems' maximum, in items
# ... and in bytes: 4 MB. An item's wire-format JSON is longer than DynamoDB counts it
# (every value wrapped in its type), so a transaction whose wire JSON stays under this
# stays under the limit.
TRANSACTION_BYTES = 4_000_000
KEY = "record_id"


@attrs.frozen
class WriteOutcome:
    """How a write went: requests sent, the keys not confirmed written (none: all in), and
    the keys not written because their order was decided meanwhile."""

    requests: int
    unwritten: tuple[str, ...]
    decided: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.unwritten


def write_items(
    client: Any, table_name: str, items: Sequence[dict[str, Any]], *, backoff: Backoff
) -> WriteOutcome:
    """Put every item, 25 a request, retrying what DynamoDB leaves unprocessed.

    Retries stop before the backoff's deadline, so the caller can still answer. Errors
    that are not transient propagate.
    """
    pending = deque({"PutRequest": {"Item": to_item(item)}} for item in items)
    while pending and backoff.time_left():
        chunk = [pending.popleft() for _ in range(min(BATCH_SIZE, len(pending)))]
        unprocessed = _put_chunk(client, table_name, chunk)
        backoff.sent(progressed=not unprocessed)
        pending.extend(unprocessed)
        if unprocessed and not backoff.wait():
            break
    return WriteOutcome(
        requests=backoff.requests,
        unwritten=tuple(request["PutRequest"]["Item"][KEY]["S"] for request in pending),
    )


def _put_chunk(client: Any, table_name: str, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send one BatchWriteItem; return the requests still to do."""
    try:
        response = client.batch_write_item(RequestItems={table_name: chunk})
    except ClientError as error:
        if not is_retryable(error):
            raise
        return chunk
    return response.get("UnprocessedItems", {}).get(table_name, [])


def put_unless_decided(
    client: Any, table_name: str, items: Sequence[dict[str, Any]], *, backoff: Backoff
) -> WriteOutcome:
    """Replace open orders, 100 a transaction, each only while it has no outcome.

    A transaction is all or nothing: one whose order was decided meanwhile is cancelled,
    and sent again without that order, which is reported in `decided`.
    """
    pending = deque(_transactions(items))
    decided: list[str] = []
    while pending and backoff.time_left():
        chunk = pending.popleft()
        try:
            client.transact_write_items(TransactItems=[_put_if_open(table_name, i) for i in chunk])
            backoff.sent(progressed=True)
            continue
        except ClientError as error:
            reasons = error.response.get("CancellationReasons")
            if reasons is None and not is_retryable(error):
                raise
            backoff.sent(progressed=False)
        lost = [i for i, r in zip(chunk, reasons or (), strict=False)
                if r.get("Code") == "ConditionalCheckFailed"]  # fmt: skip
        decided += [item[KEY] for item in lost]
        remaining = [item for item in chunk if item not in lost]
        if remaining:
            pending.appendleft(remaining)
            if not lost and not backoff.wait():
                break
    return WriteOutcome(
        requests=backoff.requests,
        unwritten=tuple(item[KEY] for chunk in pending for item in chunk),
        decided=tuple(decided),
    )


def _transactions(items: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """`items` in transactions within DynamoDB's limits of 100 items and 4 MB."""
    transactions: list[list[dict[str, Any]]] = [[]]
    size = 0
    for item in items:
        length = len(json.dumps(to_item(item)).encode())
        if len(transactions[-1]) == TRANSACTION_SIZE or size + length > TRANSACTION_BYTES:
            transactions.append([])
            size = 0
        transactions[-1].append(item)
        size += length
    return [transaction for transaction in transactions if transaction]


def _put_if_open(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(#outcome)",
            "ExpressionAttributeNames": {"#outcome": OUTCOME},
        }
    }
