"""The orders API on loopback, as API Gateway serves it: SigV4 required, proxy event out.

POST /orders and GET /orders/{record_id}, each under `/` and under the stage (`/v1/`).

Requests must be signed for `execute-api` in the stage's region with the local account's
credentials, session token included (`emulator.sigv4` verifies them as API Gateway does):
an unsigned, tampered, stale or misdirected request is refused with 403. A method or path
the API does not define is answered 403 `Missing Authentication Token`, HEAD and OPTIONS
included; a body sent chunked, without a length, is refused (411), deliberately.

API Gateway's limits, each answered as API Gateway answers it, in JSON
(https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html):

- a URL over 10,240 characters, or a method ARN over 1,600 bytes (a long path parameter
  of an IAM-authorised method): 414;
- header values over 10,240 bytes in all: 431 (AWS does not document its status);
- a body over 10 MB: 413 (`REQUEST_TOO_LARGE`);
- more requests than the stage's throttling admits: 429 (`THROTTLED`, `api_throttle.py`);
- an integration that has not answered within its timeout: 504 (`INTEGRATION_TIMEOUT`).
  The timeout is the method's `Integration.TimeoutInMillis` in the template, else API
  Gateway's default, 29,000 ms (the Integration type in the API Gateway API reference;
  https://repost.aws/knowledge-center/api-gateway-504-errors). The function runs on, as a
  Lambda function does after API Gateway stops waiting. AWS documents the status, not the
  body; `{"message": "Endpoint request timed out"}` is what its callers report receiving
  (e.g. https://github.com/aws/chalice/issues/537).

Behind it, `proxy_integration` calls the function as the Lambda proxy integration does:
an event Lambda refuses (over 6 MB) is API Gateway's 500, a function error its 502.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from botocore.credentials import Credentials

from emulator.api_throttle import StageThrottle
from emulator.local_lambda import LocalFunction, PayloadTooLargeError
from emulator.loopback import JsonRequestHandler, LoopbackServer
from emulator.sigv4 import MISSING, signature_problem
from emulator.template import ACCOUNT

STAGE = "v1"
MAX_URL_CHARACTERS = 10_240
MAX_HEADER_VALUE_BYTES = 10_240
MAX_METHOD_ARN_BYTES = 1_600
MAX_BODY_BYTES = 10 * 1024 * 1024
_API_ID = "0123456789"  # an API id's length, for the method's ARN
# The Lambda API refused the invocation: 500; the function failed: 502; the same body
# (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
INTERNAL_ERROR = {"message": "Internal server error"}
URI_TOO_LONG = {"message": "Request URI too long"}
TOO_MANY_REQUESTS = {"message": "Too Many Requests"}
BODY_TOO_LARGE = {"message": "Request Too Long"}
HEADERS_TOO_LARGE = {"message": "Request Header Fields Too Large"}
TIMED_OUT = {"message": "Endpoint request timed out"}
DEFAULT_INTEGRATION_TIMEOUT = 29.0  # seconds: API Gateway's, when the method sets none


def proxy_integration(function: LocalFunction, event: dict[str, Any], *, trace: bool) -> dict:
    """What API Gateway answers for `event` through a Lambda proxy integration."""
    try:
        response, failed = function.invoke(event, trace=trace)
    except PayloadTooLargeError:
        return _gateway_answer(HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR)
    if failed:
        return _gateway_answer(HTTPStatus.BAD_GATEWAY, INTERNAL_ERROR)
    return response


def _gateway_answer(status: int, body: dict[str, str]) -> dict[str, Any]:
    return {"statusCode": int(status), "body": json.dumps(body)}


def proxy_body(body: bytes | str | None) -> dict[str, Any]:
    """A request body as a proxy event carries it: text as it is, other bytes base64-encoded
    (and flagged), so a body that is not UTF-8 reaches the handler intact, which refuses it."""
    if not body:
        return {"body": None, "isBase64Encoded": False}
    if isinstance(body, str):
        return {"body": body, "isBase64Encoded": False}
    try:
        return {"body": body.decode("utf-8"), "isBase64Encoded": False}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}


def integration_timeouts(template: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    """Seconds API Gateway waits for each method's integration, by (method, resource) as
    `_resource` names it (`/orders/{record_id}`): its `TimeoutInMillis`, else the default."""
    resources = template["Resources"]

    def path(reference: Any) -> str:
        """The resource path a `ResourceId`/`ParentId` names; the API's root is ``."""
        if "Ref" not in reference:  # {"Fn::GetAtt": [api, "RootResourceId"]}
            return ""
        properties = resources[reference["Ref"]]["Properties"]
        return f"{path(properties['ParentId'])}/{properties['PathPart']}"

    timeouts = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::ApiGateway::Method":
            continue
        method = resource["Properties"]
        declared = method.get("Integration", {}).get("TimeoutInMillis")
        seconds = DEFAULT_INTEGRATION_TIMEOUT if declared is None else float(declared) / 1000
        timeouts[method["HttpMethod"], path(method["ResourceId"]) or "/"] = seconds
    return timeouts


def _answer_within(
    seconds: float, handle: Callable[[dict[str, Any]], dict[str, Any]], event: dict[str, Any]
) -> dict[str, Any] | None:
    """`handle(event)`'s answer, or None if it has none within `seconds`. It runs in a thread
    of its own, which goes on (to its end) when API Gateway stops waiting."""
    answer: Future[dict[str, Any]] = Future()

    def call() -> None:
        try:
            answer.set_result(handle(event))
        except BaseException as error:  # re-raised in the request's thread
            answer.set_exception(error)

    threading.Thread(target=call, name="integration", daemon=True).start()
    try:
        return answer.result(timeout=seconds)
    except TimeoutError:
        return None


def _resource(method: str, path: str) -> tuple[str, dict[str, str] | None] | None:
    """The API's resource for `method` on `path`, and its path parameters; None if none."""
    if method == "POST" and path == "/orders":
        return "/orders", None
    parts = path.split("/")
    if method == "GET" and len(parts) == 3 and parts[1] == "orders" and parts[2]:
        return "/orders/{record_id}", {"record_id": unquote(parts[2])}
    return None


class LocalApi(LoopbackServer):
    """An HTTP server on 127.0.0.1 in front of a proxy-event handler."""

    def __init__(
        self,
        handle: Callable[[dict[str, Any]], dict[str, Any]],
        credentials: Credentials,
        region: str,
        throttle: StageThrottle | None = None,
        *,
        timeouts: Mapping[tuple[str, str], float] | None = None,
    ) -> None:
        """`throttle`: the stage's, from its template (`StageThrottle.from_template`);
        `timeouts`: integration timeouts in seconds by (method, resource), from the template
        (`integration_timeouts`); a method with none waits API Gateway's default."""
        self.handle = handle
        self.credentials = credentials
        self.region = region
        self.throttle = throttle
        self.timeouts = dict(timeouts or {})
        super().__init__(type("BoundApiHandler", (_ApiHandler,), {"api": self}))

    def integration_timeout(self, method: str, resource: str) -> float:
        """Seconds API Gateway waits for `method` on `resource`'s integration."""
        return self.timeouts.get((method, resource), DEFAULT_INTEGRATION_TIMEOUT)

    @property
    def url(self) -> str:
        return f"{self.base_url}/orders"

    def method_arn(self, method: str, path: str) -> str:
        """The ARN IAM authorises a call by, as API Gateway makes it up for `path`."""
        return f"arn:aws:execute-api:{self.region}:{ACCOUNT}:{_API_ID}/{STAGE}/{method}{path}"


class _ApiHandler(JsonRequestHandler):
    """One request to the API, answered as API Gateway would."""

    api: LocalApi
    DISCARDED_BODY_BYTES = 64 * 1024 * 1024  # read (and dropped) before a refusal, at most

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        self._route("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def _route(self, method: str) -> None:
        refusal = self._refusal_before_the_body(method)
        if refusal is not None:
            self._refuse(*refusal)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        resource, parameters = _resource(method, path.removeprefix(f"/{STAGE}"))
        host = self.headers.get("Host", "")
        problem = signature_problem(
            method, f"http://{host}{self.path}", dict(self.headers), body,
            self.api.credentials, region=self.api.region,
        )  # fmt: skip
        if problem:
            self.send_json(HTTPStatus.FORBIDDEN, {"message": problem})
            return
        # Only authenticated requests count against the stage's limits. AWS does not
        # document the order; this one lets no unsigned flood starve a client.
        throttle = self.api.throttle
        if throttle is not None and not throttle.admit(method, resource):
            self.send_json(HTTPStatus.TOO_MANY_REQUESTS, TOO_MANY_REQUESTS)
            return
        event = {
            "httpMethod": method,
            "path": path,
            "resource": resource,
            "pathParameters": parameters,
            "headers": dict(self.headers),
            **proxy_body(body),
            "requestContext": {"stage": STAGE},
        }
        timeout = self.api.integration_timeout(method, resource)
        response = _answer_within(timeout, self.api.handle, event)
        if response is None:
            self.send_json(HTTPStatus.GATEWAY_TIMEOUT, TIMED_OUT)
            return
        self.send_json(response["statusCode"], response["body"], response.get("headers"))

    def _refusal_before_the_body(self, method: str) -> tuple[int, dict] | None:
        """API Gateway's answer to a request it refuses on its line and headers alone."""
        host = self.headers.get("Host", "")
        path = self.path.split("?")[0].removeprefix(f"/{STAGE}")
        header_bytes = sum(len(value.encode()) for value in self.headers.values())
        if len(f"https://{host}{self.path}") > MAX_URL_CHARACTERS:
            return HTTPStatus.REQUEST_URI_TOO_LONG, URI_TOO_LONG
        if header_bytes > MAX_HEADER_VALUE_BYTES:
            return HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, HEADERS_TOO_LARGE
        if _resource(method, path) is None:  # a route the API does not define
            return HTTPStatus.FORBIDDEN, {"message": MISSING}
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return HTTPStatus.LENGTH_REQUIRED, {"message": "send the body with a Content-Length"}
        if len(self.api.method_arn(method, path).encode()) > MAX_METHOD_ARN_BYTES:
            return HTTPStatus.REQUEST_URI_TOO_LONG, URI_TOO_LONG
        if int(self.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, BODY_TOO_LARGE
        return None

    def _refuse(self, status: int, body: dict[str, str]) -> None:
        """Answer, and close. The body is read first and dropped: closing a connection
        with data unread resets it, and the client might not read the answer."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._discard_chunks()
        else:
            self._discard(int(self.headers.get("Content-Length") or 0))
        self.send_json(status, body, {"Connection": "close"})
        self.close_connection = True

    def _discard(self, length: int) -> None:
        remaining = min(length, self.DISCARDED_BODY_BYTES)
        while remaining > 0 and (chunk := self.rfile.read(min(remaining, 1 << 20))):
            remaining -= len(chunk)

    def _discard_chunks(self) -> None:
        """Read a chunked body to its last chunk (each: its size in hex, the data, CRLF)."""
        for _ in range(10_000):
            try:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            except ValueError:  # not chunked after all: nothing more to read
                return
            self._discard(size + 2)
            if size == 0:
                return

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a request line over 64 KiB, a malformed request),
        in JSON as API Gateway answers, not its HTML page."""
        if code == HTTPStatus.REQUEST_URI_TOO_LONG:
            self._discard_request_head()
            body = URI_TOO_LONG
        else:
            body = {"message": message or HTTPStatus(code).phrase}
        self.send_json(code, body, {"Connection": "close"})
        self.close_connection = True

    def _discard_request_head(self) -> None:
        """Read the rest of an over-long request line and the headers after it."""
        for _ in range(1_000):
            if self.rfile.readline(1 << 20) in (b"", b"\r\n", b"\n"):
                return

    def _no_such_method(self) -> None:
        """API Gateway's answer for a method the API does not define."""
        self.send_json(HTTPStatus.FORBIDDEN, {"message": MISSING})

    def do_HEAD(self) -> None:  # noqa: N802
        self.send_response(HTTPStatus.FORBIDDEN)
        self.send_header("Content-Type", "application/json")
        self.end_headers()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _no_such_method  # noqa: N815
