"""The orders API on loopback, as API Gateway serves it: SigV4 required, proxy event out.

POST /orders and GET /orders/{record_id}, each under `/` and under the stage (`/v1/`).

Requests must be signed for `execute-api` with the local account's credentials; the
signature is recomputed and compared, so an unsigned or tampered request is refused with
403 as API Gateway would.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.loopback import JsonRequestHandler, LoopbackServer

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>[^,]+), ?"
    r"SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)
STAGE = "v1"


def signature_problem(
    method: str, url: str, headers: Mapping[str, str], body: bytes, credentials: Credentials
) -> str | None:
    """Why this request's SigV4 signature is not valid for `credentials`; None if it is."""
    match = _AUTHORIZATION.match(headers.get("Authorization", ""))
    if not match:
        return "Missing Authentication Token"
    if match["key"] != credentials.access_key:
        return "The security token included in the request is invalid."
    _date, region, service, _terminator = match["scope"].split("/")
    signed = match["signed"].split(";")
    lowered = {name.lower(): value for name, value in headers.items()}
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: lowered.get(name, "") for name in signed}
    )
    request.context["timestamp"] = lowered.get("x-amz-date", "")
    signer = SigV4Auth(credentials, service, region)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if service != "execute-api" or not hmac.compare_digest(expected, match["signature"]):
        return "The request signature we calculated does not match the signature you provided."
    return None


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
        self, handle: Callable[[dict[str, Any]], dict[str, Any]], credentials: Credentials
    ) -> None:
        self._handle = handle
        self._credentials = credentials
        super().__init__(self._request_handler())

    @property
    def url(self) -> str:
        return f"{self.base_url}/orders"

    def _request_handler(self) -> type[JsonRequestHandler]:
        api = self

        class ApiHandler(JsonRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                self._route("POST")

            def do_GET(self) -> None:  # noqa: N802
                self._route("GET")

            def _route(self, method: str) -> None:
                path = self.path.split("?")[0]
                route = _resource(method, path.removeprefix(f"/{STAGE}"))
                if route is None:  # API Gateway's answer for a route it does not define
                    self.send_json(403, {"message": "Missing Authentication Token"})
                    return
                resource, parameters = route
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                host = self.headers.get("Host", "")
                problem = signature_problem(
                    method, f"http://{host}{self.path}", dict(self.headers), body, api._credentials
                )
                if problem:
                    self.send_json(403, {"message": problem})
                    return
                response = api._handle(
                    {
                        "httpMethod": method,
                        "path": path,
                        "resource": resource,
                        "pathParameters": parameters,
                        "headers": dict(self.headers),
                        **proxy_body(body),
                        "requestContext": {"stage": STAGE},
                    }
                )
                self.send_json(response["statusCode"], response["body"], response.get("headers"))

            def _no_such_method(self) -> None:
                """API Gateway's answer for a method the API does not define."""
                self.send_json(403, {"message": "Missing Authentication Token"})

            do_PUT = do_DELETE = do_PATCH = _no_such_method  # noqa: N815

        return ApiHandler
