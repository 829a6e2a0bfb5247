"""What to do with each order's decision: the document stored, the outcome recorded.

An accepted order is stored as a JSON document carrying its `record_id`, at a key derived
from the record_id and the day of the run that decided it, so a retry or a re-drive finds
the same key (and leaves the first document stored). Every decided order's item records
its `Outcome`. The seed's contract stands for one order handed over alone: accepted, it is
stored; rejected, `decide` raises `OrderRejectedError`.
"""

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
class RunRef:
    """The auction run a decision came from."""

    run_id: str = attrs.field()
    started_at: datetime = attrs.field()

    @run_id.validator
    def _not_empty(self, _attribute: Any, value: str) -> None:
        if not value:
            raise ValueError("run_id must not be empty")

    @classmethod
    def from_payload(cls, payload: Any) -> RunRef:
        """`{"id": ..., "started_at": "<ISO 8601>"}`, as the workflow passes it."""
        try:
            return cls(str(payload["id"]), datetime.fromisoformat(payload["started_at"]))
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidOrderResultError(f"the run is malformed: {error!r}") from None


@attrs.frozen
class Decision:
    """One order's decision as a run hands it on: the platform's answer, for which posting."""

    result: OrderResult
    posted_at: int  # the order's posted_at when it was submitted: a re-posted order differs

    def to_payload(self) -> dict[str, Any]:
        return {**self.result.to_payload(), "posted_at": self.posted_at}

    @classmethod
    def from_payload(cls, payload: Any) -> Decision:
        result = OrderResult.from_payload(payload)
        posted_at = payload.get("posted_at")
        if result.record_id is None or type(posted_at) is not int:
            raise InvalidOrderResultError(
                f"a decision needs a record_id and an integer posted_at: {payload!r}"
            )
        return cls(result=result, posted_at=posted_at)


@attrs.frozen
class Outcome:
    """The decision as the order's item records it."""

    status: OrderStatus
    power: Any
    run_id: str
    run_started_at: str  # ISO 8601, UTC
    recorded_at: str  # ISO 8601, UTC: when this outcome was recorded
    result_key: str | None  # where the accepted order's document is

    def to_item_value(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "power": self.power,
            "run_id": self.run_id,
            "run_started_at": self.run_started_at,
            "recorded_at": self.recorded_at,
            "result_key": self.result_key,
        }


@attrs.frozen
class StoreOrder:
    """An accepted order's document and the key it goes under."""

    key: str
    document: dict[str, Any]


def accepted_document(result: OrderResult, run: RunRef, posted_at: int | None = None) -> StoreOrder:
    """The document of an accepted order decided in `run` (for its posting at `posted_at`).

    >>> at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    >>> result = OrderResult(OrderStatus.ACCEPTED, 4, "id/1")
    >>> accepted_document(result, RunRef("r-1", at), posted_at=1795000000123).key
    'orders/2026/11/24/id%2F1-1795000000123.json'
    """
    assert result.status is OrderStatus.ACCEPTED
    assert result.record_id is not None
    return StoreOrder(
        key=result_key(result.record_id, day=run.started_at, posted_at=posted_at),
        document={
            **result.to_payload(),
            "run_id": run.run_id,
            "run_started_at": _iso(run.started_at),
        },
    )


def outcome(decision: Decision, run: RunRef, *, now: datetime) -> Outcome:
    """What the order's item records of its decision, recorded at `now`."""
    result = decision.result
    stored = result.status is OrderStatus.ACCEPTED and result.record_id is not None
    key = result_key(result.record_id, day=run.started_at, posted_at=decision.posted_at)
    return Outcome(
        status=result.status,
        power=result.power,
        run_id=run.run_id,
        run_started_at=_iso(run.started_at),
        recorded_at=_iso(now),
        result_key=key if stored else None,
    )


def result_key(record_id: str, *, day: datetime, posted_at: int | None = None) -> str:
    """The key of an accepted order's document: its record_id and posting, under its run's
    day. One posting of an order is decided once, so it has one key.

    Percent-encoding keeps every record_id one key segment, and distinct ones distinct.
    """
    posting = f"-{posted_at}" if posted_at is not None else ""
    return f"{RESULTS_PREFIX}{_utc(day):%Y/%m/%d}/{quote(record_id, safe='')}{posting}.json"


@attrs.frozen
class StoreRequest:
    """Lambda B handed one order (the seed's contract), and the run it came from if any."""

    order: OrderResult
    run: RunRef | None = None


def parse_store_request(event: Any) -> StoreRequest:
    """Read `{"order": {...}, "run": {...}}` or a bare order (the seed's shape).

    >>> parse_store_request({"status": "accepted", "power": 1}).run is None
    True
    """
    if isinstance(event, dict) and "order" in event:
        return StoreRequest(
            order=OrderResult.from_payload(event["order"]),
            run=RunRef.from_payload(event.get("run")),
        )
    return StoreRequest(order=OrderResult.from_payload(event))


def decide(request: StoreRequest, *, now: datetime, unique_id: str) -> StoreOrder:
    """Accepted: store it (keyed by record_id, or uniquely when it has none). Rejected:
    raise `OrderRejectedError`, as the seed's Lambda B did.

    >>> at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    >>> decide(StoreRequest(OrderResult(OrderStatus.ACCEPTED, 1)), now=at, unique_id="ab12").key
    'orders/2026/11/24/order_20261124T090000000Z_ab12.json'
    """
    order = request.order
    if order.status is OrderStatus.REJECTED:
        raise OrderRejectedError(rejected_order_alert(order, request.run), order)
    run = request.run or RunRef("none", now)
    if order.record_id is not None:
        return accepted_document(order, run)
    now = _utc(now)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    key = f"{RESULTS_PREFIX}{now:%Y/%m/%d}/order_{stamp}_{quote(unique_id, safe='')}.json"
    return StoreOrder(key=key, document=order.to_payload())


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
