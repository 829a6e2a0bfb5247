"""The local stage over HTTP: SigV4 required like API Gateway, and the smoke test passes."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from emulator.lambda_runtime import LambdaContext, cold_start
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


def request(url: str, method: str, body: bytes | None = None, headers: dict | None = None):
    prepared = urllib.request.Request(url, data=body, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def signed_headers(url: str, body: bytes, region: str = "eu-west-1", **extra: str) -> dict:
    signed = AWSRequest(method="POST", url=url, data=body, headers=extra)
    SigV4Auth(boto3.Session().get_credentials(), "execute-api", region).add_auth(signed)
    return dict(signed.headers)


def test_a_request_signed_for_another_region_is_refused(served):
    system, url = served
    body = b'[{"record_id": "a"}]'

    status, answer = raw_post(url, body, signed_headers(url, body, region="us-east-1"))

    assert status == 403
    assert answer["message"] == "Credential should be scoped to a valid region, not 'us-east-1'."
    assert system.stored_orders() == []


def test_a_tampered_body_whose_signed_hash_names_the_old_one_is_refused(served):
    system, url = served
    sent = b'[{"record_id": "a"}]'
    headers = signed_headers(
        url, sent, **{"X-Amz-Content-SHA256": hashlib.sha256(sent).hexdigest()}
    )

    status, _ = raw_post(url, b'[{"record_id": "evil"}]', headers)

    assert status == 403
    assert system.stored_orders() == []


def test_an_unsigned_payload_is_refused(served):
    system, url = served
    headers = signed_headers(url, b"", **{"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})

    status, answer = raw_post(url, b'[{"record_id": "a"}]', headers)

    assert status == 403
    assert "UNSIGNED-PAYLOAD" in answer["message"]
    assert system.stored_orders() == []


def test_a_body_that_is_not_utf8_gets_the_handlers_400_and_nothing_is_stored(served):
    system, url = served
    body = b'[{"record_id": "\xff"}]'

    status, answer = raw_post(url, body, signed_headers(url, body))

    assert status == 400
    assert "not valid UTF-8" in answer["problems"][0]["reason"]
    assert system.stored_orders() == []


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "PUT", "DELETE"])
def test_a_method_the_api_does_not_define_is_answered_as_api_gateway_does(served, method):
    _, url = served

    status, body = request(url, method)

    assert status == 403
    if method != "HEAD":
        assert json.loads(body) == {"message": "Missing Authentication Token"}


def test_a_chunked_body_is_refused_deliberately(served):
    system, url = served

    def chunks():
        yield b'[{"record_id": "a"}]'

    prepared = urllib.request.Request(url, data=chunks(), method="POST",  # noqa: S310
                                      headers={"Transfer-Encoding": "chunked"})  # fmt: skip
    try:
        urllib.request.urlopen(prepared, timeout=10)  # noqa: S310
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code

    assert status == 411
    assert system.stored_orders() == []


def test_the_lambda_endpoint_refuses_a_caller_without_the_process_s_secret(served):
    system, _ = served
    endpoint = os.environ["AWS_ENDPOINT_URL_LAMBDA"]
    base = endpoint.rsplit("/", 1)[0]
    invoke = "/2015-03-31/functions/x/invocations"

    status, _ = request(f"{base}{invoke}", "POST", b"{}")

    assert status == 403
    assert system.functions["handlers.post_orders"].invocations == 0


def synthetic_check():
    """The synthetic check's handler as its container runs it.

    Called directly, not through the emulation's Lambda endpoint, which runs one
    invocation at a time: the API's handler could not run while the check waits on it.
    """
    return cold_start("handlers.synthetic_check")


def test_the_synthetic_check_gets_its_400_from_the_local_api_and_nothing_is_stored(served):
    system, url = served

    assert synthetic_check().handler({"orders_url": url}, LambdaContext()) == {"status": 400}
    assert system.stored_orders() == []
    assert system.functions["handlers.post_orders"].invocations == 1


def test_the_synthetic_check_fails_when_the_api_answers_otherwise(served, monkeypatch):
    _, url = served
    check = synthetic_check()
    monkeypatch.setattr(check, "RETRY_WAITS", (0, 0))  # a 403 is asked again, at once here

    with pytest.raises(check.SyntheticCheckError, match="answered 403"):  # no such route
        check.handler({"orders_url": f"{url}-moved"}, LambdaContext())
