"""How long the workflow waits between asking for auction results that are not ready."""

from __future__ import annotations

from typing import Any

import attrs


def _positive(_instance: Any, attribute: attrs.Attribute, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, not {value}")


@attrs.frozen
class PollingPolicy:
    """Exponential backoff, capped per wait and bounded in attempts.

    >>> PollingPolicy(first_delay_seconds=30, max_delay_seconds=300, max_attempts=6).delays()
    (30, 60, 120, 240, 300)
    """

    first_delay_seconds: int = attrs.field(validator=_positive)
    max_delay_seconds: int = attrs.field(validator=_positive)
    max_attempts: int = attrs.field(validator=attrs.validators.ge(1))
    backoff_rate: float = attrs.field(default=2.0, validator=attrs.validators.ge(1.0))

    def delays(self) -> tuple[int, ...]:
        """The wait before each attempt after the first: one fewer than the attempts."""
        return tuple(
            min(self.max_delay_seconds, round(self.first_delay_seconds * self.backoff_rate**n))
            for n in range(self.max_attempts - 1)
        )

    def total_wait_seconds(self) -> int:
        """The longest a run waits for results before it gives up."""
        return sum(self.delays())
