"""The local stage over HTTP: SigV4 required like API Gateway, and the smoke test passes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from ops import smoke_test

pytestmark = pytest.mark.synth


def raw_post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")  # noqa: S310  (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def served(dev_system):
    return dev_system, dev_system.serve_api()


def test_the_staging_smoke_test_passes_against_the_local_stage(served):
    system, url = served

    failures = smoke_test.smoke_test(
        {
            "ORDERS_URL": url,
            "STATE_MACHINE_ARN": system.state_machine_arn,
            "RUN_TIMEOUT_SECONDS": "60",
            "POLL_SECONDS": "0.05",
        }
    )

    assert failures == []
    assert [item["parameter_1"] for item in system.stored_orders()] == ["smoke"]


def test_an_unsigned_request_is_refused_and_nothing_is_stored(served):
    system, url = served

    status, answer = raw_post(url, b'[{"record_id": "a"}]', {"Content-Type": "application/json"})

    assert status == 403
    assert answer == {"message": "Missing Authentication Token"}
    assert system.stored_orders() == []


def test_a_request_whose_body_changed_after_signing_is_refused(served):
    system, url = served
    session = boto3.Session()
    signed = AWSRequest(method="POST", url=url, data=b'[{"record_id": "a"}]')
    SigV4Auth(session.get_credentials(), "execute-api", "eu-west-1").add_auth(signed)

    status, answer = raw_post(url, b'[{"record_id": "b"}]', dict(signed.headers))

    assert status == 403
    assert "signature" in answer["message"]
    assert system.stored_orders() == []


def test_a_signed_bad_batch_gets_the_handlers_400(served):
    _, url = served
    session = boto3.Session()

    status, answer = smoke_test.signed_post(session, url, b'[{"record_id": "a", "ttl": 1}]')

    assert status == 400
    assert answer["problems"] == [
        {"record": 0, "field": "ttl", "reason": "is set by the service and may not be sent"}
    ]
