"""moto-backed fixtures for the handler tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emulator.lambda_runtime import LambdaContext, cold_start

TABLE_NAME = "orders-test"
BUCKET_NAME = "order-results-test"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def orders_table(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    dynamodb = boto3.resource("dynamodb")
    table = dynamodb.create_table(
        TableName=TABLE_NAME,
        KeySchema=[{"AttributeName": "record_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "record_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("ORDERS_TABLE_NAME", TABLE_NAME)
    return table


@pytest.fixture
def results_bucket(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    s3 = boto3.client("s3")
    s3.create_bucket(
        Bucket=BUCKET_NAME, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    monkeypatch.setenv("RESULTS_BUCKET_NAME", BUCKET_NAME)
    return BUCKET_NAME


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def fresh(module_name: str) -> Any:
    """A handler module as a new container imports it (after the fixtures set its env)."""
    return cold_start(module_name)
