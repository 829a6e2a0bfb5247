"""The emulated Lambda's limit on what a function returns, as Lambda applies it: a result
over 6 MB is the function's error, and API Gateway answers it 502."""

from __future__ import annotations

import json

import boto3
import pytest

from emulator.local_api import INTERNAL_ERROR, proxy_integration
from emulator.local_lambda import (
    MAX_RESPONSE_BYTES,
    RESPONSE_TOO_LARGE,
    LocalFunction,
    LocalLambda,
    response_bytes,
)

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:sized"
EMPTY_ANSWER = response_bytes({"statusCode": 200, "body": ""})


def sized_answer() -> LocalFunction:
    return LocalFunction(name="sized", arn=ARN, handler="tests.unit.stand_in_handlers.sized",
                         environment={})  # fmt: skip


def answer_of(total_bytes: int) -> dict[str, object]:
    """The event that makes the function answer with exactly `total_bytes`."""
    return {"character": "x", "count": total_bytes - EMPTY_ANSWER}


def test_a_result_at_the_limit_is_returned():
    function = sized_answer()

    result, failed = function.invoke(answer_of(MAX_RESPONSE_BYTES))

    assert not failed
    assert response_bytes(result) == MAX_RESPONSE_BYTES
    assert function.failures == 0


def test_a_result_over_the_limit_is_the_function_s_error():
    function = sized_answer()

    result, failed = function.invoke(answer_of(MAX_RESPONSE_BYTES + 1))

    assert failed
    assert result["errorType"] == RESPONSE_TOO_LARGE
    assert f"({MAX_RESPONSE_BYTES} bytes)" in result["errorMessage"]
    assert (function.invocations, function.failures) == (1, 1)  # counted in Errors


def test_api_gateway_answers_a_result_over_the_limit_502():
    function = sized_answer()

    answer = proxy_integration(function, answer_of(MAX_RESPONSE_BYTES + 1), trace=False)

    assert (answer["statusCode"], json.loads(answer["body"])) == (502, INTERNAL_ERROR)


def test_the_invoke_api_reports_it_as_an_unhandled_function_error():
    local = LocalLambda([sized_answer()]).start()
    try:
        client = boto3.client("lambda", endpoint_url=local.url, region_name="eu-west-1")
        payload = json.dumps(answer_of(MAX_RESPONSE_BYTES + 1))

        response = client.invoke(FunctionName=ARN, Payload=payload)
    finally:
        local.stop()

    assert response["FunctionError"] == "Unhandled"
    assert json.load(response["Payload"])["errorType"] == RESPONSE_TOO_LARGE


@pytest.mark.parametrize(
    ("character", "bytes_each"),
    [
        ("x", 1),
        ('"', 2),  # \"
        ("\x01", 6),  # \u0001
        ("é", 6),  # \u00e9 before Python 3.12's runtime, 2 bytes of UTF-8 since
        ("😀", 12),  # \ud83d\ude00, or 4 bytes
    ],
)
def test_a_result_is_measured_as_the_runtime_writes_it_at_its_longest(character, bytes_each):
    assert (
        response_bytes({"body": character * 10}) == response_bytes({"body": ""}) + 10 * bytes_each
    )
