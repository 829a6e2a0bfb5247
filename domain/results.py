"""What to do with one order result, and where a stored result goes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import attrs

from domain.alerts import rejected_order_alert
from domain.auction import OrderResult, OrderStatus
from domain.errors import InvalidOrderResultError, OrderRejectedError

RESULTS_PREFIX = "orders/"


@attrs.frozen
class RunPosition:
    """Which auction run an order result came from, and its place in that run's list."""

    run_id: str = attrs.field()
    started_at: datetime = attrs.field()
    position: int = attrs.field(validator=attrs.validators.ge(0))

    @run_id.validator
    def _not_empty(self, _attribute: Any, value: str) -> None:
        if not value:
            raise ValueError("run_id must not be empty")


@attrs.frozen
class StoreRequest:
    """Lambda B's input: one order result, and where it sits when a workflow run sent it."""

    order: OrderResult
    where: RunPosition | None = None


@attrs.frozen
class StoreOrder:
    """The decision for an accepted order: this document under this key."""

    key: str
    document: dict[str, Any]


def parse_store_request(event: Any) -> StoreRequest:
    """Read Lambda B's event: `{"order": ..., "run": {...}, "position": n}` or a bare order.

    >>> parse_store_request({"status": "accepted", "power": 1}).where is None
    True
    """
    if isinstance(event, dict) and "order" in event:
        return StoreRequest(order=OrderResult.from_payload(event["order"]), where=_where(event))
    return StoreRequest(order=OrderResult.from_payload(event))


def _where(event: dict[str, Any]) -> RunPosition:
    try:
        run = event["run"]
        return RunPosition(
            run_id=str(run["id"]),
            started_at=datetime.fromisoformat(run["started_at"]),
            position=int(event["position"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidOrderResultError(f"the run and position are malformed: {error!r}") from None


def decide(request: StoreRequest, *, now: datetime, unique_id: str) -> StoreOrder:
    """Accepted: store it (see `result_key`). Rejected: raise `OrderRejectedError`."""
    order = request.order
    if order.status is OrderStatus.REJECTED:
        raise OrderRejectedError(rejected_order_alert(order, request.where), order)
    return StoreOrder(
        key=result_key(request.where, now=now, unique_id=unique_id),
        document=order.to_payload(),
    )


def result_key(where: RunPosition | None, *, now: datetime, unique_id: str) -> str:
    """The object key of a stored order result, under `orders/`, dated.

    From a workflow run, the key derives from the run and the position only, so storing
    the same order again (a retry) overwrites rather than duplicates. Without a run, a
    unique id keeps two orders stored in the same millisecond apart.

    >>> from datetime import UTC
    >>> at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    >>> result_key(RunPosition("run-1", at, 3), now=at, unique_id="x")
    'orders/2026/11/24/run-1/order-00003.json'
    >>> result_key(None, now=at, unique_id="ab12")
    'orders/2026/11/24/order_20261124T090000000Z_ab12.json'
    """
    if where is not None:
        day = _utc(where.started_at).strftime("%Y/%m/%d")
        return f"{RESULTS_PREFIX}{day}/{_key_part(where.run_id)}/order-{where.position:05d}.json"
    now = _utc(now)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    return f"{RESULTS_PREFIX}{now:%Y/%m/%d}/order_{stamp}_{_key_part(unique_id)}.json"


def _key_part(text: str) -> str:
    """`text` made safe for one key segment; percent-encoding keeps distinct texts distinct."""
    return quote(text, safe="")


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
