"""The errors the domain raises; each maps to one answer at the edge."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.auction import OrderResult
    from domain.orders import Problem


class DomainError(Exception):
    """Base of every error the domain raises."""


class InvalidBatchError(DomainError):
    """An order batch broke rules: `problems` names each (the first ones), `total` counts all."""

    def __init__(self, problems: tuple[Problem, ...], total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total
        super().__init__(f"{self.total} problem(s) in the order batch")


class BatchTooLargeError(DomainError):
    """An order batch is over the byte or record limit."""


class DecidedOrderChangedError(DomainError):
    """A batch changes orders the auction has already decided: `record_ids` names them."""

    def __init__(self, record_ids: tuple[str, ...]) -> None:
        self.record_ids = record_ids
        super().__init__(f"{len(record_ids)} order(s) already decided by the auction differ")


class InvalidOrderResultError(DomainError):
    """An order result from the auction does not follow the contract."""


class InvalidAuctionResultsError(DomainError):
    """The auction platform's answer for a run does not decide each submitted order once."""


class OrderRejectedError(DomainError):
    """The auction rejected an order; Step Functions matches on this class name."""

    def __init__(self, message: str, order: OrderResult) -> None:
        self.order = order
        super().__init__(message)
