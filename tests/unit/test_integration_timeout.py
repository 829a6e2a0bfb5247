"""API Gateway's integration timeout on the local API: a handler that has not answered
within its method's timeout is answered 504 `Endpoint request timed out`, and goes on.

The timeout is injected short, and the slow handler is held until the test lets it go,
so nothing depends on how long anything takes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from emulator.local_api import DEFAULT_INTEGRATION_TIMEOUT, LocalApi, integration_timeouts
from tests.integration.test_api_edges import send

REGION = "eu-west-1"


class HeldHandler:
    """Answers GET at once; holds a POST until let go, then answers it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        if event["httpMethod"] == "POST":
            self.release.wait()
            self.finished.set()
        return {"statusCode": 200, "body": json.dumps({"answered": event["httpMethod"]})}


@pytest.fixture
def held() -> Iterator[HeldHandler]:
    handler = HeldHandler()
    yield handler
    handler.release.set()


def serve(handle: HeldHandler, timeouts: dict[tuple[str, str], float]) -> LocalApi:
    credentials = boto3.Session().get_credentials().get_frozen_credentials()
    return LocalApi(handle, credentials, REGION, timeouts=timeouts).start()


def test_a_handler_slower_than_its_integration_timeout_gets_api_gateway_s_504(held):
    api = serve(held, {("POST", "/orders"): 0.05})
    try:
        answer = send("POST", api.url, b"[]")
        held.release.set()  # only now may the handler answer

        assert answer == (504, {"message": "Endpoint request timed out"})
        assert held.finished.wait(60)  # the function ran on, as Lambda does
        # Another method, within its (default) timeout, is answered as the handler says.
        assert send("GET", f"{api.url}/o-1") == (200, {"answered": "GET"})
    finally:
        api.stop()


def test_the_timeout_is_the_method_s_own_in_the_template_else_api_gateway_s_29_s():
    root = {"Fn::GetAtt": ["Api", "RootResourceId"]}
    template = {
        "Resources": {
            "Orders": {"Type": "AWS::ApiGateway::Resource",
                       "Properties": {"ParentId": root, "PathPart": "orders"}},
            "Order": {"Type": "AWS::ApiGateway::Resource",
                      "Properties": {"ParentId": {"Ref": "Orders"}, "PathPart": "{record_id}"}},
            "Post": {"Type": "AWS::ApiGateway::Method",
                     "Properties": {"HttpMethod": "POST", "ResourceId": {"Ref": "Orders"},
                                    "Integration": {"TimeoutInMillis": 50}}},
            "Get": {"Type": "AWS::ApiGateway::Method",
                    "Properties": {"HttpMethod": "GET", "ResourceId": {"Ref": "Order"},
                                   "Integration": {"Type": "AWS_PROXY"}}},
            "Root": {"Type": "AWS::ApiGateway::Method",
                     "Properties": {"HttpMethod": "GET", "ResourceId": root}},
        }
    }  # fmt: skip

    assert integration_timeouts(template) == {
        ("POST", "/orders"): 0.05,
        ("GET", "/orders/{record_id}"): DEFAULT_INTEGRATION_TIMEOUT,
        ("GET", "/"): DEFAULT_INTEGRATION_TIMEOUT,
    }
    assert DEFAULT_INTEGRATION_TIMEOUT == 29.0


@pytest.mark.synth
def test_the_stage_s_methods_are_found_by_the_resources_the_api_routes(synthesized):
    timeouts = integration_timeouts(synthesized.stage_template("Dev"))

    assert set(timeouts) == {("POST", "/orders"), ("GET", "/orders/{record_id}")}
