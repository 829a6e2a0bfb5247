"""Writing items to DynamoDB with BatchWriteItem until all are in or time runs out.

Items are serialized here, into DynamoDB's wire format, for the low-level client.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Context, Decimal
from typing import Any

import attrs
from botocore.exceptions import ClientError

from domain.orders import DYNAMODB_MAX_SIGNIFICANT_DIGITS

BATCH_SIZE = 25  # BatchWriteItem's maximum
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0

# Errors that say "not now" rather than "never": the chunk is tried again.
RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@attrs.frozen
class WriteOutcome:
    """How a write went: requests sent, and the keys not confirmed written (none: all in)."""

    requests: int
    unwritten: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.unwritten


def write_items(
    client: Any,
    table_name: str,
    items: Sequence[dict[str, Any]],
    *,
    key: str,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> WriteOutcome:
    """Put every item, 25 a request, retrying what DynamoDB leaves unprocessed.

    Retries back off exponentially with full jitter and stop before `deadline` (a `clock`
    reading), so the caller can still answer. Errors that are not transient propagate.
    """
    pending = deque({"PutRequest": {"Item": table_item(item)}} for item in items)
    requests = 0
    consecutive_failures = 0
    while pending and clock() < deadline:
        chunk = [pending.popleft() for _ in range(min(BATCH_SIZE, len(pending)))]
        requests += 1
        unprocessed = _put_chunk(client, table_name, chunk)
        pending.extend(unprocessed)
        if not unprocessed:
            consecutive_failures = 0
            continue
        consecutive_failures += 1
        delay = jitter() * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**consecutive_failures)
        if clock() + delay >= deadline:
            break
        sleep(delay)
    return WriteOutcome(
        requests=requests,
        unwritten=tuple(request["PutRequest"]["Item"][key]["S"] for request in pending),
    )


def _put_chunk(client: Any, table_name: str, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send one BatchWriteItem; return the requests still to do."""
    try:
        response = client.batch_write_item(RequestItems={table_name: chunk})
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in RETRYABLE_ERRORS:
            raise
        return chunk
    return response.get("UnprocessedItems", {}).get(table_name, [])


def table_item(item: dict[str, Any]) -> dict[str, Any]:
    """A validated record (`domain.orders`) in DynamoDB's wire format."""
    return {name: _attribute_value(value) for name, value in item.items()}


def _attribute_value(value: Any) -> dict[str, Any]:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is int:
        text = str(value)
        fits = len(text) <= DYNAMODB_MAX_SIGNIFICANT_DIGITS  # most do: no Decimal needed
        return {"N": text if fits else _number(Decimal(value))}
    if kind is Decimal:
        return {"N": _number(value)}
    if kind is bool:
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if kind is list:
        return {"L": [_attribute_value(element) for element in value]}
    if kind is dict:
        return {"M": {name: _attribute_value(element) for name, element in value.items()}}
    raise TypeError(f"{kind.__name__} is not a value JSON parses to")


def _number(value: Decimal) -> str:
    """The number as sent, unless only its zeros take it past DynamoDB's 38 digits.

    Validation counts significant digits, as DynamoDB does, so 1.000... (50 zeros) is
    valid; it goes as 1. Exact: the context holds every digit, so nothing is rounded.
    """
    if value.is_zero():
        return "0"  # whatever its sign or exponent, as DynamoDB keeps it
    digits = len(value.as_tuple().digits)
    if digits <= DYNAMODB_MAX_SIGNIFICANT_DIGITS:
        return str(value)
    return str(value.normalize(Context(prec=digits)))
