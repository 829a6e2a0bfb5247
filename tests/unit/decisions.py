"""Deciding orders in a test as an auction run does: through Lambda B's own code."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from domain.auction import OrderResult, OrderStatus
from domain.results import Decision, RunRef
from emulator.lambda_runtime import cold_start


def record_decisions(
    table: Any, record_ids: Iterable[str], status: str = "accepted", *, run_id: str = "run-1"
) -> RunRef:
    """Record each order's outcome as Lambda B does (its conditional update, which takes it
    out of the open orders), for the order as the table holds it now; the run used."""
    run = RunRef(run_id, datetime.now(UTC))
    # Lambda B's clients are made once per container; the results bucket is not used here.
    bucket = os.environ.get("RESULTS_BUCKET_NAME", "no-documents-in-these-tests")
    with mock.patch.dict(os.environ, {"RESULTS_BUCKET_NAME": bucket}):
        lambda_b = cold_start("handlers.store_result")
        for record_id in record_ids:
            item = table.get_item(Key={"record_id": record_id}, ConsistentRead=True)["Item"]
            result = OrderResult(OrderStatus(status), 4, record_id)
            decision = Decision(result, posted_at=int(item["posted_at"]))
            assert lambda_b._record_outcome(decision, run), f"{record_id} was not recorded"
    return run
