"""The auction's results, as Lambda A reports them, and the simulated auction platform."""

from __future__ import annotations

import enum
import random
from decimal import Decimal
from typing import Any

import attrs

from domain.errors import InvalidOrderResultError


class OrderStatus(enum.Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@attrs.frozen
class OrderResult:
    """What the auction decided for one order, and the power it concerns."""

    status: OrderStatus
    power: int | Decimal

    def to_payload(self) -> dict[str, Any]:
        """The contract's shape, with plain JSON numbers."""
        return {"status": self.status.value, "power": _json_number(self.power)}

    @classmethod
    def from_payload(cls, payload: Any) -> OrderResult:
        """Read one order result of Lambda A's output, or raise `InvalidOrderResultError`."""
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
        return cls(status=status, power=power if isinstance(power, int) else Decimal(str(power)))


@attrs.frozen
class AuctionResults:
    """Lambda A's answer: not ready yet, or ready with one result per order."""

    ready: bool
    orders: tuple[OrderResult, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        """The contract's shape: `{"results": false}` or `{"results": true, "orders": [...]}`."""
        if not self.ready:
            return {"results": False}
        return {"results": True, "orders": [order.to_payload() for order in self.orders]}


def _json_number(number: int | Decimal) -> int | float:
    """A number as the standard json module writes it: integral stays int."""
    if isinstance(number, int) or number == number.to_integral_value():
        return int(number)
    return float(number)


NOT_READY = AuctionResults(ready=False)

# What the original auction stub answered once results were ready.
SEED_ORDER_RESULTS = (
    OrderResult(OrderStatus.ACCEPTED, 1),
    OrderResult(OrderStatus.REJECTED, 2),
)


@attrs.define
class SimulatedAuctionPlatform:
    """Stands in for the real auction platform, as the original Lambda A did.

    Results are ready at random (`ready_probability` of the time); when ready, they are the
    seed's accepted and rejected order. The random source is passed in, so a seed replays
    the same sequence.
    """

    rng: random.Random
    ready_probability: float = attrs.field(default=0.5)

    @ready_probability.validator
    def _between_zero_and_one(self, _attribute: Any, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"ready_probability must be within [0, 1], not {value}")

    def results(self) -> AuctionResults:
        if self.rng.random() >= self.ready_probability:
            return NOT_READY
        return AuctionResults(ready=True, orders=SEED_ORDER_RESULTS)
