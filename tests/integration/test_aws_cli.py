"""The AWS CLI's calls, through botocore, against `make serve`'s endpoint: the local stage
is inspected as the engineers inspect AWS."""

from __future__ import annotations

import json

import boto3
import pytest

pytestmark = pytest.mark.synth


@pytest.fixture
def cli(dev_system):
    """A client as `aws --endpoint-url <endpoint> <service> ...` makes it."""
    endpoint = dev_system.serve_aws()
    assert endpoint.startswith("http://127.0.0.1:")

    def client(service: str):
        return boto3.client(service, endpoint_url=endpoint, region_name="eu-west-1")

    batch = [{"record_id": f"cli-{n}", "power": 2} for n in range(3)]
    assert dev_system.post_orders(json.dumps(batch))["statusCode"] == 201
    dev_system.wait_for(dev_system.start_run(name="seen-by-the-cli"))
    return client


def test_dynamodb_scan_lists_every_order_with_its_outcome(cli):
    (table,) = cli("dynamodb").list_tables()["TableNames"]

    items = cli("dynamodb").scan(TableName=table)["Items"]

    assert sorted(item["record_id"]["S"] for item in items) == ["cli-0", "cli-1", "cli-2"]
    assert all("outcome" in item for item in items)


def test_s3_ls_lists_the_stored_documents(cli, dev_system):
    listed = cli("s3").list_objects_v2(Bucket=dev_system.results_bucket, Prefix="orders/")

    assert {entry["Key"] for entry in listed.get("Contents", [])} == set(
        dev_system.stored_results("orders/")
    )
    assert dev_system.results_bucket in [b["Name"] for b in cli("s3").list_buckets()["Buckets"]]


def test_stepfunctions_lists_the_run_and_its_history(cli, dev_system):
    sfn = cli("stepfunctions")

    (execution,) = sfn.list_executions(stateMachineArn=dev_system.state_machine_arn)["executions"]
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]

    assert execution["name"] == "seen-by-the-cli"
    assert execution["status"] == "SUCCEEDED"
    assert any(e.get("stateEnteredEventDetails", {}).get("name") == "Record each chunk"
               for e in history)  # fmt: skip


def test_sns_list_topics_shows_the_alerts_topic(cli):
    topics = [t["TopicArn"] for t in cli("sns").list_topics()["Topics"]]

    assert any(arn.endswith(":auction-alerts-dev") for arn in topics)
