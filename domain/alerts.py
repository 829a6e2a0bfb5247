"""What an alert says, so that a person reading Slack knows what failed and where."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.auction import OrderResult
    from domain.results import RunRef


def rejected_order_alert(order: OrderResult, run: RunRef | None) -> str:
    """The text of the error for an order the auction rejected, handed over alone.

    >>> from domain.auction import OrderResult, OrderStatus
    >>> rejected_order_alert(OrderResult(OrderStatus.REJECTED, 2), None)
    'Order rejected by the auction: power 2'
    """
    named = f" {order.record_id}" if order.record_id is not None else ""
    located = f" (auction run {run.run_id})" if run is not None else ""
    return f"Order{named} rejected by the auction: power {order.power}{located}"
