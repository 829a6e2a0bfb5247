"""POST /orders (the seed's POST lambda): validate a batch of orders and store it for 24 h.

201: every record stored. 400: the batch broke rules, each named, and nothing was written.
405: not a POST. 413: over the size limits. 503: the table did not take every record in
time; some may be stored, and sending the same batch again is safe (`record_id` is the key).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import time
from typing import Any

from botocore.config import Config

from domain.errors import BatchTooLargeError, InvalidBatchError
from domain.expiry import expires_at
from domain.orders import Problem, parse_order_batch
from handlers import aws_clients, observability
from handlers.table_writer import write_items

observability.install_tracing()

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


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = event.get("httpMethod")
    if method != "POST":
        return _answer(405, {"message": f"{method} is not allowed here; use POST"}, Allow="POST")
    try:
        batch = parse_order_batch(_body(event))
    except BatchTooLargeError as error:
        return _logged(context, _answer(413, {"message": str(error)}))
    except InvalidBatchError as error:
        return _logged(context, _answer(400, _problems(error)))

    ttl = expires_at(time.time())
    client, table_name = _orders_table()
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - WORST_CALL_SECONDS
    with observability.traced("store_orders", records=len(batch.records)):
        outcome = write_items(
            client, table_name, batch.items(ttl), key="record_id", deadline=deadline
        )
    if not outcome.complete:
        answer = _answer(
            503,
            {
                "message": "the orders table did not confirm every record in time; "
                "send the same batch again (it is safe to repeat)",
                "unconfirmed_record_ids": list(outcome.unwritten),
            },
            **{"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        return _logged(context, answer, requests=outcome.requests)
    answer = _answer(201, {"stored": len(batch.records), "expires_at": ttl})
    return _logged(context, answer, records=len(batch.records), requests=outcome.requests)


def _body(event: dict[str, Any]) -> str | bytes:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        problem = Problem(None, None, "the body is flagged base64-encoded but is not")
        raise InvalidBatchError((problem,)) from None


def _problems(error: InvalidBatchError) -> dict[str, Any]:
    return {
        "message": "the order batch was rejected; nothing was stored",
        "problem_count": error.total,
        "problems": [problem.to_dict() for problem in error.problems],
    }


def _answer(status: int, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": json.dumps(body),
    }


def _logged(context: Any, answer: dict[str, Any], **fields: Any) -> dict[str, Any]:
    observability.log_request(context, "POST /orders", status=answer["statusCode"], **fields)
    return answer
