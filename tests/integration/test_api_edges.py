"""Each edge input through the local API, answered as AWS would answer it (docs/api.md):
the documented status and message, nothing written, and no function error raised (an
error would count against the release's alarms)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from domain.orders import MAX_EVENT_BODY_BYTES, event_body_bytes
from emulator.sigv4 import INVALID_TOKEN
from emulator.system import LocalAuctionSystem

pytestmark = pytest.mark.synth
REGION = "eu-west-1"


def send(
    method: str, url: str, body: bytes | None = None, *,
    credentials: Credentials | None = None, headers: dict[str, str] | None = None,
) -> tuple[int, Any]:  # fmt: skip
    """`method` `url`, signed with the local account's credentials (or `credentials`)."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    signer = credentials or boto3.Session().get_credentials()
    SigV4Auth(signer, "execute-api", REGION).add_auth(request)
    prepared = urllib.request.Request(  # noqa: S310  (loopback)
        url, data=body, headers=dict(request.headers), method=method
    )
    try:
        with urllib.request.urlopen(prepared, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Edges:
    """One local stage, served, for every edge: none of them may write anything."""

    def __init__(self, system: LocalAuctionSystem) -> None:
        self.system = system
        self.url = system.serve_api()

    def order_url(self, record_id: str) -> str:
        return f"{self.url}/{quote(record_id, safe='')}"

    def assert_nothing_written_and_no_function_error(self) -> None:
        assert self.system.stored_orders() == []
        assert {name: f.failures for name, f in self.system.functions.items() if f.failures} == {}


@pytest.fixture(scope="module")
def edges(synthesized) -> Iterator[Edges]:
    with LocalAuctionSystem(synthesized.outdir, trace=False) as system:
        yield Edges(system)


def batch_of(filler_bytes: int) -> bytes:
    return json.dumps([{"record_id": "edge", "filler": "x" * filler_bytes}]).encode()


OVER_THE_LIMIT = batch_of(6_100_000)  # its event fits in Lambda's 6 MB


# The edges an authenticated caller can reach, with the answer docs/api.md gives for each.
CASES = {
    # A record_id POST would refuse: DynamoDB would have raised for one over 2,048 bytes.
    "GET an id over 256 bytes": (
        lambda e: send("GET", e.order_url("a" * 257)),
        404, "no order has this record_id: a record_id must be at most 256 bytes",
    ),
    "GET an id with a control character": (
        lambda e: send("GET", e.order_url("a\x00b")),
        404, "no order has this record_id: a record_id must not hold control characters",
    ),
    # Past the 1,600 bytes of the method's ARN (IAM-authorised): API Gateway's 414.
    "GET an id over 2,048 bytes": (
        lambda e: send("GET", e.order_url("a" * 2049)), 414, "Request URI too long",
    ),
    "GET a 100 kB path": (
        lambda e: send("GET", e.order_url("a" * 100_000)), 414, "Request URI too long",
    ),
    "GET a URL over 10,240 characters": (
        lambda e: send("GET", e.order_url("a" * 10_300)), 414, "Request URI too long",
    ),
    "header values over 10,240 bytes": (
        lambda e: send("POST", e.url, b"[]", headers={"X-Padding": "p" * 10_300}),
        431, "Request Header Fields Too Large",
    ),
    "no session token": (
        lambda e: send("POST", e.url, b"[]", credentials=Credentials("testing", "testing")),
        403, INVALID_TOKEN,
    ),
    "another session token": (
        lambda e: send(
            "POST", e.url, b"[]", credentials=Credentials("testing", "testing", "other")
        ),
        403, INVALID_TOKEN,
    ),
    "a body over the limit": (
        lambda e: send("POST", e.url, OVER_THE_LIMIT), 413,
        f"the body is {event_body_bytes(OVER_THE_LIMIT.decode())} bytes as API Gateway's "
        f"event carries it (JSON-escaped); at most {MAX_EVENT_BODY_BYTES} are accepted",
    ),
    "a body over API Gateway's 10 MB": (
        lambda e: send("POST", e.url, batch_of(10 * 1024 * 1024)), 413, "Request Too Long",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_an_edge_gets_its_documented_answer_and_nothing_is_written(edges, case):
    request, status, message = CASES[case]

    assert request(edges) == (status, {"message": message})
    edges.assert_nothing_written_and_no_function_error()


def test_a_body_whose_event_lambda_refuses_gets_api_gateway_s_500_and_runs_nothing(edges):
    # Between Lambda's 6 MB on the event and API Gateway's 10 MB on the body: the Lambda
    # API refuses the invocation; no code runs, so no function error either.
    post_orders = edges.system.functions["handlers.post_orders"]
    before = post_orders.invocations

    answer = send("POST", edges.url, batch_of(6_400_000))

    assert answer == (500, {"message": "Internal server error"})
    assert post_orders.invocations == before
    edges.assert_nothing_written_and_no_function_error()


def test_a_valid_batch_within_the_4_mib_once_documented_never_reaches_the_handler(edges):
    # Empty strings: each `""` takes twice its bytes as the event carries it. The docs
    # once took such a body; its event is over Lambda's 6 MB, so AWS answers 500.
    body = json.dumps(
        [{"record_id": f"r{i}", "empty": [""] * 130_000} for i in range(10)],
        separators=(",", ":"),
    ).encode()
    assert len(body) < 4 * 1024 * 1024 < 6_291_456 < event_body_bytes(body.decode())

    assert send("POST", edges.url, body) == (500, {"message": "Internal server error"})
    edges.assert_nothing_written_and_no_function_error()


def test_lambda_refuses_an_invocation_over_6_mb_from_any_caller(edges):
    # The workflow's calls reach the same limit, through Lambda's Invoke API.
    summarize = edges.system.functions["handlers.summarize_run"]
    client = boto3.client("lambda", region_name=REGION)

    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName=summarize.arn, Payload=json.dumps({"x": "y" * 6_291_456}))

    assert raised.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert summarize.invocations == 0
