"""The CDK bootstrap the project ships (bootstrap/cdk-bootstrap.yaml), as each account holds it.

A stage's account is bootstrapped with `--trust` the pipeline's account; the pipeline's own
account without. Each is resolved here as CloudFormation would, then asked, as IAM would,
who may assume its roles.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stages.delivery_pipeline import (
    ASSET_PUBLISHING_ROLE_NAME,
    PIPELINE_ROLE_NAME,
    SELF_MUTATION_ROLE_NAME,
)
from tests.conftest import TEST_AUCTION_CONTEXT
from tests.unit.cloudformation import CDK_BOOTSTRAP, EXECUTION_POLICY, resolved
from tests.unit.iam import Request, decide, listed, normalized, readable

pytestmark = pytest.mark.synth
PROJECT_ROOT = Path(__file__).parents[2]
PIPELINE = TEST_AUCTION_CONTEXT["pipeline"]["account"]
PROD = TEST_AUCTION_CONTEXT["stages"]["prod"]["account"]
# What the stock template has and this one leaves out, on purpose (see its header).
REMOVED = {
    "Parameters": {"UseExamplePermissionsBoundary"},
    "Conditions": {
        "ShouldCreatePermissionsBoundary",
        "HasTrustedAccountsForLookup",
        "HasCloudFormationExecutionPolicies",
    },
    "Resources": {"LookupRole", "CdkBoostrapPermissionsBoundaryPolicy"},
}
BOOTSTRAP_ROLES = {
    "deploy": "DeploymentActionRole",
    "file-publishing": "FilePublishingRole",
    "image-publishing": "ImagePublishingRole",
}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return yaml.safe_load(CDK_BOOTSTRAP.read_text())


def installed(
    template: dict, *, account: str, trusted: list[str], deny_external_id: bool = False
) -> dict[str, Any]:
    """The template's resources as `account` holds them, bootstrapped trusting `trusted`.

    Without --deny-external-id by default: the evaluator does not read the Null condition
    that option adds, which a test of its own asserts.
    """
    return resolved(
        template["Resources"],
        conditions={
            "HasTrustedAccounts": bool(trusted),
            "ShouldDenyExternalId": deny_external_id,
            "CreateNewKey": False,
            "UseAwsManagedKey": True,
            "HasCustomFileAssetsBucketName": False,
            "HasCustomContainerAssetsRepositoryName": False,
            "UsePublicAccessBlockConfiguration": True,
            "PermissionsBoundarySet": True,
            "ShouldApplyPermissionsBoundaryToAllRoles": False,
        },
        values={
            "TrustedAccounts": trusted,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::Region": "eu-west-1",
            "Qualifier": "hnb659fds",
        },
    )


def may_assume(resources: dict, role: str, account: str, caller: str) -> bool:
    """Whether the role ARN `caller` may assume the bootstrap's `role` in `account`."""
    trust = resources[role]["Properties"]["AssumeRolePolicyDocument"]
    request = Request(
        {"AWS": caller},
        "sts:AssumeRole",
        f"arn:aws:iam::{account}:role/cdk-{role}",
        caller.split(":")[4],
        {"aws:PrincipalArn": caller},
    )
    return decide([trust], request) == "Allow"


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def test_it_is_the_pinned_cli_s_bootstrap_of_the_same_version(shipped, tmp_path):
    printed = subprocess.run(  # noqa: S603  (the pinned CLI, offline)
        [str(PROJECT_ROOT / "node_modules" / ".bin" / "cdk"), "bootstrap", "--show-template"],
        cwd=tmp_path,  # no cdk.json: nothing is synthesized
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    stock = yaml.safe_load(printed.stdout)

    version = stock["Outputs"]["BootstrapVersion"]["Value"]
    assert shipped["Outputs"]["BootstrapVersion"]["Value"] == version
    assert shipped["Resources"]["CdkBootstrapVersion"]["Properties"]["Value"] == version
    assert shipped["Outputs"] == stock["Outputs"]
    # Its own variant, and no other: the stock CLI will not overwrite it unforced, and a
    # stack that still has the stock variant's name is refused (docs/deploying.md).
    variant = shipped["Parameters"]["BootstrapVariant"]["Default"]
    stock_variant = stock["Parameters"]["BootstrapVariant"]["Default"]
    assert variant != stock_variant
    assert accepted(shipped, as_documented(variant=variant))
    assert not accepted(shipped, as_documented(variant=stock_variant))
    for section, removed in REMOVED.items():
        # Everything else the CLI's template declares is still here, under the same name:
        # a newer CLI's template with more in it fails this until it is customized again.
        assert set(shipped[section]) == set(stock[section]) - removed, section


@pytest.mark.parametrize(
    ("kind", "trusted_name"),
    [("deploy", PIPELINE_ROLE_NAME), ("file-publishing", ASSET_PUBLISHING_ROLE_NAME)],
)
def test_in_a_stage_s_account_a_role_trusts_the_one_pipeline_role_that_uses_it(
    shipped, kind, trusted_name
):
    resources = installed(shipped, account=PROD, trusted=[PIPELINE])
    logical_id = BOOTSTRAP_ROLES[kind]

    assert may_assume(resources, logical_id, PROD, role(PIPELINE, trusted_name))
    others = {PIPELINE_ROLE_NAME, SELF_MUTATION_ROLE_NAME, ASSET_PUBLISHING_ROLE_NAME, "Admin"}
    for name in others - {trusted_name}:
        assert not may_assume(resources, logical_id, PROD, role(PIPELINE, name)), name
    # Nobody of the stage's own account, whatever its role is called.
    assert not may_assume(resources, logical_id, PROD, role(PROD, trusted_name))


def test_in_the_pipeline_s_account_the_roles_trust_self_mutation_only(shipped):
    resources = installed(shipped, account=PIPELINE, trusted=[])

    for logical_id in BOOTSTRAP_ROLES.values():
        assert may_assume(resources, logical_id, PIPELINE, role(PIPELINE, SELF_MUTATION_ROLE_NAME))
        for name in (PIPELINE_ROLE_NAME, ASSET_PUBLISHING_ROLE_NAME, "Admin"):
            assert not may_assume(resources, logical_id, PIPELINE, role(PIPELINE, name)), name


def test_the_names_trusted_are_those_of_the_pipeline_roles_that_assume_bootstrap_roles(
    synthesized, shipped
):
    """Read from the synthesized pipeline: which named role assumes which bootstrap role."""
    template = synthesized.pipeline_template()
    assuming: dict[tuple[str, str], set[str]] = {}  # (where, kind) -> role names
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        names = {
            template["Resources"][reference["Ref"]]["Properties"].get("RoleName")
            for reference in resource["Properties"]["Roles"]
        }
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if "sts:AssumeRole" not in listed(statement["Action"]):
                continue
            for target in listed(statement["Resource"]):
                arn = normalized(readable(target))
                if ":iam::" not in arn:
                    continue  # a role of this template: the pipeline's own action roles
                where = "pipeline" if arn.split(":")[4] == PIPELINE else "stage"
                tagged = statement.get("Condition", {}).get("ForAnyValue:StringEquals", {})
                kinds = tagged.get("iam:ResourceTag/aws-cdk:bootstrap-role") or [
                    kind for kind in BOOTSTRAP_ROLES if f"-{kind}-role-" in arn
                ]
                for kind in kinds:
                    assuming.setdefault((where, kind), set()).update(names)

    # Every role that assumes a bootstrap role has the name the bootstrap trusts.
    assert assuming == {
        ("stage", "deploy"): {PIPELINE_ROLE_NAME},
        ("stage", "file-publishing"): {ASSET_PUBLISHING_ROLE_NAME},
        ("pipeline", "deploy"): {SELF_MUTATION_ROLE_NAME},
        ("pipeline", "file-publishing"): {SELF_MUTATION_ROLE_NAME},
        ("pipeline", "image-publishing"): {SELF_MUTATION_ROLE_NAME},
    }


def test_every_assume_role_statement_refuses_an_external_id_by_default(shipped):
    assert shipped["Parameters"]["DenyExternalId"]["Default"] == "true"
    resources = installed(shipped, account=PROD, trusted=[PIPELINE], deny_external_id=True)
    for logical_id in BOOTSTRAP_ROLES.values():
        trust = resources[logical_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assuming = [s for s in trust if s["Action"] == "sts:AssumeRole"]
        assert assuming, logical_id
        assert all(s["Condition"]["Null"] == {"sts:ExternalId": "true"} for s in assuming)


def test_the_deploy_role_may_read_the_app_s_parameters(shipped):
    resources = installed(shipped, account=PROD, trusted=[PIPELINE])
    (policy,) = resources["DeploymentActionRole"]["Properties"]["Policies"]
    parameter = f"arn:aws:ssm:eu-west-1:{PROD}:parameter/energy-auction/prod/slack-channel-id"

    read = Request({"AWS": "deploy role"}, "ssm:GetParameters", parameter, PROD)
    assert decide([policy["PolicyDocument"]], read) == "Allow"
    other = Request(
        {"AWS": "deploy role"},
        "ssm:GetParameters",
        f"arn:aws:ssm:eu-west-1:{PROD}:parameter/other/secret",
        PROD,
    )
    assert decide([policy["PolicyDocument"]], other) == "ImplicitDeny"


def accepted(template: dict, parameters: dict[str, Any]) -> bool:
    """Whether CloudFormation would accept these parameters: each one's AllowedValues and
    AllowedPattern (which each member of a list must match), then the template's Rules."""
    return all(
        _allowed(declared, value)
        for name, declared in template["Parameters"].items()
        for value in listed(parameters.get(name, declared.get("Default", "")))
    ) and _rules_hold(template, parameters)


def _allowed(declared: dict[str, Any], value: str) -> bool:
    if "AllowedValues" in declared and value not in declared["AllowedValues"]:
        return False
    return "AllowedPattern" not in declared or bool(re.fullmatch(declared["AllowedPattern"], value))


def _rules_hold(template: dict, parameters: dict[str, Any]) -> bool:
    def value(node: Any) -> Any:
        if isinstance(node, dict):
            ((function, arguments),) = node.items()
            if function == "Ref":
                return parameters.get(arguments, template["Parameters"][arguments].get("Default"))
            values = [value(argument) for argument in listed(arguments)]
            if function == "Fn::Not":
                return not values[0]
            if function == "Fn::Equals":
                return values[0] == values[1]
            if function == "Fn::Contains":
                return values[1] in values[0]
            if function == "Fn::EachMemberEquals":
                return all(member == values[1] for member in values[0])
            raise ValueError(f"unknown rule function {function}")
        return node

    return all(
        value(assertion["Assert"])
        for rule in template["Rules"].values()
        for assertion in rule["Assertions"]
    )


def as_documented(**overrides: Any) -> dict[str, Any]:
    """The parameters the CLI passes with docs/deploying.md's flags, in PROD."""
    execution = yaml.safe_load(EXECUTION_POLICY.read_text())["Resources"]
    policy = execution["ExecutionPolicy"]["Properties"]["ManagedPolicyName"]
    parameters = {
        "CloudFormationExecutionPolicies": [f"arn:aws:iam::{PROD}:policy/{policy}"],
        "InputPermissionsBoundary": policy,  # the execution role is bounded by its own policy
        "TrustedAccounts": [PIPELINE],
        "TrustedAccountsForLookup": [""],
        "FileAssetsBucketKmsKeyId": "AWS_MANAGED_KEY",
    }
    if "variant" in overrides:
        parameters["BootstrapVariant"] = overrides.pop("variant")
    return parameters | overrides


def test_the_bootstrap_refuses_any_execution_policy_but_the_shipped_one(shipped):
    assert accepted(shipped, as_documented())
    # Every AWS managed policy is refused, not only AdministratorAccess; so is a second
    # policy beside the shipped one, and another boundary for the execution role.
    managed = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "ReadOnlyAccess")
    for wrong in (
        *({"CloudFormationExecutionPolicies": [f"arn:aws:iam::aws:policy/{m}"]} for m in managed),
        {"CloudFormationExecutionPolicies": [f"arn:aws:iam::{PROD}:policy/other"]},
        {"CloudFormationExecutionPolicies": [
            f"arn:aws:iam::{PROD}:policy/energy-auction-cfn-execution",
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ]},
        {"CloudFormationExecutionPolicies": [""]},
        {"InputPermissionsBoundary": ""},
        {"InputPermissionsBoundary": "energy-auction-permissions-boundary"},
        {"TrustedAccountsForLookup": [PIPELINE]},
    ):  # fmt: skip
        assert not accepted(shipped, as_documented(**wrong)), wrong
    # ... and the execution role takes exactly what it is given.
    execution_role = shipped["Resources"]["CloudFormationExecutionRole"]["Properties"]
    assert execution_role["ManagedPolicyArns"] == {"Ref": "CloudFormationExecutionPolicies"}
    assert readable(execution_role["PermissionsBoundary"]).endswith(
        ":policy/<InputPermissionsBoundary>"
    )


def documented_bootstrap_commands() -> list[str]:
    """Each `npx cdk bootstrap ...` command of docs/deploying.md, continuation lines joined."""
    text = (PROJECT_ROOT / "docs" / "deploying.md").read_text().replace("\\\n", " ")
    return [" ".join(line.split()) for line in text.splitlines() if "npx cdk bootstrap " in line]


def pinned_cli_kms_key_id(*, customer_key_flag: bool | None, current: str | None) -> str | None:
    """FileAssetsBucketKmsKeyId as the pinned CLI computes it (its own expression, run by
    node); None: the CLI leaves it out, and CloudFormation takes the previous value or,
    with --no-previous-parameters, the template's default."""
    source = (PROJECT_ROOT / "node_modules" / "aws-cdk" / "lib" / "index.js").read_text()
    (expression,) = re.findall(r"const kmsKeyId = (params\.kmsKeyId \?\? \(.*\));", source)
    constants = re.findall(r"(USE_AWS_MANAGED_KEY|CREATE_NEW_KEY) = (\"[^\"]*\");", source)
    assert {name for name, _ in constants} == {"USE_AWS_MANAGED_KEY", "CREATE_NEW_KEY"}
    program = "".join(f"const {name} = {value};" for name, value in constants) + (
        f"const params = {{createCustomerMasterKey: {json.dumps(customer_key_flag)} ?? undefined}};"
        f"const currentKmsKeyId = {json.dumps(current)} ?? undefined;"
        f"const kmsKeyId = {expression};"
        "console.log(JSON.stringify(kmsKeyId === undefined ? null : kmsKeyId));"
    )
    node = shutil.which("node")
    assert node is not None, "the pinned CLI needs Node"
    printed = subprocess.run(  # noqa: S603  (node, offline, the CLI's own expression)
        [node, "-e", program], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(printed.stdout)


def test_bootstrapping_again_keeps_the_staging_bucket_on_aws_s_key(shipped):
    """`--force --no-previous-parameters` (to replace the stock variant) supplies every
    parameter anew: the CLI leaves FileAssetsBucketKmsKeyId out once the stack has one, so
    it would fall to the template's default, "" (CreateNewKey), and the staging bucket would
    move to a new customer managed key. `--no-bootstrap-customer-key` keeps AWS's."""
    bucket_key = shipped["Parameters"]["FileAssetsBucketKmsKeyId"]
    assert bucket_key["Default"] == ""
    assert shipped["Conditions"]["CreateNewKey"] == {
        "Fn::Equals": ["", {"Ref": "FileAssetsBucketKmsKeyId"}]
    }
    again = {"current": "AWS_MANAGED_KEY"}
    assert pinned_cli_kms_key_id(customer_key_flag=None, **again) is None  # -> the default
    assert pinned_cli_kms_key_id(customer_key_flag=False, **again) == "AWS_MANAGED_KEY"

    commands = documented_bootstrap_commands()
    assert len(commands) >= 2  # the pipeline's account, and each stage's
    for command in commands:
        assert "--no-bootstrap-customer-key" in command, command
    assert any("--force --no-previous-parameters" in c for c in commands)
