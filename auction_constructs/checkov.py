"""checkov checks this app skips, each with its reason, written into the templates.

checkov reads a resource's `Metadata.checkov.skip` (id and comment) and reports the check
as skipped with that comment; `make scan` fails on any check that fails unskipped.
`skip` marks one resource; `SkipForEvery` marks every resource of a type, for reasons
that hold for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct


def skip(construct: IConstruct, check_id: str, reason: str) -> None:
    """Skip `check_id` on the CloudFormation resource of `construct` (or itself)."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    assert isinstance(resource, CfnResource), f"{construct.node.path} has no resource"
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", metadata)


@jsii.implements(IAspect)
class SkipForEvery:
    """Skip checks on every resource of a CloudFormation type, for the reason given."""

    def __init__(self, skips: Mapping[str, Mapping[str, str]]) -> None:
        """`skips`: resource type -> check id -> reason."""
        self._skips = skips

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource):
            for check_id, reason in self._skips.get(node.cfn_resource_type, {}).items():
                skip(node, check_id, reason)


# Reasons that hold for every resource of the type in this app.
APP_WIDE_SKIPS: dict[str, dict[str, str]] = {
    "AWS::Lambda::Function": {
        "CKV_AWS_115": "Concurrency is bounded where the calls come from: API Gateway's "
        "throttling (per stage) for POST /orders, one run an hour for Lambda A, the Map's "
        "concurrency for Lambda B; a reservation would take from the account's pool.",
        "CKV_AWS_116": "Every function is invoked synchronously (API Gateway, Step Functions), "
        "which retries and alerts; a Lambda DLQ only catches asynchronous invocations.",
        "CKV_AWS_117": "The functions reach only AWS APIs (DynamoDB, S3) over TLS with IAM; "
        "there is no private network resource for a VPC to protect.",
        "CKV_AWS_173": "The environment holds resource names, no secret; Lambda encrypts it "
        "at rest with its AWS managed key.",
    },
    "AWS::Logs::LogGroup": {
        "CKV_AWS_158": "CloudWatch Logs encrypts every log group at rest; access is by IAM "
        "in the stage's own account, with no cross-account key policy to manage.",
    },
    "AWS::ApiGateway::Stage": {
        "CKV_AWS_120": "The API has one method, POST /orders, whose answers must never be "
        "served from a cache.",
    },
    "AWS::DynamoDB::Table": {
        "CKV_AWS_119": "Encrypted at rest with the AWS managed DynamoDB key; only this "
        "account's roles read the table, so a customer managed key adds no control.",
    },
    "AWS::SQS::Queue": {
        "CKV_AWS_27": "Encrypted with SQS-managed SSE (SqsManagedSseEnabled), which this "
        "check does not recognise; no KMS key for Scheduler's role to be granted.",
    },
}


def skip_for_access_log_bucket(bucket: IConstruct) -> None:
    """The reasons a bucket that receives S3 server access logs is neither logged nor versioned."""
    skip(bucket, "CKV_AWS_18", "This bucket receives access logs: logging it would log its "
         "own log deliveries without end.")  # fmt: skip
    skip(bucket, "CKV_AWS_21", "Access logs are written once by S3's logging service and "
         "expire by lifecycle; there is no version to keep.")  # fmt: skip
