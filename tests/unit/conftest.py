"""moto-backed fixtures for the handler tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from domain.lifecycle import OPEN_ORDERS_INDEX
from emulator.lambda_runtime import LambdaContext, cold_start
from tests.orders_table import create_orders_table

TABLE_NAME = "orders-test"
BUCKET_NAME = "order-results-test"
RUNS_BUCKET_NAME = "auction-runs-test"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def orders_table(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The orders table and its open-orders index, as the stage's template declares them."""
    create_orders_table(TABLE_NAME)
    monkeypatch.setenv("ORDERS_TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("OPEN_ORDERS_INDEX", OPEN_ORDERS_INDEX)
    return boto3.resource("dynamodb").Table(TABLE_NAME)


def _bucket(name: str) -> str:
    """A bucket versioned as the stage's are, so that overwriting would leave a trace."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def results_bucket(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RESULTS_BUCKET_NAME", _bucket(BUCKET_NAME))
    return BUCKET_NAME


@pytest.fixture
def runs_bucket(aws: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RUNS_BUCKET_NAME", _bucket(RUNS_BUCKET_NAME))
    return RUNS_BUCKET_NAME


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def fresh(module_name: str) -> Any:
    """A handler module as a new container imports it (after the fixtures set its env)."""
    return cold_start(module_name)
