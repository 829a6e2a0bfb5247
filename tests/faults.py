"""Injecting AWS faults into real boto3 clients, through botocore's own event hooks.

A `before-call` handler that returns a response short-circuits the HTTP call, so the
client (and everything above it) sees exactly what AWS would have answered. It also
short-circuits botocore's own retries: each API call meets the fault once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import boto3
from botocore.awsrequest import AWSResponse

Response = tuple[AWSResponse, dict[str, Any]] | None


def _http(status: int) -> AWSResponse:
    return AWSResponse(url="https://fault.invalid", status_code=status, headers={}, raw=None)


def error_response(code: str, status: int = 400) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "fault", "RetryAttempts": 0},
    }
    return _http(status), parsed


def all_unprocessed(params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    """A BatchWriteItem answer that wrote nothing and hands every request back."""
    return _http(200), {
        "UnprocessedItems": json.loads(params["body"])["RequestItems"],
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


@attrs.define
class Fault:
    """Answer `service`'s `operation` with `respond(params)` the first `times` calls
    (None: every call); other calls go through."""

    events: Any  # a botocore event emitter
    service: str  # hyphenized service id: "dynamodb", "s3", "sns"
    operation: str
    respond: Callable[[dict[str, Any]], Response]
    times: int | None = None
    calls: int = 0
    injected: int = 0

    def __attrs_post_init__(self) -> None:
        self.events.register(f"before-call.{self.service}.{self.operation}", self._hook)

    def _hook(self, params: dict[str, Any], **_: Any) -> Response:
        self.calls += 1
        if self.times is not None and self.injected >= self.times:
            return None
        self.injected += 1
        return self.respond(params)


def on_client(client: Any, operation: str, respond: Callable, times: int | None = None) -> Fault:
    """A fault on one client."""
    service = client.meta.service_model.service_id.hyphenize()
    return Fault(client.meta.events, service, operation, respond, times)


def everywhere(service: str, operation: str, respond: Callable, times: int | None = None) -> Fault:
    """A fault on every client made from now on from boto3's default session: the
    handlers' clients, and those of moto's workflow engine.

    Undo with `boto3.DEFAULT_SESSION = None`.
    """
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return Fault(boto3.DEFAULT_SESSION.events, service, operation, respond, times)
