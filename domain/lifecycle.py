"""An order's life in the orders table: posted, open, decided, expired.

- posted → open: the POST stores the record with the service's attributes; `open_shard`
  puts it in the sparse open-orders index, which holds open orders only.
- open → decided: a run takes the orders open at its start to the auction; the decision
  is recorded on the item as `outcome`, and `open_shard` is removed, once.
- → expired: 24 h after the POST, `ttl` passes. DynamoDB's TTL deletes the item some
  time later; until then every read treats it as gone. An order the auction never
  decided (24 h of "not ready") leaves this way.

Resending a batch is safe: `plan_writes` keeps what the table already holds identically,
never rewrites a decided order, and refuses to change one.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any

import attrs

from domain.errors import DecidedOrderChangedError
from domain.orders import (
    DIGEST,
    OPEN_SHARD,
    OUTCOME,
    POSTED_AT,
    RESERVED_ATTRIBUTES,
    TTL,
    OrderBatch,
)

# The sparse index of open orders: key `open_shard`, sorted by `posted_at`. It spreads its
# items over OPEN_SHARDS partition keys, so a burst of POSTs never writes one index
# partition faster than DynamoDB lets it.
OPEN_ORDERS_INDEX = "open-orders"
OPEN_SHARDS = 8


def open_shard(record_id: str) -> int:
    """The open-orders index partition of an order: the same in every process.

    >>> open_shard("unique_id_1")
    4
    """
    return zlib.crc32(record_id.encode("utf-8", "surrogatepass")) % OPEN_SHARDS


def record_digest(record: Mapping[str, Any]) -> str:
    """A fingerprint of a record as sent: equal for the same content, whatever its key
    order or the way its numbers are written (`1.50` and `1.5` are one number to DynamoDB).

    >>> record_digest({"a": Decimal("1.50"), "b": "x"}) == record_digest({"b": "x", "a": 1.5})
    True
    >>> record_digest({"a": 1}) == record_digest({"a": "1"})
    False
    """
    canonical = json.dumps(_canonical(record), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _canonical(value: Any) -> Any:
    """`value` with each scalar tagged by its kind and numbers in one normal form."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal | float):
        number = Decimal(str(value))
        # Every digit kept: the default context would round past the 28th, and DynamoDB
        # holds 38 (two numbers that differ there are two numbers).
        return "n:" + str(number.normalize(Context(prec=max(len(number.as_tuple().digits), 1))))
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, list):
        return [_canonical(element) for element in value]
    if isinstance(value, dict):
        return {name: _canonical(element) for name, element in sorted(value.items())}
    raise TypeError(f"{type(value).__name__} is not a value JSON parses to")


def order_item(record: Mapping[str, Any], *, ttl: int, posted_at: int) -> dict[str, Any]:
    """A record as the table keeps it while open: the record, then the service's attributes."""
    return {
        **record,
        TTL: ttl,
        POSTED_AT: posted_at,
        OPEN_SHARD: open_shard(record["record_id"]),
        DIGEST: record_digest(record),
    }


@attrs.frozen
class StoredOrder:
    """What a POST needs to know of an order the table holds already."""

    digest: str
    ttl: int
    decided: bool

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> StoredOrder:
        return cls(digest=item.get(DIGEST, ""), ttl=int(item[TTL]), decided=OUTCOME in item)

    def live(self, now: float) -> bool:
        return self.ttl > now


@attrs.frozen
class WritePlan:
    """What a POST writes: new items outright, changed open ones only if still open."""

    new: tuple[dict[str, Any], ...]
    amended: tuple[dict[str, Any], ...]
    unchanged: tuple[str, ...]
    already_decided: tuple[str, ...]
    earliest_expiry: int | None = None  # of the batch's orders open once written

    @property
    def stored(self) -> int:
        return len(self.new) + len(self.amended)

    @property
    def amended_ids(self) -> tuple[str, ...]:
        return tuple(item["record_id"] for item in self.amended)


def plan_writes(
    batch: OrderBatch, stored: Mapping[str, StoredOrder], *, now: float, ttl: int
) -> WritePlan:
    """Sort a valid batch against what the table holds (`stored`, by record_id).

    A record the table does not hold, or holds expired, is new. One it holds open is left
    as it is when identical, replaced when changed. One it holds decided keeps its
    outcome and is not sent to the auction again: resent identically it is reported as
    decided, changed it is refused (`DecidedOrderChangedError`), and nothing is written.
    """
    new, amended, unchanged, decided, refused = [], [], [], [], []
    expiries = []
    posted_at = int(now * 1000)
    for record in batch.records:
        record_id = record["record_id"]
        held = stored.get(record_id)
        if held is None or not held.live(now):
            new.append(order_item(record, ttl=ttl, posted_at=posted_at))
            continue
        same = held.digest == record_digest(record)
        if held.decided:
            (decided if same else refused).append(record_id)
        elif same:
            unchanged.append(record_id)
            expiries.append(held.ttl)  # left as it is: its expiry too
        else:
            amended.append(order_item(record, ttl=ttl, posted_at=posted_at))
    if refused:
        raise DecidedOrderChangedError(tuple(refused))
    if new or amended:
        expiries.append(ttl)
    return WritePlan(
        tuple(new), tuple(amended), tuple(unchanged), tuple(decided), min(expiries, default=None)
    )


def describe(item: Mapping[str, Any], *, now: float) -> dict[str, Any] | None:
    """An order as a client reads it (GET /orders/{record_id}); None once it expired.

    >>> item = {"record_id": "a", "x": 1, "ttl": 200, "posted_at": 100000, "open_shard": 3}
    >>> describe(item, now=150)["status"], describe(item, now=150)["order"]
    ('open', {'record_id': 'a', 'x': 1})
    >>> describe(item, now=200) is None
    True
    """
    if int(item[TTL]) <= now:
        return None
    outcome = item.get(OUTCOME)
    return {
        "record_id": item["record_id"],
        "status": outcome["status"] if outcome else "open",
        "order": {k: v for k, v in item.items() if k not in RESERVED_ATTRIBUTES},
        "posted_at": item[POSTED_AT],
        "expires_at": item[TTL],
        "outcome": outcome,
    }
