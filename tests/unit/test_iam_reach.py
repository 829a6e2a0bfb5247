"""Where the execution role and the app's roles reach in IAM, decided on concrete ARNs.

The CloudFormation execution role holds bootstrap/execution-policy.yaml's execution policy,
bounded by the boundary the bootstrap requires; every role the app creates holds whatever
a template gives it, bounded by the app's boundary. Both documents are resolved as one
account holds them and evaluated with `tests.unit.iam.decide_within`, resources and
conditions included: every IAM call CloudFormation makes for the templates' own roles and
policies is allowed, and nothing reaches the bootstrap's roles (the execution role among
them), the account's administrator role, AWS's managed policies or another account's roles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import yaml

from tests.conftest import TEST_AUCTION_CONTEXT, SynthesizedStack
from tests.unit.cloudformation import CDK_BOOTSTRAP, shipped_policy
from tests.unit.iam import Request, decide_within, listed, normalized, readable
from tests.unit.test_execution_policy import WITHHELD, handler_permissions

pytestmark = pytest.mark.synth
ACCOUNT = TEST_AUCTION_CONTEXT["stages"]["prod"]["account"]
PIPELINE = TEST_AUCTION_CONTEXT["pipeline"]["account"]
EXECUTION_POLICY = "energy-auction-cfn-execution"
APP_BOUNDARY = "energy-auction-permissions-boundary"
# A name CloudFormation gives a role or policy the template does not name: the stack's name,
# the logical ID, a random suffix, within IAM's 64 characters.
GENERATED_SUFFIX = "-A1B2C3D4E5F6"
# The service each resource type hands its role to (iam:PassedToService).
PASSED_TO = {
    "AWS::ApiGateway::Account": "apigateway.amazonaws.com",
    "AWS::Chatbot::SlackChannelConfiguration": "chatbot.amazonaws.com",
    "AWS::CodeBuild::Project": "codebuild.amazonaws.com",
    "AWS::CodeDeploy::DeploymentGroup": "codedeploy.amazonaws.com",
    "AWS::CodePipeline::Pipeline": "codepipeline.amazonaws.com",
    "AWS::Lambda::Function": "lambda.amazonaws.com",
    "AWS::SNS::Topic": "sns.amazonaws.com",
    "AWS::Scheduler::Schedule": "scheduler.amazonaws.com",
    "AWS::StepFunctions::StateMachine": "states.amazonaws.com",
}
# Every action that changes IAM, for the app's roles: none may be theirs.
IAM_WRITES = (
    "iam:AttachRolePolicy", "iam:CreateAccessKey", "iam:CreatePolicyVersion", "iam:CreateRole",
    "iam:CreateUser", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PassRole",
    "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy", "iam:AttachUserPolicy",
)  # fmt: skip


def role(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def policy(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:policy/{name}"


EXECUTION_ROLE = role(f"cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-eu-west-1")
ADMIN_ROLE = role("OrganizationAccountAccessRole")
FOREIGN_ROLE = role("energy-auction-prod-orders", "999999999999")
APP_ROLE = role("energy-auction-prod-StoreResultRole-A1B2C3D4E5F6")
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


@cache
def template_of(stack: SynthesizedStack) -> dict[str, Any]:
    return stack.template()


@cache
def document(name: str, account: str) -> dict[str, Any]:
    return shipped_policy(name, account=account)


@cache
def execution_role_boundary() -> str:
    """The boundary the shipped bootstrap requires on its execution role (its Rules)."""
    rules = yaml.safe_load(CDK_BOOTSTRAP.read_text())["Rules"]
    (name,) = [
        assertion["Assert"]["Fn::Equals"][1]
        for rule in rules.values()
        for assertion in rule["Assertions"]
        if assertion["Assert"].get("Fn::Equals", [None])[0] == {"Ref": "InputPermissionsBoundary"}
    ]
    return name


def as_execution_role(request: Request) -> str:
    account = request.account
    return decide_within(
        [document(EXECUTION_POLICY, account)],
        document(execution_role_boundary(), account),
        request,
    )


def as_app_role(request: Request) -> str:
    """What a role of the app may do, whatever policy a template gives it (here: all)."""
    everything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return decide_within([everything], document(APP_BOUNDARY, request.account), request)


def call(action: str, resource: str, account: str = ACCOUNT, **context: str) -> Request:
    """A call of the execution role of `account`."""
    return Request({"AWS": EXECUTION_ROLE}, action, resource, account, context)


# -- what no template may make the execution role do ---------------------------------------

BOUNDED = {"iam:PermissionsBoundary": policy(APP_BOUNDARY)}
REFUSED = {
    "give the execution role an inline policy": call(
        "iam:PutRolePolicy", EXECUTION_ROLE, **{"iam:PermissionsBoundary": policy(EXECUTION_POLICY)}
    ),
    "... even were it to carry the app's boundary": call(
        "iam:PutRolePolicy", EXECUTION_ROLE, **BOUNDED
    ),
    "attach AdministratorAccess to the execution role": call(
        "iam:AttachRolePolicy", EXECUTION_ROLE, **BOUNDED, **{"iam:PolicyARN": ADMIN_POLICY}
    ),
    "take the execution role's boundary off": call(
        "iam:DeleteRolePermissionsBoundary", EXECUTION_ROLE
    ),
    "rewrite the trust of the account's administrator role": call(
        "iam:UpdateAssumeRolePolicy", ADMIN_ROLE
    ),
    "give the administrator role a policy": call("iam:PutRolePolicy", ADMIN_ROLE),
    "attach AdministratorAccess to an app role": call(
        "iam:AttachRolePolicy", APP_ROLE, **BOUNDED, **{"iam:PolicyARN": ADMIN_POLICY}
    ),
    "change an AWS managed policy": call("iam:CreatePolicyVersion", ADMIN_POLICY),
    "change the app's boundary": call("iam:CreatePolicyVersion", policy(APP_BOUNDARY)),
    "change the execution policy": call("iam:CreatePolicyVersion", policy(EXECUTION_POLICY)),
    "create an app role without the boundary": call(
        "iam:CreateRole", role("energy-auction-prod-x")
    ),
    "create an app role bounded by the execution policy": call(
        "iam:CreateRole",
        role("energy-auction-prod-x"),
        **{"iam:PermissionsBoundary": policy(EXECUTION_POLICY)},
    ),
    "create a role of another name": call("iam:CreateRole", role("admin"), **BOUNDED),
    "hand the administrator role to a function": call(
        "iam:PassRole", ADMIN_ROLE, **{"iam:PassedToService": "lambda.amazonaws.com"}
    ),
    "hand the execution role to a function": call(
        "iam:PassRole", EXECUTION_ROLE, **{"iam:PassedToService": "lambda.amazonaws.com"}
    ),
    "hand an app role to a service the app does not use": call(
        "iam:PassRole", APP_ROLE, **{"iam:PassedToService": "ec2.amazonaws.com"}
    ),
    "change another account's role": call("iam:UpdateAssumeRolePolicy", FOREIGN_ROLE),
    "give another account's role a policy": call("iam:PutRolePolicy", FOREIGN_ROLE, **BOUNDED),
    "assume the administrator role": call("sts:AssumeRole", ADMIN_ROLE),
}


@pytest.mark.parametrize("attempt", REFUSED)
def test_no_template_makes_the_execution_role_reach_beyond_the_app(attempt):
    assert as_execution_role(REFUSED[attempt]) != "Allow"


def test_the_execution_role_is_bounded_by_its_own_policy():
    # Whatever a template could add to the execution role, the boundary caps it at the
    # policy; the app's boundary, meant for roles that change nothing in IAM, would not do.
    assert execution_role_boundary() == EXECUTION_POLICY


# -- what the templates need it to do --------------------------------------------------------


def physical_name(stack: SynthesizedStack, logical_id: str, key: str) -> str:
    properties = template_of(stack)["Resources"][logical_id]["Properties"]
    generated = f"{stack.stack_name}-{logical_id}"[: 64 - len(GENERATED_SUFFIX)]
    return properties.get(key, generated + GENERATED_SUFFIX)


def role_arn(stack: SynthesizedStack, logical_id: str) -> str:
    properties = template_of(stack)["Resources"][logical_id]["Properties"]
    assert properties.get("Path", "/") == "/", logical_id
    return role(physical_name(stack, logical_id, "RoleName"), stack.account)


def policy_arn(stack: SynthesizedStack, reference: Any) -> str:
    """A managed policy's ARN: AWS's, or one of the template's (by its physical name)."""
    text = normalized(readable(reference))
    if text.startswith("arn:"):
        return text
    logical_id = text.strip("<>")
    return policy(physical_name(stack, logical_id, "ManagedPolicyName"), stack.account)


def of_type(stack: SynthesizedStack, resource_type: str) -> Iterator[tuple[str, dict]]:
    for logical_id, resource in template_of(stack)["Resources"].items():
        if resource["Type"] == resource_type:
            yield logical_id, resource.get("Properties", {})


def role_calls(stack: SynthesizedStack) -> Iterator[tuple[str, Request]]:
    """Each call the AWS::IAM::Role handler makes for each role, as the role then stands."""
    for logical_id, properties in of_type(stack, "AWS::IAM::Role"):
        arn = role_arn(stack, logical_id)
        bounded = {
            "iam:PermissionsBoundary": normalized(readable(properties["PermissionsBoundary"]))
        }
        for action in sorted(handler_permissions("AWS::IAM::Role") - set(WITHHELD)):
            if action != "iam:AttachRolePolicy":
                yield logical_id, call(action, arn, stack.account, **bounded)
        for managed in properties.get("ManagedPolicyArns", []):
            attached = {**bounded, "iam:PolicyARN": policy_arn(stack, managed)}
            yield logical_id, call("iam:AttachRolePolicy", arn, stack.account, **attached)


def policy_calls(stack: SynthesizedStack) -> Iterator[tuple[str, Request]]:
    """The inline policies put on roles, and the managed policies made and attached."""
    resources = template_of(stack)["Resources"]
    for logical_id, properties in of_type(stack, "AWS::IAM::Policy"):
        for reference in properties["Roles"]:
            target = reference["Ref"]
            bounded = {"iam:PermissionsBoundary": normalized(readable(
                resources[target]["Properties"]["PermissionsBoundary"]))}  # fmt: skip
            for action in ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"):
                yield logical_id, call(action, role_arn(stack, target), stack.account, **bounded)
    for logical_id, properties in of_type(stack, "AWS::IAM::ManagedPolicy"):
        arn = policy_arn(stack, {"Ref": logical_id})
        for action in sorted(handler_permissions("AWS::IAM::ManagedPolicy")):
            if "Group" not in action and "User" not in action and "Role" not in action:
                yield logical_id, call(action, arn, stack.account)
        assert properties.get("Roles", []) == [], "attach it from the role (ManagedPolicyArns)"


def _role_references(node: Any, roles: set[str]) -> Iterator[str]:
    if isinstance(node, dict):
        if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in roles:
            yield node["Fn::GetAtt"][0]
            return
        for value in node.values():
            yield from _role_references(value, roles)
    elif isinstance(node, list):
        for value in node:
            yield from _role_references(value, roles)


def pass_calls(stack: SynthesizedStack) -> Iterator[tuple[str, Request]]:
    """Each role a resource is given, passed to that resource's service (and read, where the
    type's handler reads it)."""
    resources = template_of(stack)["Resources"]
    roles = {logical_id for logical_id, _ in of_type(stack, "AWS::IAM::Role")}
    for logical_id, resource in resources.items():
        if resource["Type"].startswith("AWS::IAM::"):
            continue
        for target in set(_role_references(resource.get("Properties", {}), roles)):
            service = PASSED_TO[resource["Type"]]
            trust = resources[target]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            trusted = {s["Principal"].get("Service") for s in trust} - {None}
            assert trusted <= {service}, (logical_id, target, trusted)
            arn = role_arn(stack, target)
            passed = {"iam:PassedToService": service}
            yield logical_id, call("iam:PassRole", arn, stack.account, **passed)
            if "iam:GetRole" in handler_permissions(resource["Type"]):
                yield logical_id, call("iam:GetRole", arn, stack.account)


def test_every_iam_call_the_templates_need_is_allowed_on_their_own_roles_and_policies(
    synthesized,
):
    calls = [
        (stack.name, logical_id, request)
        for stack in synthesized.stacks()
        for walk in (role_calls, policy_calls, pass_calls)
        for logical_id, request in walk(stack)
    ]
    assert len({c[2].action for c in calls}) >= 20  # the walk found every kind of call
    assert {c[2].context.get("iam:PassedToService") for c in calls} >= set(PASSED_TO.values())

    refused = [
        (stack, logical_id, request.action, request.resource)
        for stack, logical_id, request in calls
        if as_execution_role(request) != "Allow"
    ]
    assert refused == []


# -- what the app's roles may do ------------------------------------------------------------


def assumed_roles(stack: SynthesizedStack) -> Iterator[tuple[str, str]]:
    """(policy, role ARN) for each role any policy of the template lets a role assume; a
    pattern limited to the CDK bootstrap's roles by tag stands for those roles."""
    roles = {logical_id for logical_id, _ in of_type(stack, "AWS::IAM::Role")}
    for logical_id, properties in of_type(stack, "AWS::IAM::Policy"):
        for statement in properties["PolicyDocument"]["Statement"]:
            if "sts:AssumeRole" not in listed(statement["Action"]):
                continue
            tagged = statement.get("Condition", {}).get("ForAnyValue:StringEquals", {})
            for target in listed(statement["Resource"]):
                if isinstance(target, dict) and target.get("Fn::GetAtt", [None])[0] in roles:
                    yield logical_id, role_arn(stack, target["Fn::GetAtt"][0])
                    continue
                arn = normalized(readable(target))
                if arn.endswith(":role/*"):
                    account = arn.split(":")[4]
                    for kind in tagged["iam:ResourceTag/aws-cdk:bootstrap-role"]:
                        name = f"cdk-hnb659fds-{kind}-role-{account}-eu-west-1"
                        yield logical_id, role(name, account)
                else:
                    yield logical_id, arn


def test_the_app_s_roles_may_assume_the_roles_the_pipeline_uses_and_no_other(synthesized):
    assumed = sorted(
        (stack.name, logical_id, arn)
        for stack in synthesized.stacks()
        for logical_id, arn in assumed_roles(stack)
    )
    assert len(assumed) >= 15  # the pipeline's action roles, bootstrap roles, checks' roles

    def assume(arn: str) -> str:
        return as_app_role(Request({"AWS": APP_ROLE}, "sts:AssumeRole", arn, PIPELINE))

    assert [a for a in assumed if assume(a[2]) != "Allow"] == []
    for other in (
        ADMIN_ROLE,
        EXECUTION_ROLE,
        role(f"cdk-hnb659fds-lookup-role-{ACCOUNT}-eu-west-1"),
        role("AWSReservedSSO_AdministratorAccess_1a2b"),
    ):
        assert assume(other) != "Allow", other


@pytest.mark.parametrize("action", IAM_WRITES)
def test_no_role_of_the_app_may_change_anything_in_iam_whatever_its_policy(action):
    for target in (EXECUTION_ROLE, ADMIN_ROLE, APP_ROLE, ADMIN_POLICY, policy(APP_BOUNDARY)):
        request = Request({"AWS": APP_ROLE}, action, target, ACCOUNT, dict(BOUNDED))
        assert as_app_role(request) != "Allow", target


def test_the_walks_read_the_templates_as_deployed(synthesized):
    """The names above are those CloudFormation gives: explicit, or after the stack's name."""
    (pipeline,) = [s for s in synthesized.stacks() if s.stack_name == "energy-auction-pipeline"]
    names = {arn.split("/")[-1] for _, arn in assumed_roles(pipeline)}
    assert "energy-auction-staging-smoke-test" in names
    assert any(n.startswith("energy-auction-pipeline-PipelineCodeBuildActionRole") for n in names)
    assert json.dumps(template_of(pipeline)).count("PermissionsBoundary") > 10
