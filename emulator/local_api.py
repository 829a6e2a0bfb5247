"""POST /orders on loopback, as API Gateway serves it: SigV4 required, proxy event out.

Requests must be signed for `execute-api` with the local account's credentials; the
signature is recomputed and compared, so an unsigned or tampered request is refused with
403 as API Gateway would.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>[^,]+), ?"
    r"SignedHeaders=(?P<signed>[^,]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)
PATHS = ("/orders", "/v1/orders")


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


class LocalApi:
    """An HTTP server on 127.0.0.1 in front of a proxy-event handler."""

    def __init__(
        self, handle: Callable[[dict[str, Any]], dict[str, Any]], credentials: Credentials
    ) -> None:
        self._handle = handle
        self._credentials = credentials
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/orders"

    def start(self) -> LocalApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class ApiHandler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                path = self.path.split("?")[0]
                if path not in PATHS:
                    self._send(403, {"message": "Missing Authentication Token"})
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                host = self.headers.get("Host", "")
                problem = signature_problem(
                    "POST", f"http://{host}{self.path}", dict(self.headers), body, api._credentials
                )
                if problem:
                    self._send(403, {"message": problem})
                    return
                response = api._handle(
                    {
                        "httpMethod": "POST",
                        "path": path,
                        "resource": "/orders",
                        "headers": dict(self.headers),
                        "body": body.decode("utf-8", "replace"),
                        "isBase64Encoded": False,
                        "requestContext": {"stage": "v1"},
                    }
                )
                self._send(response["statusCode"], response["body"], response.get("headers", {}))

            def _no_such_method(self) -> None:
                """API Gateway's answer for a method the API does not define."""
                self._send(403, {"message": "Missing Authentication Token"})

            do_GET = do_PUT = do_DELETE = do_PATCH = _no_such_method  # noqa: N815

            def _send(self, status: int, body: Any, headers: Mapping[str, str] = {}) -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the system's report says what happened."""

        return ApiHandler
