"""The local emulation of one stage, built from the app synthesized once per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from emulator.system import LocalAuctionSystem


@pytest.fixture
def local_system(synthesized) -> Callable[..., AbstractContextManager[LocalAuctionSystem]]:
    """Start the Dev stage locally: `with local_system(lambda_a={...}) as system:`."""

    def start(*, lambda_a: dict[str, str] | None = None, **options: Any) -> LocalAuctionSystem:
        environment = {"handlers.fetch_results": lambda_a or {}}
        return LocalAuctionSystem(synthesized.outdir, function_environment=environment, **options)

    return start


@pytest.fixture
def dev_system(local_system) -> Iterator[LocalAuctionSystem]:
    with local_system(lambda_a={"AUCTION_READY_PROBABILITY": "1"}) as system:
        yield system
