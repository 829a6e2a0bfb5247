"""What CloudFormation may do when it deploys the app, and what the boundary lets any role do.

With no AWS account here, an action missing from bootstrap/execution-policy.yaml would show
only at the first deployment, as a stack rolling back. So every resource type of every
synthesized template (the pipeline's, each stage's, each `energy-auction-account`) is mapped
to a service the execution policy allows, and every permission that the type's
CloudFormation handler lists (the resource schemas cfn-lint ships, as in the CloudFormation
registry) must be named by the execution policy (the execution role's boundary too:
tests/unit/test_iam_reach.py), unless the app uses no feature that needs it. Every action
the app's own roles are given must be within their boundary, or it would be cut silently at
run time. Which resources IAM actions reach, and on which conditions, test_iam_reach.py
decides on concrete ARNs.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint
import pytest
import yaml

from tests.conftest import TEST_AUCTION_CONTEXT
from tests.unit.cloudformation import EXECUTION_POLICY, resolved
from tests.unit.iam import Request, allow_statements, decide, listed, normalized, readable

pytestmark = pytest.mark.synth
PROJECT_ROOT = Path(__file__).parents[2]
SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
HANDLERS = ("create", "read", "update", "delete")  # what a stack operation runs

# The IAM service prefix of each resource namespace the app uses. A new one fails the
# mapping test below until it is added here and to the execution policy.
SERVICE_OF = {
    "ApiGateway": "apigateway",
    "Chatbot": "chatbot",
    "CloudWatch": "cloudwatch",
    "CodeBuild": "codebuild",
    "CodeDeploy": "codedeploy",
    "CodePipeline": "codepipeline",
    "CodeStarNotifications": "codestar-notifications",
    "DynamoDB": "dynamodb",
    "IAM": "iam",
    "KMS": "kms",
    "Lambda": "lambda",
    "Logs": "logs",
    "S3": "s3",
    "SNS": "sns",
    "SQS": "sqs",
    "Scheduler": "scheduler",
    "StepFunctions": "states",
}
# Handler permissions for features of a resource type that no template of the app uses:
# (actions, resource type, the properties that would use them, what that feature is).
UNUSED_FEATURES = (
    (r"kinesis:.*", "AWS::DynamoDB::Table", {"KinesisStreamSpecification"}, "Kinesis streaming"),
    (
        r"(ec2|elasticfilesystem|s3files):.*",
        "AWS::Lambda::Function",
        {"VpcConfig", "FileSystemConfigs"},
        "a function in a VPC or with a file system",
    ),
    (
        r"s3tables:.*",
        "AWS::S3::Bucket",
        {"MetadataConfiguration", "MetadataTableConfiguration"},
        "S3 Metadata tables",
    ),
    (
        r"firehose:.*",
        "AWS::Logs::LogGroup",
        {"DataProtectionPolicy"},
        "data protection findings sent to Firehose",
    ),
    (
        r"iam:\w*(User|Group)Polic(y|ies)",
        "AWS::IAM::ManagedPolicy",
        {"Users", "Groups"},
        "a policy attached to IAM users or groups",
    ),
    (
        r"iam:\w*(User|Group)Polic(y|ies)",
        "AWS::IAM::Policy",
        {"Users", "Groups"},
        "a policy of IAM users or groups",
    ),
)
# Handler permissions withheld on purpose, and why.
WITHHELD = {
    "iam:DeleteRolePermissionsBoundary": "no role of the app leaves the permissions boundary",
}
# The AWS managed policies the app attaches to its roles, as AWS publishes them:
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html
AWS_MANAGED = {
    "service-role/AWSCodeDeployRoleForLambdaLimited": [
        "cloudwatch:DescribeAlarms",
        "lambda:UpdateAlias",
        "lambda:GetAlias",
        "lambda:GetProvisionedConcurrencyConfig",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "lambda:InvokeFunction",
    ],
    # An AWS managed policy's name, which detect-secrets takes for a key.
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs": [  # pragma: allowlist secret
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
    ],
}
BOUNDARY_CONTEXT = "@aws-cdk/core:permissionsBoundary"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return yaml.safe_load(EXECUTION_POLICY.read_text())["Resources"]


@pytest.fixture(scope="module")
def execution_policy(shipped) -> dict[str, Any]:
    return shipped["ExecutionPolicy"]["Properties"]["PolicyDocument"]


@pytest.fixture(scope="module")
def app_boundary(shipped) -> dict[str, Any]:
    return shipped["PermissionsBoundary"]["Properties"]["PolicyDocument"]


@pytest.fixture(scope="module")
def stacks(synthesized) -> list:
    return synthesized.stacks()


def names(document: dict, action: str) -> bool:
    """Whether some Allow names `action` and no Deny refuses it on every resource: a service
    covered at all. On which resources, and on what conditions, is for test_iam_reach.py.
    """
    naming = [
        statement
        for statement in document["Statement"]
        if any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in listed(statement["Action"]))
    ]
    refused = any(
        s["Effect"] == "Deny" and s["Resource"] == "*" and "Condition" not in s for s in naming
    )
    return not refused and any(s["Effect"] == "Allow" for s in naming)


@cache
def handler_permissions(resource_type: str) -> frozenset[str]:
    providers = json.loads((SCHEMAS / "providers" / "eu-west-1.json").read_text())
    schema = json.loads((SCHEMAS / "resources" / f"{providers[resource_type]}.json").read_text())
    handlers = schema.get("handlers", {})
    return frozenset(p for h in HANDLERS for p in handlers.get(h, {}).get("permissions", []))


def resource_types(stacks) -> set[str]:
    return {r["Type"] for stack in stacks for r in stack.template()["Resources"].values()}


def test_every_resource_type_maps_to_a_service_the_execution_policy_allows(
    stacks, execution_policy
):
    walked = {stack.stack_name for stack in stacks}
    assert {"energy-auction-pipeline", "energy-auction-account", "energy-auction-prod"} <= walked

    unmapped = sorted(t for t in resource_types(stacks) if t.split("::")[1] not in SERVICE_OF)
    assert unmapped == [], "add each to SERVICE_OF and, if new, to the execution policy"
    allowed = {
        action.split(":")[0]
        for statement in execution_policy["Statement"]
        if statement["Effect"] == "Allow"
        for action in listed(statement["Action"])
    }
    not_allowed = sorted(
        (t, SERVICE_OF[t.split("::")[1]])
        for t in resource_types(stacks)
        if SERVICE_OF[t.split("::")[1]] not in allowed
    )
    assert not_allowed == []


def exemption(permission: str, resource_type: str) -> str | None:
    if permission in WITHHELD:
        return WITHHELD[permission]
    for actions, exempt_type, _, feature in UNUSED_FEATURES:
        if exempt_type == resource_type and re.fullmatch(actions, permission):
            return feature
    return None


def test_every_handler_permission_of_every_resource_type_is_allowed(stacks, execution_policy):
    missing = sorted(
        (resource_type, permission)
        for resource_type in resource_types(stacks)
        for permission in handler_permissions(resource_type)
        if not names(execution_policy, permission) and exemption(permission, resource_type) is None
    )
    assert missing == []
    # The registry lists handlers for nearly every type used; one without (a legacy type)
    # is covered by its service alone, as the mapping test checks.
    assert sum(1 for t in resource_types(stacks) if handler_permissions(t)) >= 30


def test_the_features_left_out_are_used_by_no_template_and_the_withheld_by_no_role(stacks):
    used = sorted(
        (stack.name, logical_id, used_property)
        for stack in stacks
        for logical_id, resource in stack.template()["Resources"].items()
        for _, exempt_type, properties, _ in UNUSED_FEATURES
        if resource["Type"] == exempt_type
        for used_property in properties & set(resource.get("Properties", {}))
    )
    assert used == []
    without_boundary = [
        (stack.name, logical_id)
        for stack in stacks
        for logical_id, resource in stack.template()["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
        and "PermissionsBoundary" not in resource["Properties"]
    ]
    assert without_boundary == []


def granted_actions(stacks) -> set[tuple[str, str, str]]:
    """(stack, policy, action) for every action any identity policy of the app grants."""
    found = {
        (stack.name, logical_id, action)
        for stack in stacks
        for logical_id, statement in allow_statements(stack.template())
        for action in listed(statement["Action"])
    }
    for stack in stacks:
        for resource in stack.template()["Resources"].values():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            for arn in resource["Properties"].get("ManagedPolicyArns", []):
                name = readable(arn).partition(":iam::aws:policy/")[2]
                if name:
                    assert name in AWS_MANAGED, f"{name}: add its actions to AWS_MANAGED"
                    found |= {(stack.name, name, a) for a in AWS_MANAGED[name]}
    return found


def test_every_action_the_app_s_roles_are_given_is_within_the_boundary(stacks, app_boundary):
    granted = granted_actions(stacks)
    assert len(granted) > 100  # the walk read the policies

    cut = sorted(g for g in granted if not names(app_boundary, g[2]))
    assert cut == []


def test_every_role_carries_the_boundary_cdk_json_names_and_the_policy_requires(
    stacks, shipped, execution_policy
):
    name = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"][BOUNDARY_CONTEXT]["name"]
    assert shipped["PermissionsBoundary"]["Properties"]["ManagedPolicyName"] == name

    roles = [
        (stack, logical_id, resource["Properties"])
        for stack in stacks
        for logical_id, resource in stack.template()["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
    ]
    assert len(roles) > 50
    for stack, logical_id, role in roles:
        boundary_arn = normalized(readable(role.get("PermissionsBoundary", "none")))
        assert boundary_arn == f"arn:aws:iam::{stack.account}:policy/{name}", logical_id
    for sid in ("BoundedAppRoles", "AttachTheAppsPoliciesOnly"):
        (bounded,) = [s for s in execution_policy["Statement"] if s.get("Sid") == sid]
        required = readable(bounded["Condition"]["StringEquals"]["iam:PermissionsBoundary"])
        assert required == f"arn:<AWS::Partition>:iam::<AWS::AccountId>:policy/{name}"


def test_the_app_s_names_stay_where_the_iam_statements_reach(stacks, execution_policy):
    """PassRole and changes to roles and policies reach `energy-auction-*` only.

    A role or policy CloudFormation names begins with its stack's name; when the whole name
    would pass 64 characters the stack's name is cut, to 25 characters in the one case
    published (aws/aws-cdk#15265). Ours are shorter, and every explicit name has the prefix.
    """
    for stack in stacks:
        assert stack.stack_name.startswith("energy-auction-"), stack.stack_name
        assert len(stack.stack_name) <= 25, stack.stack_name
    names = [
        (stack.name, resource["Properties"].get(key))
        for stack in stacks
        for resource in stack.template()["Resources"].values()
        for key in ("RoleName", "ManagedPolicyName")
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")
    ]
    assert [n for n in names if n[1] is not None and not n[1].startswith("energy-auction-")] == []
    for sid in (
        "BoundedAppRoles",
        "AttachTheAppsPoliciesOnly",
        "AppRoles",
        "PassAppRolesToTheirServices",
        "AppPolicies",
    ):
        (statement,) = [s for s in execution_policy["Statement"] if s.get("Sid") == sid]
        assert readable(statement["Resource"]).endswith("/energy-auction-*")


def test_the_execution_policy_reads_every_parameter_the_templates_resolve(stacks, execution_policy):
    references = {
        (stack.account, name)
        for stack in stacks
        for name in re.findall(r"\{\{resolve:ssm:([^}:]+)\}\}", json.dumps(stack.template()))
    }
    assert references, "the alert targets are read from SSM in cdk.json"

    for account, name in references:
        document = resolved(
            execution_policy,
            conditions={},
            values={"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": account},
        )
        arn = f"arn:aws:ssm:eu-west-1:{account}:parameter{name}"
        assert decide([document], Request({"AWS": "exec"}, "ssm:GetParameters", arn, account)) == (
            "Allow"
        ), name
    other = f"arn:aws:ssm:eu-west-1:{TEST_AUCTION_CONTEXT['pipeline']['account']}:parameter/other"
    document = resolved(execution_policy, conditions={}, values={"AWS::AccountId": "x"})
    assert decide([document], Request({"AWS": "e"}, "ssm:GetParameters", other, "x")) != "Allow"
