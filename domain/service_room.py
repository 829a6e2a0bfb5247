"""The largest set of attributes the service ever keeps on an order's item.

A POST stores a record with room left for these (domain/orders.py): its item must stay
within DynamoDB's 400 KB when the hourly run records the outcome, or that UpdateItem is
refused. The set is built by the functions that write it (`order_item`, `outcome`), from
the largest value each part can take, so a change to what they write changes the room.

- open: `ttl`, `posted_at`, `open_shard`, `digest`;
- decided: `open_shard` removed, `outcome` added. Its largest parts: a status, a power of
  38 digits, the run's id (a Step Functions execution name: at most 80 characters,
  https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html,
  each at most 4 bytes of UTF-8), two timestamps of fixed length, and the accepted
  document's key, in which each byte of the record_id may take 3 (`%2F`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.auction import OrderResult, OrderStatus
from domain.lifecycle import order_item
from domain.orders import OPEN_SHARD, OUTCOME, item_bytes
from domain.results import Decision, RunRef, outcome

MAX_RUN_ID_CHARACTERS = 80
# Epoch milliseconds have 13 digits until the year 2286.
LARGEST_POSTED_AT = 10**13 - 1
LARGEST_POWER = Decimal("9" * 38 + "E+88")  # 38 digits, the most DynamoDB holds
_WIDEST_CHARACTER = "\U00020000"  # 4 bytes of UTF-8
_ENCODED_THRICE = "/"  # percent-encoded in a key: 3 bytes for 1


def longest_record_id(max_record_id_bytes: int) -> str:
    """A record_id whose document key is as long as any: every byte percent-encoded."""
    return _ENCODED_THRICE * max_record_id_bytes


def largest_service_attributes(max_record_id_bytes: int) -> dict[str, Any]:
    """The service's attributes on an order at the largest they can be, open or decided.

    >>> from domain.orders import item_bytes
    >>> item_bytes(largest_service_attributes(256))
    1362
    """
    record_id = longest_record_id(max_record_id_bytes)
    item = order_item({"record_id": record_id}, ttl=LARGEST_POSTED_AT, posted_at=LARGEST_POSTED_AT)
    opened = {name: value for name, value in item.items() if name != "record_id"}
    # Accepted: only an accepted order's outcome carries its document's key.
    accepted = OrderResult(OrderStatus.ACCEPTED, LARGEST_POWER, record_id)
    decision = Decision(accepted, LARGEST_POSTED_AT)
    run = RunRef(_WIDEST_CHARACTER * MAX_RUN_ID_CHARACTERS, datetime(2026, 12, 31, tzinfo=UTC))
    recorded = outcome(decision, run, now=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    decided = {name: value for name, value in opened.items() if name != OPEN_SHARD}
    decided[OUTCOME] = recorded.to_item_value()
    return max(opened, decided, key=item_bytes)
