"""Lambda's Invoke API on loopback, running the project's real handlers in-process.

Step Functions on moto invokes functions through boto3; `AWS_ENDPOINT_URL_LAMBDA` sends
those calls here. Each function is one container: its module is imported on the first
call (a cold start) with the function's environment from the template.

The endpoint is private to the process: its URL carries a secret made at start-up, known
only through this process's environment, and a call without it is refused. Otherwise
anyone on the machine could invoke POST /orders's handler round the API's SigV4 check.

Lambda's limit on a synchronous invocation's payload, 6,291,456 bytes
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), holds for every
call, the API's proxy events and the workflow's tasks alike: a larger one is refused with
`RequestTooLargeException` (413) before any code runs, so it is neither an invocation
nor an error (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).

The response has its own 6 MB limit (the same quotas page; Lambda's error, as public reports
quote it, names 6,291,556 bytes). A handler that returns more has run, and failed: the
runtime cannot hand the result back, the caller gets the function error
`Function.ResponseSizeTooLarge`, which the function's Errors metric counts (it counts the
runtime's errors as well as the code's), and API Gateway, as for any function error,
answers 502 `{"message": "Internal server error"}`
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import attrs

from emulator.lambda_runtime import LambdaContext, cold_start
from emulator.loopback import JsonRequestHandler, LoopbackServer

MAX_PAYLOAD_BYTES = 6_291_456
MAX_RESPONSE_BYTES = 6_291_556
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"


class PayloadTooLargeError(Exception):
    """Lambda refused the invocation: its payload is over the limit. No code ran."""

    error_type = "RequestTooLargeException"

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(
            f"Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction "
            "operation"
        )


def payload_bytes(event: Any) -> int:
    """The size of `event` as a compact JSON payload, as a caller sends it."""
    return len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode())


def response_bytes(result: Any) -> int:
    """The size of a handler's `result` as the Python runtime sends it back to Lambda.

    The runtime writes JSON with the default separators; before Python 3.12 it escapes
    every character that is not ASCII (`\\u00e9`), since then it writes them as UTF-8
    (awslambdaric's marshaller). The larger of the two, so a result measured here fits
    whichever the runtime does.
    """
    text = json.dumps(result, ensure_ascii=False)
    utf8 = len(text.encode("utf-8", "surrogatepass"))
    return utf8 if utf8 == len(text) else max(utf8, len(json.dumps(result)))


RESPONSE_TOO_LARGE_ERROR = {
    "errorMessage": "Response payload size exceeded maximum allowed payload size "
    f"({MAX_RESPONSE_BYTES} bytes).",
    "errorType": RESPONSE_TOO_LARGE,
}


# One invocation at a time: handlers read the process environment, which is shared,
# and the trace header in it must not reach AWS calls made outside the invocation.
_INVOCATION_LOCK = threading.RLock()


@contextlib.contextmanager
def between_invocations() -> Iterator[None]:
    """Make AWS calls here without them being traced as part of a handler's invocation."""
    with _INVOCATION_LOCK:
        yield


@contextlib.contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`variables` set in the process environment, restored afterwards."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _trace_header() -> str:
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return f"Root={root};Parent={secrets.token_hex(8)};Sampled=1"


def _forget_trace() -> None:
    """End the invocation's trace in this thread, as a new Lambda invocation would."""
    xray = sys.modules.get("aws_xray_sdk.core")
    if xray is not None:
        xray.xray_recorder.context.clear_trace_entities()


@attrs.define
class LocalFunction:
    """One emulated Lambda function: a handler module, its environment, its container."""

    name: str
    arn: str
    handler: str  # "handlers.post_orders.handler"
    environment: dict[str, str]
    timeout_seconds: float = 30.0
    aliases: frozenset[str] = frozenset()  # what a qualified ARN may name, as in AWS
    invocations: int = 0
    qualifiers: list[str] = attrs.field(factory=list)  # how each invocation named it
    failures: int = 0  # invocations that ended in an error, as Lambda's Errors metric counts
    trace_ids: set[str] = attrs.field(factory=set)
    _module: ModuleType | None = None

    def invoke(
        self, event: Any, *, trace: bool = False, size: int | None = None
    ) -> tuple[Any, bool]:
        """Run the handler on `event`: (its result or Lambda's error document, failed?).

        `size`: the payload's bytes as received (default: `event` as compact JSON).
        Raises `PayloadTooLargeError` over Lambda's limit, as Lambda refuses the call; a
        result over the response's limit is the function's error, as in Lambda.
        """
        size = payload_bytes(event) if size is None else size
        if size > MAX_PAYLOAD_BYTES:
            raise PayloadTooLargeError(size)
        module_name, _, function_name = self.handler.rpartition(".")
        variables = {**self.environment, "AWS_LAMBDA_FUNCTION_NAME": self.name}
        if trace:
            variables["_X_AMZN_TRACE_ID"] = header = _trace_header()
            self.trace_ids.add(header.split(";")[0].removeprefix("Root="))
        with _INVOCATION_LOCK, environment(variables):
            self.invocations += 1
            if self._module is None:
                self._module = cold_start(module_name)
            context = LambdaContext(function_name=self.name, timeout_seconds=self.timeout_seconds)
            try:
                result = getattr(self._module, function_name)(event, context)
            except Exception as error:
                self.failures += 1
                return {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "requestId": context.aws_request_id,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }, True
            finally:
                if trace:
                    _forget_trace()
            if response_bytes(result) > MAX_RESPONSE_BYTES:
                self.failures += 1
                return dict(RESPONSE_TOO_LARGE_ERROR), True
            return result, False


class LocalLambda(LoopbackServer):
    """An HTTP server on 127.0.0.1 answering Invoke for the given functions."""

    def __init__(self, functions: list[LocalFunction], *, trace: bool = False) -> None:
        self.functions = {f.arn: f for f in functions} | {f.name: f for f in functions}
        self.trace = trace
        self._secret = secrets.token_urlsafe(24)
        super().__init__(self._request_handler())

    @property
    def url(self) -> str:
        """The endpoint, its secret included: for this process's environment only."""
        return f"{self.base_url}/{self._secret}"

    def function(self, name_or_arn: str) -> tuple[LocalFunction, str] | None:
        """The function a name or ARN calls, and the qualifier (an alias, or `$LATEST`);
        None, as AWS's ResourceNotFoundException, for an alias the function does not have."""
        name, qualifier = unquote(name_or_arn), "$LATEST"
        if name.startswith("arn:") and name.count(":") > 6:  # qualified ARN
            name, qualifier = name.rsplit(":", 1)
        function = self.functions.get(name)
        if function is None or (qualifier != "$LATEST" and qualifier not in function.aliases):
            return None
        return function, qualifier

    def _request_handler(self) -> type[JsonRequestHandler]:
        local = self

        class InvokeHandler(JsonRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                secret, _, route = self.path.split("?")[0].strip("/").partition("/")
                if not hmac.compare_digest(secret, local._secret):
                    self.send_json(403, {"message": "this endpoint is private to its process"})
                    return
                parts = route.split("/")
                if len(parts) != 4 or parts[1] != "functions" or parts[3] != "invocations":
                    self.send_json(404, {"message": f"no route {self.path}"})
                    return
                found = local.function(parts[2])
                if found is None:
                    self.send_json(
                        404,
                        {"Type": "User", "message": f"Function not found: {unquote(parts[2])}"},
                        {"x-amzn-ErrorType": "ResourceNotFoundException"},
                    )
                    return
                function, qualifier = found
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length) if length else b"{}"
                try:
                    result, failed = function.invoke(
                        json.loads(payload or b"{}"), trace=local.trace, size=len(payload)
                    )
                except PayloadTooLargeError as error:
                    self.send_json(
                        413,
                        {"Type": "User", "message": str(error)},
                        {"x-amzn-ErrorType": error.error_type},
                    )
                    return
                function.qualifiers.append(qualifier)
                headers = {"X-Amz-Function-Error": "Unhandled"} if failed else {}
                self.send_json(200, result, {**headers, "X-Amz-Executed-Version": "1"})

        return InvokeHandler
