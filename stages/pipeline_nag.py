"""Scanners' findings in the roles CDK Pipelines generates, each suppressed with its reason.

Every suppression names the exact wildcard it accepts (`applies_to`), so a new wildcard
in a generated role, or any other rule's finding, still fails the nag check.
"""

from __future__ import annotations

from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct

from auction_constructs import checkov

_ARTIFACTS = r"<ArtifactsBucket[0-9A-F]+\.Arn>"
_PROJECT = r"<Pipeline[A-Za-z0-9]+>"
_ACCOUNT = r"\d{12}"

GENERATED_WILDCARDS: tuple[tuple[str, list[str | dict[str, str]]], ...] = (
    (
        "CDK Pipelines grants each action read and write on the pipeline's own artifacts "
        "bucket and its key: artifacts get object names per execution, at run time.",
        [
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::kms:GenerateDataKey*",
            "Action::kms:ReEncrypt*",
            {"regex": f"/^Resource::{_ARTIFACTS}\\/\\*$/"},
        ],
    ),
    (
        "A CodeBuild project writes log streams, named per build, in its own log group, and "
        "test reports in report groups named after the project.",
        [
            {
                "regex": f"/^Resource::arn:<AWS::Partition>:logs:[a-z0-9-]+:{_ACCOUNT}:"
                f"log-group:\\/aws\\/codebuild\\/{_PROJECT}:\\*$/"
            },
            {
                "regex": f"/^Resource::arn:<AWS::Partition>:codebuild:[a-z0-9-]+:{_ACCOUNT}:"
                f"report-group\\/{_PROJECT}-\\*$/"
            },
        ],
    ),
    (
        "One role publishes every file asset, through CodeBuild projects CDK Pipelines "
        "creates per asset: their log groups, report groups and builds are not named "
        "before synthesis. The account's /aws/codebuild/ log groups and report groups only.",
        [
            {
                "regex": f"/^Resource::arn:<AWS::Partition>:logs:[a-z0-9-]+:{_ACCOUNT}:"
                "log-group:\\/aws\\/codebuild\\/\\*$/"
            },
            {
                "regex": f"/^Resource::arn:<AWS::Partition>:codebuild:[a-z0-9-]+:{_ACCOUNT}:"
                "report-group\\/\\*$/"
            },
        ],
    ),
    (
        "codebuild:StartBuild, BatchGetBuilds and StopBuild for the asset actions, and "
        "cloudformation:DescribeStacks and s3:ListBucket for self-mutation's `cdk deploy` "
        "(it finds the bootstrap bucket by listing): CDK Pipelines asks for them on '*'.",
        ["Resource::*"],
    ),
    (
        "Self-mutation assumes the pipeline account's CDK bootstrap roles, and only those: "
        "the statement is conditioned on their aws-cdk:bootstrap-role tag.",
        [{"regex": f"/^Resource::arn:\\*:iam::{_ACCOUNT}:role\\/\\*$/"}],
    ),
)


def suppress_generated_findings(pipeline: IConstruct) -> None:
    """Suppress, on the pipeline's generated roles only, the wildcards CDK Pipelines needs."""
    NagSuppressions.add_resource_suppressions(
        pipeline,
        [
            NagPackSuppression(id="AwsSolutions-IAM5", reason=reason, applies_to=applies_to)
            for reason, applies_to in GENERATED_WILDCARDS
        ],
        apply_to_children=True,
    )
    asset_policy = pipeline.node.find_child("Assets").node.find_child("FileRole")
    checkov.skip(
        asset_policy.node.find_child("DefaultPolicy"),
        "CKV_AWS_111",
        "The asset publishing role starts the builds of the asset projects CDK Pipelines "
        "creates per asset, whose names are not known before synthesis.",
    )
