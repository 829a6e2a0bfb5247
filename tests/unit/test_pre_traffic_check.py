"""The pre-traffic hook calls the new version as API Gateway would and reports to CodeDeploy:
Succeeded for the documented answers, Failed for anything else, never nothing.

The versions are the project's real handlers (and stand-ins for broken releases) behind
the emulation's Lambda Invoke API; CodeDeploy is botocore's stubbed client, which checks
each call's parameters. The GET versions read an empty orders table on moto; POST's are
given no table: its probe must be answered without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from domain.api_probes import ROUTES
from emulator.local_lambda import LocalFunction, LocalLambda
from tests.orders_table import create_orders_table
from tests.unit.conftest import fresh

ACCOUNT_ARN = "arn:aws:lambda:eu-west-1:123456789012:function"
VERSION = "7"
HOOK_EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "hook-execution-1"}
TABLE = "orders"
HANDLERS = {  # each version: its handler, and the table it is configured with
    "post_orders": ("handlers.post_orders.handler", "no-such-table"),
    "get_order": ("handlers.get_order.handler", TABLE),
    "get_order_without_its_table": ("handlers.get_order.handler", "no-such-table"),
    "failing": ("tests.unit.stand_in_handlers.failing", TABLE),
    "accepting_everything": ("tests.unit.stand_in_handlers.accepting_everything", TABLE),
}


def version_arn(name: str) -> str:
    return f"{ACCOUNT_ARN}:{name}:{VERSION}"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[dict[str, LocalFunction], str]]:
    """Each handler published as version 7, served on loopback: (the functions, the URL)."""
    functions = {
        name: LocalFunction(
            name=name,
            arn=f"{ACCOUNT_ARN}:{name}",
            handler=handler,
            environment={"ORDERS_TABLE_NAME": table},
            aliases=frozenset({VERSION}),
        )
        for name, (handler, table) in HANDLERS.items()
    }
    with mock_aws():
        create_orders_table(TABLE)
        local = LocalLambda(list(functions.values())).start()
        yield functions, local.url
        local.stop()
        assert boto3.client("dynamodb").scan(TableName=TABLE)["Count"] == 0  # nothing written


@pytest.fixture
def versions(served) -> dict[str, LocalFunction]:
    return served[0]


@pytest.fixture
def hook(served, monkeypatch) -> Any:
    """The hook's module with its clients injected: Lambda on loopback, CodeDeploy stubbed."""
    module = fresh("handlers.pre_traffic_check")
    monkeypatch.setattr(module, "RETRY_WAITS", (0, 0, 0, 0))
    session = botocore.session.get_session()
    lambda_client = session.create_client("lambda", endpoint_url=served[1])
    codedeploy = session.create_client("codedeploy")
    module.stubber = Stubber(codedeploy)
    module._clients = lambda: (lambda_client, codedeploy)
    return module


def run(hook: Any, monkeypatch: Any, *, function: str, route: str, reported: str) -> dict:
    """The hook for `function`'s version on `route`, expecting it to report `reported`."""
    monkeypatch.setenv("CHECKED_VERSION_ARN", version_arn(function))
    monkeypatch.setenv("CHECKED_ROUTE", route)
    hook.stubber.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": HOOK_EVENT["LifecycleEventHookExecutionId"]},
        {
            "deploymentId": HOOK_EVENT["DeploymentId"],
            "lifecycleEventHookExecutionId": HOOK_EVENT["LifecycleEventHookExecutionId"],
            "status": reported,
        },
    )
    with hook.stubber:
        result = hook.handler(HOOK_EVENT, None)
    hook.stubber.assert_no_pending_responses()
    return result


@pytest.mark.parametrize("function", ROUTES)
def test_a_version_that_answers_as_documented_is_let_through(hook, versions, monkeypatch, function):
    before = versions[function].invocations

    result = run(hook, monkeypatch, function=function, route=ROUTES[function], reported="Succeeded")

    assert result["status"] == "Succeeded"
    assert versions[function].invocations == before + 1
    assert versions[function].qualifiers[-1] == VERSION  # the new version, not `live`
    assert versions[function].failures == 0


@pytest.mark.parametrize("route", ROUTES.values())
@pytest.mark.parametrize("broken", ["failing", "accepting_everything"])
def test_a_broken_version_fails_the_deployment(hook, monkeypatch, route, broken):
    result = run(hook, monkeypatch, function=broken, route=route, reported="Failed")

    assert "not as documented" in result["reason"] or "failed" in result["reason"]


def test_a_get_version_that_cannot_read_its_table_fails_the_deployment(hook, monkeypatch):
    result = run(hook, monkeypatch, function="get_order_without_its_table",
                 route=ROUTES["get_order"], reported="Failed")  # fmt: skip

    assert "ResourceNotFoundException" in result["reason"]


def test_the_other_route_s_answer_is_not_taken_for_this_one(hook, monkeypatch):
    # get_order's version answers POST's probe with 405: not POST's documented 400.
    result = run(hook, monkeypatch, function="get_order", route=ROUTES["post_orders"],
                 reported="Failed")  # fmt: skip

    assert "405" in result["reason"]


def test_a_version_that_cannot_be_invoked_fails_the_deployment(hook, monkeypatch):
    result = run(hook, monkeypatch, function="never_published", route=ROUTES["get_order"],
                 reported="Failed")  # fmt: skip

    assert "ResourceNotFoundException" in result["reason"]


def test_a_permission_still_on_its_way_is_asked_again(hook, monkeypatch):
    lambda_client, _ = hook._clients()
    refusals = iter([ClientError({"Error": {"Code": "AccessDeniedException"}}, "Invoke")] * 2)
    invoke = lambda_client.invoke

    def invoke_after_refusals(**kwargs: Any) -> Any:
        for refusal in refusals:
            raise refusal
        return invoke(**kwargs)

    monkeypatch.setattr(lambda_client, "invoke", invoke_after_refusals)

    result = run(hook, monkeypatch, function="post_orders", route=ROUTES["post_orders"],
                 reported="Succeeded")  # fmt: skip

    assert result["status"] == "Succeeded"
