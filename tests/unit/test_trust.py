"""Whom each role and each resource trusts, in every template: a named role, never an account.

The walk reads every role's trust policy and every key, bucket, topic and queue policy of
the synthesized app and of the templates shipped in bootstrap/, every `Fn::If` either way.
An AWS principal passes when it is a role; an account (its root, its ID, a parameter of
accounts) only with a condition on `aws:PrincipalArn` naming roles, each by its whole name.
Two resource-policy forms pass as what they are: a key policy's own-account root, which
hands the key to that account's IAM policies (the default key policy,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), and `*`
pinned to the resource's own account by a condition.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from tests.conftest import TEST_AUCTION_CONTEXT
from tests.unit.cloudformation import shipped_templates, variants
from tests.unit.iam import Request, decide, listed, normalized, readable

pytestmark = pytest.mark.synth

POLICIES = {
    "AWS::IAM::Role": "AssumeRolePolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::ECR::Repository": "RepositoryPolicyText",
}
# A role by its whole name, in one account or in the account(s) the principal names ("*").
NAMED_ROLE = re.compile(r"^arn:aws:iam::(\d{12}|\*|<AWS::AccountId>):role/[\w+=,.@-]+$")
NAMING_OPERATORS = ("ArnEquals", "ArnLike", "StringEquals", "StringLike")
CALLER_ACCOUNT_KEYS = ("kms:CallerAccount", "aws:PrincipalAccount", "aws:SourceAccount")
PIPELINE = TEST_AUCTION_CONTEXT["pipeline"]["account"]
STAGING = TEST_AUCTION_CONTEXT["stages"]["staging"]["account"]
PROD = TEST_AUCTION_CONTEXT["stages"]["prod"]["account"]


@attrs.frozen
class Template:
    name: str
    body: dict[str, Any]
    account: str  # the account it deploys to; "<AWS::AccountId>" where that is a parameter


@attrs.frozen
class Trusting:
    """One Allow statement that names an AWS principal, where it was found."""

    template: Template
    resource: str
    type: str
    statement: dict[str, Any]


@pytest.fixture(scope="module")
def templates(synthesized) -> list[Template]:
    stacks = [Template(s.name, s.template(), s.account) for s in synthesized.stacks()]
    shipped = [Template(n, t, "<AWS::AccountId>") for n, t in shipped_templates().items()]
    return stacks + shipped


def trusting_statements(template: Template) -> Iterator[Trusting]:
    for logical_id, resource in template.body["Resources"].items():
        key = POLICIES.get(resource["Type"])
        if key is None or key not in resource.get("Properties", {}):
            continue
        for document in variants(resource["Properties"][key]):
            for statement in listed(document["Statement"]):
                if statement["Effect"] == "Allow" and "AWS" in statement.get("Principal", {}):
                    yield Trusting(template, logical_id, resource["Type"], statement)


def unnamed(trusting: Trusting) -> list[str]:
    """What `trusting` lets in without naming it: empty when every principal is named."""
    roles = {
        f"<{name}.Arn>"
        for name, r in trusting.template.body["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
    }
    own = trusting.template.account
    found = []
    for value in listed(trusting.statement["Principal"]["AWS"]):
        principal = normalized(readable(value))
        if ":role/" in principal or principal in roles:
            continue
        if principal == "*":
            if trusting.type != "AWS::IAM::Role" and _pins_caller_account(trusting.statement, own):
                continue
            found.append("any principal")
        elif trusting.type == "AWS::KMS::Key" and principal in (own, f"arn:aws:iam::{own}:root"):
            continue  # the key's own account: its IAM policies decide
        elif not _names_roles(trusting.statement, principal):
            found.append(f"{principal}, with no condition naming the principal")
    return found


def _pins_caller_account(statement: dict, own: str) -> bool:
    equal = statement.get("Condition", {}).get("StringEquals", {})
    return any(normalized(readable(equal.get(key, ""))) == own for key in CALLER_ACCOUNT_KEYS)


def _names_roles(statement: dict, principal: str) -> bool:
    """A condition on aws:PrincipalArn names roles, in the principal's account."""
    names = [
        normalized(readable(value))
        for operator in NAMING_OPERATORS
        for key, values in statement.get("Condition", {}).get(operator, {}).items()
        if key.lower() == "aws:principalarn"
        for value in listed(values)
    ]
    account = re.search(r"\d{12}", principal)
    return bool(names) and all(
        NAMED_ROLE.match(name) and (account is None or name.split(":")[4] in (account[0], "*"))
        for name in names
    )


def test_no_role_or_resource_trusts_an_account_without_naming_whom(templates):
    statements = [t for template in templates for t in trusting_statements(template)]
    findings = [
        (t.template.name, t.resource, finding) for t in statements for finding in unnamed(t)
    ]

    assert findings == []
    # The walk read the shipped bootstrap and the stages' policies, not nothing.
    assert {t.template.name for t in statements} >= {
        "cdk-bootstrap.yaml",
        "EnergyAuctionPipeline/Staging/Auction",
        "EnergyAuctionPipeline/Prod/Auction",
    }


def test_the_walk_finds_a_bare_account_a_wildcard_and_a_wildcard_name():
    def statement(principal: Any, condition: dict | None = None) -> dict:
        found = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principal}}
        return found | ({"Condition": condition} if condition else {})

    role = Template("made up", {"Resources": {}}, PROD)
    bare = [
        statement(f"arn:aws:iam::{PIPELINE}:root"),
        statement(PIPELINE),
        statement("*"),
        statement(PIPELINE, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PIPELINE}:role/*"}}),
        statement(PIPELINE, {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{PROD}:role/x"}}),
        statement(PIPELINE, {"StringEquals": {"aws:PrincipalAccount": PIPELINE}}),
    ]
    named = statement(
        PIPELINE, {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{PIPELINE}:role/x"}}
    )

    assert all(unnamed(Trusting(role, "R", "AWS::IAM::Role", s)) for s in bare)
    assert unnamed(Trusting(role, "R", "AWS::IAM::Role", named)) == []


def test_only_the_check_roles_and_the_bootstrap_roles_trust_through_an_account(templates):
    def through_an_account(t: Trusting) -> bool:
        principals = [normalized(readable(v)) for v in listed(t.statement["Principal"]["AWS"])]
        return t.type == "AWS::IAM::Role" and any(
            ":role/" not in p and p != "*" and not p.endswith(".Arn>") for p in principals
        )

    trusting = {
        (t.template.name, t.resource)
        for template in templates
        for t in trusting_statements(template)
        if through_an_account(t)
    }

    assert trusting == {
        ("EnergyAuctionPipeline/Staging/Auction", _logical_id(templates, "Staging", "smoke-test")),
        ("EnergyAuctionPipeline/Staging/Auction", _logical_id(templates, "Staging", "bake")),
        ("EnergyAuctionPipeline/Prod/Auction", _logical_id(templates, "Prod", "bake")),
        ("cdk-bootstrap.yaml", "DeploymentActionRole"),
        ("cdk-bootstrap.yaml", "FilePublishingRole"),
        ("cdk-bootstrap.yaml", "ImagePublishingRole"),
    }


def _logical_id(templates: list[Template], stage: str, check: str) -> str:
    (template,) = [t for t in templates if t.name == f"EnergyAuctionPipeline/{stage}/Auction"]
    (found,) = [
        name
        for name, r in template.body["Resources"].items()
        if r["Properties"].get("RoleName") == f"energy-auction-{stage.lower()}-{check}"
    ]
    return found


@pytest.mark.parametrize(
    ("stage", "account", "check"),
    [("Staging", STAGING, "smoke-test"), ("Staging", STAGING, "bake"), ("Prod", PROD, "bake")],
)
def test_a_check_role_may_be_assumed_by_its_step_and_by_nobody_else(
    templates, stage, account, check
):
    (template,) = [t for t in templates if t.name == f"EnergyAuctionPipeline/{stage}/Auction"]
    trust = template.body["Resources"][_logical_id(templates, stage, check)]["Properties"][
        "AssumeRolePolicyDocument"
    ]
    runner = f"arn:aws:iam::{PIPELINE}:role/energy-auction-pipeline-{stage.lower()}-{check}"

    def assume(caller_account: str, role: str) -> str:
        caller = f"arn:aws:iam::{caller_account}:role/{role}"
        request = Request(
            {"AWS": caller},
            "sts:AssumeRole",
            f"arn:aws:iam::{account}:role/energy-auction-{stage.lower()}-{check}",
            caller_account,
            {"aws:PrincipalArn": caller},
        )
        return decide([trust], request)

    assert assume(PIPELINE, runner.rsplit("/", 1)[1]) == "Allow"
    assert assume(PIPELINE, "Administrator") == "ImplicitDeny"
    assert assume(PIPELINE, "energy-auction-pipeline") == "ImplicitDeny"
    assert assume(account, runner.rsplit("/", 1)[1]) == "ImplicitDeny"
