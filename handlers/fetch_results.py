"""Lambda A: the auction's results, or "not ready yet" (`{"results": false}`).

The auction platform is simulated, as in the original: results are ready at random.
`AUCTION_SIMULATION_SEED` replays a fixed sequence (the local demo uses it) and
`AUCTION_READY_PROBABILITY` sets how often results are ready (default 0.5).
"""

from __future__ import annotations

import functools
import os
import random
from typing import Any

from domain.auction import SimulatedAuctionPlatform
from handlers import observability

observability.install_tracing()


@functools.cache
def _platform() -> SimulatedAuctionPlatform:
    seed = os.environ.get("AUCTION_SIMULATION_SEED")
    return SimulatedAuctionPlatform(
        rng=random.Random(int(seed)) if seed else random.Random(),  # noqa: S311  (a simulation, not a secret)
        ready_probability=float(os.environ.get("AUCTION_READY_PROBABILITY", "0.5")),
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with observability.traced("auction_results"):
        results = _platform().results()
    observability.log_request(
        context, "auction results fetched", ready=results.ready, orders=len(results.orders)
    )
    return results.to_payload()
