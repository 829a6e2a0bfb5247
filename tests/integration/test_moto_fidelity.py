"""The emulation refuses what AWS refuses: where moto is laxer, `emulator.moto_fidelity`
mends it, and these tests show both the lax behaviour and the mend."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws

from emulator.moto_fidelity import aws_faithful_executor, exceeds_tolerance

CHILD_FAILS = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "items", "Key": "items.json"},
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Fail if asked",
                "States": {
                    "Fail if asked": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail"}],
                        "Default": "Done",
                    },
                    "Fail": {"Type": "Fail", "Error": "ChildFailed"},
                    "Done": {"Type": "Succeed"},
                },
            },
            "End": True,
        }
    },
}


def run_map(items: list[dict]) -> dict:
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="items", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="items", Key="items.json", Body=json.dumps(items))
    sfn = boto3.client("stepfunctions", region_name="eu-west-1")
    machine = sfn.create_state_machine(
        name="m", definition=json.dumps(CHILD_FAILS),
        roleArn="arn:aws:iam::123456789012:role/r",
    )["stateMachineArn"]  # fmt: skip
    execution = sfn.start_execution(stateMachineArn=machine, name="e")["executionArn"]
    while (run := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        time.sleep(0.02)
    return run


@pytest.fixture
def executing_moto():
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def test_moto_alone_lets_a_map_whose_child_failed_succeed(executing_moto):
    assert run_map([{"fail": False}, {"fail": True}])["status"] == "SUCCEEDED"


def test_mended_a_failed_child_fails_the_map_and_the_run_as_in_aws(executing_moto):
    with aws_faithful_executor():
        run = run_map([{"fail": False}, {"fail": True}])

    assert run["status"] == "FAILED"
    assert run["error"] == "States.ExceedToleratedFailureThreshold"


def test_mended_a_map_whose_children_all_succeed_succeeds(executing_moto):
    with aws_faithful_executor():
        assert run_map([{"fail": False}, {"fail": False}])["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("failed", "total", "count", "percentage", "exceeded"),
    [
        (0, 10, 0, 0, False),
        (1, 10, 0, 0, True),  # neither threshold set: no failure tolerated
        (2, 10, 2, 0, False),
        (3, 10, 2, 0, True),
        (1, 10, 0, 10.0, False),
        (2, 10, 0, 10.0, True),
        (3, 10, 5, 20.0, True),  # both set: exceeding either fails
    ],
)
def test_the_tolerated_failure_thresholds_as_aws_documents_them(
    failed, total, count, percentage, exceeded
):
    assert exceeds_tolerance(failed, total, count, percentage) is exceeded
