"""POST /orders on loopback, as API Gateway serves it: SigV4 required, proxy event out.

Requests must be signed for `execute-api` with the local account's credentials; the
signature is recomputed and compared, so an unsigned or tampered request is refused with
403 as API Gateway would.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.loopback import JsonRequestHandler, LoopbackServer

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
                path = self.path.split("?")[0]
                if path not in PATHS:
                    self.send_json(403, {"message": "Missing Authentication Token"})
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                host = self.headers.get("Host", "")
                problem = signature_problem(
                    "POST", f"http://{host}{self.path}", dict(self.headers), body, api._credentials
                )
                if problem:
                    self.send_json(403, {"message": problem})
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
                self.send_json(response["statusCode"], response["body"], response.get("headers"))

            def _no_such_method(self) -> None:
                """API Gateway's answer for a method the API does not define."""
                self.send_json(403, {"message": "Missing Authentication Token"})

            do_GET = do_PUT = do_DELETE = do_PATCH = _no_such_method  # noqa: N815

        return ApiHandler
