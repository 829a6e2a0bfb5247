"""POST /orders (the seed's POST lambda): validate a batch of orders and store it for 24 h.

201: every record is held: new ones stored, changed open ones replaced, resent ones left
as they were, decided ones with their outcome. 400: the batch broke rules, each named,
and nothing was written. 405: not a POST. 409: the batch changes orders the auction has
decided. 413: over the size limits. 503: the table did not confirm every record in
time; some may be stored, and sending the same batch again is safe.

Every answer stays well within Lambda's 6 MB response: it lists at most 1,000 problems
or record_ids, with a count of all, and each problem's texts are shortened
(`domain.orders.BatchLimits`).
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from botocore.config import Config

from domain.errors import BatchTooLargeError, DecidedOrderChangedError, InvalidBatchError
from domain.expiry import expires_at
from domain.lifecycle import WritePlan, plan_writes
from domain.metrics import Metric
from domain.orders import DEFAULT_LIMITS, OrderBatch, parse_order_batch
from handlers import aws_clients, observability
from handlers.api_events import answer, body_of, logged, wrong_method
from handlers.backoff import Backoff
from handlers.table_reader import ReadIncompleteError, read_stored
from handlers.table_writer import put_unless_decided, write_items

observability.install_tracing()

ROUTE = "POST /orders"
# One DynamoDB call may take at most ATTEMPTS * (CONNECT + READ) seconds plus botocore's
# short backoff; no new call starts with less than that left, so the answer beats the
# Lambda timeout (itself under API Gateway's 29 s).
_CONNECT_TIMEOUT_SECONDS = 1
_READ_TIMEOUT_SECONDS = 3
_ATTEMPTS_PER_CALL = 2
WORST_CALL_SECONDS = _ATTEMPTS_PER_CALL * (_CONNECT_TIMEOUT_SECONDS + _READ_TIMEOUT_SECONDS) + 1
RETRY_AFTER_SECONDS = 5


@functools.cache
def _orders_table() -> tuple[Any, str]:
    """The DynamoDB client and table name, built once per container."""
    client = aws_clients.client(
        "dynamodb",
        config=Config(
            connect_timeout=_CONNECT_TIMEOUT_SECONDS,
            read_timeout=_READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": _ATTEMPTS_PER_CALL},
        ),
    )
    return client, os.environ["ORDERS_TABLE_NAME"]


@observability.invocation
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = event.get("httpMethod")
    if method != "POST":
        return wrong_method(method, "POST")
    try:
        batch = parse_order_batch(body_of(event))
    except BatchTooLargeError as error:
        return logged(context, ROUTE, answer(413, {"message": str(error)}))
    except InvalidBatchError as error:
        return logged(context, ROUTE, answer(400, _problems(error)))
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - WORST_CALL_SECONDS
    try:
        return _store(batch, context, Backoff.until(deadline))
    except ReadIncompleteError:
        return logged(context, ROUTE, not_confirmed(batch.record_ids))
    except DecidedOrderChangedError as error:
        return logged(context, ROUTE, decided_changed(error.record_ids, stored=0))


def _store(batch: OrderBatch, context: Any, backoff: Backoff) -> dict[str, Any]:
    """Read what the table holds of the batch, then write what differs from it."""
    now = time.time()
    ttl = expires_at(now)  # of what is stored now
    client, table_name = _orders_table()
    with observability.traced("read_orders", records=len(batch.records)):
        held = read_stored(client, table_name, batch.record_ids, backoff=backoff)
    plan: WritePlan = plan_writes(batch, held, now=now, ttl=ttl)
    with observability.traced("store_orders", records=plan.stored):
        amended = put_unless_decided(client, table_name, plan.amended, backoff=backoff)
        new = write_items(client, table_name, plan.new, backoff=backoff)
    fields = {"records": len(batch.records), "requests": backoff.requests}
    unwritten = amended.unwritten + new.unwritten
    if amended.decided:
        stored = plan.stored - len(amended.decided) - len(unwritten)
        answer_409 = decided_changed(amended.decided, stored=stored, unconfirmed=unwritten)
        return logged(context, ROUTE, answer_409, **fields)
    if unwritten:
        return logged(context, ROUTE, not_confirmed(unwritten), **fields)
    body = {
        "stored": plan.stored,
        "unchanged": len(plan.unchanged),
        "already_decided": len(plan.already_decided),
        # The first of the batch's open orders to expire: one stored now lives 24 h, one
        # left as it was keeps its own expiry. None: every order is decided.
        "expires_at": plan.earliest_expiry,
    }
    # Counted on a 201 only: what was refused (the synthetic check's 400 every 5 minutes,
    # the pre-traffic check's) or not confirmed is not an order posted.
    observability.put_metrics(
        {Metric.ORDERS_POSTED: plan.stored + len(plan.unchanged) + len(plan.already_decided)}
    )
    return logged(context, ROUTE, answer(201, body), **fields)


def _problems(error: InvalidBatchError) -> dict[str, Any]:
    return {
        "message": "the order batch was rejected; nothing was stored",
        "problem_count": error.total,
        "problems": [problem.to_dict() for problem in error.problems],
    }


def decided_changed(
    record_ids: tuple[str, ...], *, stored: int, unconfirmed: tuple[str, ...] = ()
) -> dict[str, Any]:
    """409: the batch changes orders the auction decided (`record_ids`)."""
    message = "the auction has decided these orders, which cannot change; " + (
        "nothing was stored" if stored == 0 else f"the batch's other {stored} record(s) were stored"
    )
    body = {"message": message, "decided_count": len(record_ids), "record_ids": _listed(record_ids)}
    if unconfirmed:  # not confirmed in time either: the client sends them again
        body |= {
            "unconfirmed_count": len(unconfirmed),
            "unconfirmed_record_ids": _listed(unconfirmed),
        }
    return answer(409, body)


def not_confirmed(record_ids: tuple[str, ...]) -> dict[str, Any]:
    """503: the table did not confirm these records in time."""
    return answer(
        503,
        {
            "message": "the orders table did not confirm every record in time; "
            "send the same batch again (it is safe to repeat)",
            "unconfirmed_count": len(record_ids),
            "unconfirmed_record_ids": _listed(record_ids),
        },
        **{"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _listed(record_ids: tuple[str, ...]) -> list[str]:
    """The first of `record_ids`, as many as an answer lists (its count says how many)."""
    return list(record_ids[: DEFAULT_LIMITS.max_listed_record_ids])
