"""The auction: what the system asks of an auction platform, and the simulated one.

The contract (a port, `AuctionPlatform`): for a run, the system submits the orders open
at the run's start and asks for results. The platform answers "not ready" (the seed's
`{"results": false}`; it will be asked again, with the same orders, after a wait) or
decides each submitted order exactly once, in the seed's shape naming the order:
`{"record_id": ..., "status": "accepted" | "rejected", "power": ...}`. A real platform's
client implements `results` and nothing else changes: not the handlers, not the workflow.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

import attrs

from domain.errors import InvalidAuctionResultsError, InvalidOrderResultError
from domain.orders import POSTED_AT, RESERVED_ATTRIBUTES


class OrderStatus(enum.Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@attrs.frozen
class OrderResult:
    """What the auction decided for one order, and the power it concerns.

    `record_id` names the order; the seed's bare shape (`{"status", "power"}`) has none.
    """

    status: OrderStatus
    power: int | Decimal
    record_id: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The contract's shape, with plain JSON numbers."""
        named = {"record_id": self.record_id} if self.record_id is not None else {}
        return {**named, "status": self.status.value, "power": _json_number(self.power)}

    @classmethod
    def from_payload(cls, payload: Any) -> OrderResult:
        """Read one order result, or raise `InvalidOrderResultError` naming what is wrong."""
        if not isinstance(payload, dict):
            raise InvalidOrderResultError(f"an order result must be an object, not {payload!r}")
        try:
            status = OrderStatus(payload.get("status"))
        except ValueError:
            allowed = ", ".join(repr(s.value) for s in OrderStatus)
            raise InvalidOrderResultError(
                f"status must be one of {allowed}, not {payload.get('status')!r}"
            ) from None
        power = payload.get("power")
        if isinstance(power, bool) or not isinstance(power, int | float | Decimal):
            raise InvalidOrderResultError(f"power must be a number, not {power!r}")
        record_id = payload.get("record_id")
        if record_id is not None and (not isinstance(record_id, str) or not record_id):
            raise InvalidOrderResultError(f"record_id must be a non-empty string: {record_id!r}")
        return cls(
            status=status,
            power=power if isinstance(power, int) else Decimal(str(power)),
            record_id=record_id,
        )


@attrs.frozen
class OpenOrder:
    """An order submitted to the auction: its id, when it was posted, what the client sent."""

    record_id: str
    posted_at: int  # epoch milliseconds
    attributes: Mapping[str, Any]

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> OpenOrder:
        """An open order's item as the auction is given it: what the client sent."""
        return cls(
            record_id=item["record_id"],
            posted_at=int(item[POSTED_AT]),
            attributes={k: v for k, v in item.items() if k not in RESERVED_ATTRIBUTES},
        )


@attrs.frozen
class AuctionResults:
    """The platform's answer for a run: not ready yet, or one decision per submitted order."""

    ready: bool
    orders: tuple[OrderResult, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        """The seed's shape: `{"results": false}` or `{"results": true, "orders": [...]}`."""
        if not self.ready:
            return {"results": False}
        return {"results": True, "orders": [order.to_payload() for order in self.orders]}


NOT_READY = AuctionResults(ready=False)


class AuctionPlatform(Protocol):
    """What the system asks of an auction platform (see the module's docstring)."""

    def results(self, run_id: str, orders: Sequence[OpenOrder]) -> AuctionResults:
        """Results for `run_id`, whose submitted orders are `orders`: not ready, or decided."""
        ...


def check_results(orders: Sequence[OpenOrder], results: AuctionResults) -> None:
    """Raise `InvalidAuctionResultsError` unless every submitted order is decided once.

    >>> order = OpenOrder("a", 0, {"record_id": "a"})
    >>> check_results([order], AuctionResults(True, (OrderResult(OrderStatus.ACCEPTED, 1),)))
    Traceback (most recent call last):
    ...
    domain.errors.InvalidAuctionResultsError: 1 decision(s) name no order: None
    """
    if not results.ready:
        return
    submitted = {order.record_id for order in orders}
    decided = [result.record_id for result in results.orders]
    unknown = [record_id for record_id in decided if record_id not in submitted]
    if unknown:
        raise InvalidAuctionResultsError(
            f"{len(unknown)} decision(s) name no order: {', '.join(map(str, unknown[:5]))}"
        )
    if len(set(decided)) != len(decided):
        raise InvalidAuctionResultsError("an order is decided more than once")
    missing = submitted.difference(decided)
    if missing:
        raise InvalidAuctionResultsError(
            f"{len(missing)} submitted order(s) not decided: {', '.join(sorted(missing)[:5])}"
        )


def _json_number(number: int | Decimal) -> int | float:
    """A number as the standard json module writes it: integral stays int."""
    if isinstance(number, int) or number == number.to_integral_value():
        return int(number)
    return float(number)


@attrs.define
class SimulatedAuctionPlatform:
    """Stands in for the real auction platform, as the original Lambda A did.

    Results are ready at random (`ready_probability` of the time), as in the original.
    When ready, each order is decided on its own: rejected with `rejection_probability`,
    otherwise accepted for the `power` the order asks (its own numeric `power`
    attribute) or, lacking one, a drawn 1 to 100. With a `seed`, both the readiness
    sequence and every order's decision replay exactly.
    """

    seed: int | None = None
    ready_probability: float = attrs.field(default=0.5)
    rejection_probability: float = attrs.field(default=0.2)
    _rng: random.Random = attrs.field(init=False)

    @ready_probability.validator
    @rejection_probability.validator
    def _between_zero_and_one(self, attribute: Any, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{attribute.name} must be within [0, 1], not {value}")

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311  (a simulation, not a secret)

    def results(self, run_id: str, orders: Sequence[OpenOrder]) -> AuctionResults:
        if self._rng.random() >= self.ready_probability:
            return NOT_READY
        return AuctionResults(ready=True, orders=tuple(self.decide(order) for order in orders))

    def decide(self, order: OpenOrder) -> OrderResult:
        """One order's decision: the same for the same seed and record_id, in any run."""
        seed = self.seed if self.seed is not None else self._rng.random()
        draw = random.Random(f"{seed}/{order.record_id}")  # noqa: S311
        rejected = draw.random() < self.rejection_probability
        asked = order.attributes.get("power")
        power = asked if _is_power(asked) else draw.randint(1, 100)
        status = OrderStatus.REJECTED if rejected else OrderStatus.ACCEPTED
        return OrderResult(status=status, power=power, record_id=order.record_id)


def _is_power(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool) and value > 0
