"""Injecting AWS faults into a real boto3 client, through botocore's own event hooks.

A `before-call` handler that returns a response short-circuits the HTTP call, so the
client (and everything above it) sees exactly what AWS would have answered.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
from botocore.awsrequest import AWSResponse


def _http(status: int) -> AWSResponse:
    return AWSResponse(url="https://fault.invalid", status_code=status, headers={}, raw=None)


def error_response(code: str, status: int = 400) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0},
    }
    return _http(status), parsed


@attrs.define
class Fault:
    """Answer `operation` with `respond(params)` the first `times` calls (None: always)."""

    client: Any
    operation: str
    respond: Any
    times: int | None = None
    calls: int = 0
    injected: int = 0

    def __attrs_post_init__(self) -> None:
        service = self.client.meta.service_model.service_id.hyphenize()
        self.client.meta.events.register(f"before-call.{service}.{self.operation}", self._hook)

    def _hook(self, params: dict[str, Any], **_: Any) -> Any:
        self.calls += 1
        if self.times is not None and self.injected >= self.times:
            return None
        self.injected += 1
        return self.respond(params)


def all_unprocessed(params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    """A BatchWriteItem answer that wrote nothing and hands every request back."""
    return _http(200), {
        "UnprocessedItems": json.loads(params["body"])["RequestItems"],
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
