"""The orders API on loopback, as API Gateway serves it: SigV4 required, proxy event out.

POST /orders and GET /orders/{record_id}, each under `/` and under the stage (`/v1/`).

Requests must be signed for `execute-api` in the stage's region with the local account's
credentials (`emulator.sigv4` verifies them as API Gateway does): an unsigned, tampered,
stale or misdirected request is refused with 403. A method or path the API does not
define is answered 403 `Missing Authentication Token`, HEAD and OPTIONS included; a body
sent chunked, without a length, is refused (411), deliberately.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from botocore.credentials import Credentials

from emulator.loopback import JsonRequestHandler, LoopbackServer
from emulator.sigv4 import MISSING, signature_problem

STAGE = "v1"


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
        self,
        handle: Callable[[dict[str, Any]], dict[str, Any]],
        credentials: Credentials,
        region: str,
    ) -> None:
        self._handle = handle
        self._credentials = credentials
        self._region = region
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
                    self.send_json(403, {"message": MISSING})
                    return
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    self.send_json(411, {"message": "send the body with a Content-Length"})
                    return
                resource, parameters = route
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                host = self.headers.get("Host", "")
                problem = signature_problem(
                    method, f"http://{host}{self.path}", dict(self.headers), body,
                    api._credentials, region=api._region,
                )  # fmt: skip
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
                self.send_json(403, {"message": MISSING})

            def do_HEAD(self) -> None:  # noqa: N802
                self.send_response(403)
                self.send_header("Content-Type", "application/json")
                self.end_headers()

            do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _no_such_method  # noqa: N815

        return ApiHandler
