"""A Lambda handler for the emulation's own tests: a proxy answer with the body asked for."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": event["character"] * event["count"]}
