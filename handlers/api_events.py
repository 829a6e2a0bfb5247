"""What the API handlers share: reading API Gateway's proxy event, writing its answer."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from domain.errors import InvalidBatchError
from domain.orders import Problem
from handlers import observability
from handlers.json_text import exact_json


def body_of(event: dict[str, Any]) -> str | bytes:
    """The request body, decoded when API Gateway flagged it base64-encoded."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        problem = Problem(None, None, "the body is flagged base64-encoded but is not")
        raise InvalidBatchError((problem,)) from None


def answer(status: int, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    """A proxy integration's answer: JSON, numbers exactly as stored."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": exact_json(body),
    }


def wrong_method(method: str | None, allowed: str) -> dict[str, Any]:
    return answer(405, {"message": f"{method} is not allowed here; use {allowed}"}, Allow=allowed)


def logged(context: Any, route: str, response: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """`response`, after one log line saying how the request was answered."""
    observability.log_request(context, route, status=response["statusCode"], **fields)
    return response
