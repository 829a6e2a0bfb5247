"""The local API's SigV4 check refuses what API Gateway refuses, in AWS's words."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.sigv4 import signature_problem

LOCAL = Credentials("testing", "testing", "testing")
URL = "http://127.0.0.1:8080/orders"
BODY = b'[{"record_id": "a"}]'


def signed(
    *,
    region: str = "eu-west-1",
    service: str = "execute-api",
    credentials: Credentials = LOCAL,
    body: bytes = BODY,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=URL, data=body, headers=headers or {})
    SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers)


def check(
    headers: dict[str, str], body: bytes = BODY, shift: timedelta = timedelta()
) -> str | None:
    """The problem found with the request, checked `shift` after it was signed."""
    now = datetime.now(UTC) + shift
    return signature_problem("POST", URL, headers, body, LOCAL, region="eu-west-1", now=now)


def test_a_request_signed_as_api_gateway_expects_is_accepted():
    assert check(signed()) is None


@pytest.mark.parametrize("region", ["us-east-1", "mars-north-9"])
def test_a_signature_for_another_region_is_refused(region):
    assert check(signed(region=region)) == (
        f"Credential should be scoped to a valid region, not '{region}'."
    )


def test_a_signature_for_another_service_is_refused():
    assert check(signed(service="s3")) == (
        "Credential should be scoped to correct service: 'execute-api'."
    )


@pytest.mark.parametrize("age", [timedelta(minutes=20), timedelta(days=3)])
def test_a_request_dated_more_than_five_minutes_ago_is_refused(age):
    assert check(signed(), shift=age).startswith("Signature expired: ")


def test_a_request_dated_more_than_five_minutes_ahead_is_refused():
    assert check(signed(), shift=-timedelta(minutes=20)).startswith("Signature not yet current: ")


def test_a_request_within_the_allowed_skew_is_accepted():
    assert check(signed(), shift=timedelta(minutes=4)) is None
    assert check(signed(), shift=-timedelta(minutes=4)) is None


def test_a_body_changed_after_signing_is_refused_though_its_signed_hash_names_the_old_one():
    headers = signed(headers={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})

    assert check(headers, body=b'[{"record_id": "b"}]') == (
        "The request signature we calculated does not match the signature you provided."
    )


def test_a_body_changed_after_signing_is_refused():
    assert check(signed(), body=b'[{"record_id": "b"}]') is not None


def test_an_unsigned_payload_is_refused_whatever_the_body():
    headers = signed(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})

    assert "UNSIGNED-PAYLOAD is not accepted" in check(headers, body=b"anything")


def test_unknown_credentials_are_refused():
    other = Credentials("AKIDEXAMPLE", "secret")

    assert check(signed(credentials=other)) == (
        "The security token included in the request is invalid."
    )


def test_a_request_without_a_signature_is_missing_its_token():
    assert check({"Content-Type": "application/json"}) == "Missing Authentication Token"
