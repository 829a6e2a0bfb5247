"""CodeDeploy's BeforeAllowTraffic hook for an API function in prod: the new version is
called directly, as API Gateway calls it, before any of the API's traffic reaches it.

Event (CodeDeploy's): `{"DeploymentId": ..., "LifecycleEventHookExecutionId": ...}`.
Environment: `CHECKED_VERSION_ARN`, the version being released (set from the same template
update that publishes it), and `CHECKED_ROUTE`, the route that version serves.

It sends the route's probe (domain/api_probes.py), which writes nothing: POST gets a batch
it refuses before reading the table, GET an order nobody posted, looked up in the table.
The documented answer reports Succeeded; any other answer, a function error, or a version
that cannot be invoked reports Failed, and CodeDeploy stops the deployment before the
canary takes a single call. So a version that cannot start, refuses every request, or (for
GET) cannot read its table is caught here whatever the traffic; what a POST shows only when
it stores a batch is left to the canary's alarms (docs/releasing.md).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from domain.api_probes import (
    REFUSED_BATCH,
    ROUTES,
    not_found_as_documented,
    refused_as_documented,
    unposted_record_id,
)
from handlers import aws_clients, observability

observability.install_tracing()

Expectation = Callable[[int | None, Mapping[str, Any]], bool]


def _proxy_event(method: str, resource: str, path: str, **fields: Any) -> dict[str, Any]:
    """A REST API's proxy event, as API Gateway hands it to the function."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": None,
        "pathParameters": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "stage": "pre-traffic-check",
            "httpMethod": method,
            "resourcePath": resource,
        },
        **fields,
    }


def _post_probe() -> tuple[dict[str, Any], Expectation]:
    event = _proxy_event("POST", "/orders", "/orders", body=REFUSED_BATCH.decode())
    return event, refused_as_documented


def _get_probe() -> tuple[dict[str, Any], Expectation]:
    record_id = unposted_record_id(secrets.token_hex(16))  # fresh: no client has posted it
    event = _proxy_event(
        "GET",
        "/orders/{record_id}",
        f"/orders/{record_id}",
        pathParameters={"record_id": record_id},
    )
    return event, functools.partial(not_found_as_documented, record_id)


PROBES: dict[str, Callable[[], tuple[dict[str, Any], Expectation]]] = {
    ROUTES["post_orders"]: _post_probe,
    ROUTES["get_order"]: _get_probe,
}

# The hook's permission to invoke the new version is granted in the same update that
# publishes it, and IAM takes moments to apply it; a version may still be settling, or
# Lambda throttling. Those refusals are asked again after 1, 2, 4 and 8 s. One call that
# hangs is not: it takes at most the API functions' 28 s, read within 35; all of it ends
# well within the hook's 90 s, so it always reports.
RETRIED_ERRORS = frozenset(
    {"AccessDeniedException", "ResourceConflictException", "TooManyRequestsException"}
)
RETRY_WAITS = (1, 2, 4, 8)
INVOKE_CONFIG = Config(connect_timeout=2, read_timeout=35, retries={"total_max_attempts": 1})


class ProbeFailedError(Exception):
    """The new version did not answer its probe as documented."""


@functools.cache
def _clients() -> tuple[Any, Any]:
    """Lambda and CodeDeploy clients, built once per container."""
    return aws_clients.client("lambda", config=INVOKE_CONFIG), aws_clients.client("codedeploy")


@observability.invocation
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    lambda_client, codedeploy = _clients()
    version_arn, route = os.environ["CHECKED_VERSION_ARN"], os.environ["CHECKED_ROUTE"]
    try:
        with observability.traced("pre_traffic_probe", route=route):
            check(lambda_client, version_arn, route)
    except Exception as error:  # any failure fails the deployment; none may leave it waiting
        status, reason = "Failed", f"{type(error).__name__}: {error}"
    else:
        status, reason = "Succeeded", "answered as documented"
    codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    observability.log_request(
        context, f"pre-traffic check {status}: {reason}", version=version_arn, route=route
    )
    return {"status": status, "reason": reason}


def check(lambda_client: Any, version_arn: str, route: str) -> None:
    """Send `route`'s probe to the version; raise unless it answers as documented."""
    event, documented = PROBES[route]()
    status, answer = _invoke(lambda_client, version_arn, event)
    if not documented(status, answer):
        raise ProbeFailedError(f"{route} answered {status} {answer}, not as documented")


def _invoke(lambda_client: Any, version_arn: str, event: dict[str, Any]) -> tuple[int, dict]:
    """The version's proxy answer: its status and its body's JSON."""
    for wait in (*RETRY_WAITS, None):
        try:
            response = lambda_client.invoke(
                FunctionName=version_arn, Payload=json.dumps(event).encode()
            )
            break
        except ClientError as error:
            if error.response["Error"]["Code"] not in RETRIED_ERRORS or wait is None:
                raise
            time.sleep(wait)
    payload = json.loads(response["Payload"].read() or b"null")
    if "FunctionError" in response:
        raise ProbeFailedError(f"the function failed: {payload}")
    if not isinstance(payload, dict) or "statusCode" not in payload:
        raise ProbeFailedError(f"not a proxy answer: {payload!r:.300}")
    body = json.loads(payload.get("body") or "{}")
    return payload["statusCode"], body if isinstance(body, dict) else {"body": body}
