"""What an alert says, so that a person reading Slack knows what failed and where."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.auction import OrderResult
    from domain.results import RunPosition


def rejected_order_alert(order: OrderResult, where: RunPosition | None) -> str:
    """The text of the alert for an order the auction rejected.

    >>> from domain.auction import OrderResult, OrderStatus
    >>> rejected_order_alert(OrderResult(OrderStatus.REJECTED, 2), None)
    'Order rejected by the auction: power 2'
    """
    return f"Order rejected by the auction: power {order.power}{_located(where)}"


def failed_order_alert(order: OrderResult, where: RunPosition | None, error: str) -> str:
    """The text of the alert for an order that could not be stored."""
    return f"Order could not be stored: power {order.power}{_located(where)}: {error}"


def _located(where: RunPosition | None) -> str:
    if where is None:
        return ""
    return f" (order {where.position} of auction run {where.run_id})"
