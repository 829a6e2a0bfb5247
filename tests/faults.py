"""Injecting AWS faults into real AWS clients, through botocore's own event hooks.

A `before-call` handler that returns a response short-circuits the HTTP call, so the
client (and everything above it) sees exactly what AWS would have answered. It also
short-circuits botocore's own retries: each API call meets the fault once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import botocore.session
import pytest
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


def unprocessed_keys(params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    """A BatchGetItem answer that read nothing and hands every key back."""
    return _http(200), {
        "Responses": {},
        "UnprocessedKeys": json.loads(params["body"])["RequestItems"],
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


@attrs.define
class Fault:
    """Answer `service`'s `operation` with `respond(params)` the first `times` calls
    (None: every call) on the clients it is attached to; other calls go through."""

    service: str  # hyphenized service id: "dynamodb", "s3", "sns"
    operation: str
    respond: Callable[[dict[str, Any]], Response]
    times: int | None = None
    calls: int = 0
    injected: int = 0

    def attach(self, events: Any) -> None:
        """Hook into a client's botocore event emitter."""
        events.register(f"before-call.{self.service}.{self.operation}", self._hook)

    def _hook(self, params: dict[str, Any], **_: Any) -> Response:
        self.calls += 1
        if self.times is not None and self.injected >= self.times:
            return None
        self.injected += 1
        return self.respond(params)


def on_client(client: Any, operation: str, respond: Callable, times: int | None = None) -> Fault:
    """A fault on one client."""
    fault = Fault(client.meta.service_model.service_id.hyphenize(), operation, respond, times)
    fault.attach(client.meta.events)
    return fault


def everywhere(
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    operation: str,
    respond: Callable,
    times: int | None = None,
) -> Fault:
    """A fault on every client created from now on, by boto3 or by botocore: the
    handlers' clients, and those of moto's workflow engine. Undone with `monkeypatch`."""
    fault = Fault(service, operation, respond, times)
    create_client = botocore.session.Session.create_client

    def create_faulty_client(session: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(session, *args, **kwargs)
        fault.attach(client.meta.events)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_faulty_client)
    return fault
