"""Lambda handlers for the emulation's and the release's own tests: stand-ins for a
function, answering as asked, or as a broken release would."""

from __future__ import annotations

from typing import Any


def sized(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A proxy answer whose body is `count` times `character`."""
    return {"statusCode": 200, "body": event["character"] * event["count"]}


def failing(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A release that fails every call."""
    raise RuntimeError("this release is broken")


def accepting_everything(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A release that lost its validation: every batch stored, every order found."""
    return {"statusCode": 201 if event["httpMethod"] == "POST" else 200, "body": "{}"}
