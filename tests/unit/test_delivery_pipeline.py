"""The delivery pipeline's synthesized template: source, order of stages, gates, alerts."""

from __future__ import annotations

import json
import re

import pytest

from auction_constructs.packaging import COMPILER_VARIABLE, LAMBDA_PYTHON_VERSION
from stages.delivery_pipeline import APPROVAL_ACTION, PROD_APPROVAL, TEST_REPORT, npm_pin
from tests.conftest import TEST_AUCTION_CONTEXT
from tests.unit.iam import readable, statements_of_role
from tests.unit.test_auction_alarms import DECIDED_NOTHING, OLDEST

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def template(synthesized) -> dict:
    return synthesized.pipeline_template()


@pytest.fixture(scope="module")
def stages(template) -> list[dict]:
    (pipeline,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"
    ]
    return pipeline["Properties"]["Stages"]


def actions(stages: list[dict], stage: str) -> list[dict]:
    (found,) = [s for s in stages if s["Name"] == stage]
    return sorted(found["Actions"], key=lambda action: action["RunOrder"])


def project(template: dict, project_prefix: str) -> dict:
    (found,) = [
        r["Properties"] for name, r in template["Resources"].items()
        if r["Type"] == "AWS::CodeBuild::Project" and name.startswith(project_prefix)
    ]  # fmt: skip
    return found


def build_spec(template: dict, project_prefix: str) -> dict:
    return json.loads(project(template, project_prefix)["Source"]["BuildSpec"])


def test_the_source_is_the_github_connection_on_master(stages):
    (source,) = actions(stages, "Source")

    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    configuration = source["Configuration"]
    assert configuration["FullRepositoryId"] == "energy-trading/energy-auction"
    assert configuration["BranchName"] == "master"
    assert configuration["ConnectionArn"].startswith("arn:aws:codeconnections:eu-west-1:")


def test_every_push_to_master_starts_the_pipeline(stages):
    (source,) = actions(stages, "Source")

    # The connection's change detection starts a run per push (trigger_on_push=False
    # would write DetectChanges: false).
    assert source["Configuration"].get("DetectChanges", True) is True


def test_stages_run_build_self_mutation_then_dev_staging_prod(stages):
    names = [stage["Name"] for stage in stages]

    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    assert [name for name in names if name in {"Dev", "Staging", "Prod"}] == [
        "Dev",
        "Staging",
        "Prod",
    ]
    assert names.index("UpdatePipeline") < names.index("Dev")


def test_the_synth_step_installs_and_tests_the_project_as_the_readme_says(template):
    phases = build_spec(template, "PipelineBuildSynth")["phases"]

    assert phases["install"]["commands"][0] == "make install"
    assert phases["build"]["commands"][0] == "make lint"
    assert phases["build"]["commands"][1].endswith("make test")
    assert phases["build"]["commands"][-1].endswith("npx cdk synth")


def test_the_build_keeps_its_evidence_tests_report_secret_scan_audit_and_sboms(template):
    spec = build_spec(template, "PipelineBuildSynth")
    commands = spec["phases"]["build"]["commands"]

    assert commands[1] == f'PYTEST_ADDOPTS="--junitxml={TEST_REPORT}" make test'
    report = spec["reports"]["tests"]
    assert report["file-format"] == "JUNITXML"
    assert f"{report['base-directory']}/{report['files'][0]}" == TEST_REPORT
    assert {"make secrets", "make audit-layer", "make sbom"} <= set(commands)
    # Before the synthesis: a secret or a known vulnerability stops the release.
    assert commands.index("make secrets") < len(commands) - 1
    assert spec["artifacts"]["secondary-artifacts"]["Synth_sbom"]["base-directory"] == "sbom"


def test_the_synth_step_compiles_the_lambda_packages_with_the_functions_python(template):
    phases = build_spec(template, "PipelineBuildSynth")["phases"]
    synth = phases["build"]["commands"][-1]

    assert f"python -m uv python install {LAMBDA_PYTHON_VERSION}" in phases["install"]["commands"]
    assert synth.startswith(
        f'LAMBDA_PYTHON="$(python -m uv python find {LAMBDA_PYTHON_VERSION})" && '
    )
    assert f'{COMPILER_VARIABLE}="$LAMBDA_PYTHON" npx cdk synth' in synth


def test_uv_is_run_as_a_module_since_its_script_may_not_be_on_the_path(template):
    phases = build_spec(template, "PipelineBuildSynth")["phases"]
    commands = " && ".join(phases["install"]["commands"] + phases["build"]["commands"])

    assert re.findall(r"(?<!-m )\buv python", commands) == []
    assert "python -m uv python" in commands


def test_self_mutation_uses_the_pinned_cli(template):
    install = build_spec(template, "PipelineUpdatePipelineSelfMutation")["phases"]["install"]

    assert install["commands"] == [f"npm install -g aws-cdk@{npm_pin('aws-cdk')}"]


def test_prod_waits_for_a_manual_approval_before_deploying(stages):
    prod = actions(stages, "Prod")

    assert prod[0]["ActionTypeId"]["Category"] == "Approval"
    assert prod[0]["Name"] == APPROVAL_ACTION
    assert prod[0]["Configuration"]["CustomData"] == PROD_APPROVAL
    assert all(action["RunOrder"] > prod[0]["RunOrder"] for action in prod[1:])
    deploys = [a for a in prod if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert deploys
    # Then the bake: prod's alarms watched after its release; a failure stops the pipeline.
    assert prod[-1]["Name"] == "Bake"
    assert all(a["RunOrder"] < prod[-1]["RunOrder"] for a in deploys)


def test_no_other_stage_has_an_approval(stages):
    approvals = [
        stage["Name"]
        for stage in stages
        for action in stage["Actions"]
        if action["ActionTypeId"]["Category"] == "Approval"
    ]

    assert approvals == ["Prod"]


def test_staging_is_smoke_tested_then_baked_after_it_deploys_and_before_approval(template, stages):
    staging = actions(stages, "Staging")
    deploys = [a for a in staging if a["ActionTypeId"]["Provider"] == "CloudFormation"]

    smoke, bake = staging[-2:]
    assert (smoke["Name"], bake["Name"]) == ("SmokeTest", "Bake")
    assert all(a["RunOrder"] < smoke["RunOrder"] < bake["RunOrder"] for a in deploys)
    phases = build_spec(template, "PipelineStagingSmokeTest")["phases"]
    assert phases["build"]["commands"] == ["python -m ops.smoke_test"]
    variables = json.loads(smoke["Configuration"]["EnvironmentVariables"])
    assert {v["name"] for v in variables} >= {
        "ORDERS_URL",
        "STATE_MACHINE_ARN",
        "SMOKE_TEST_ROLE_ARN",
    }


def test_failures_and_waiting_approvals_are_notified(template):
    (rule,) = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::CodeStarNotifications::NotificationRule"
    ]  # fmt: skip
    (topic,) = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]

    assert set(rule["EventTypeIds"]) == {
        "codepipeline-pipeline-pipeline-execution-failed",
        "codepipeline-pipeline-action-execution-failed",
        "codepipeline-pipeline-manual-approval-needed",
    }
    assert rule["Targets"] == [{"TargetAddress": {"Ref": topic}, "TargetType": "SNS"}]


def test_the_notification_rule_is_created_after_the_topic_policy_that_lets_it_publish(template):
    # CodeStar Notifications checks at creation that it may publish (aws-cdk issue 29484).
    resources = template["Resources"]
    (rule,) = [
        r for r in resources.values() if r["Type"] == "AWS::CodeStarNotifications::NotificationRule"
    ]
    (policy_id,) = [name for name, r in resources.items() if r["Type"] == "AWS::SNS::TopicPolicy"]
    publishers = {
        principal
        for statement in resources[policy_id]["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        for principal in [statement["Principal"].get("Service")]
    }

    assert "codestar-notifications.amazonaws.com" in publishers
    assert policy_id in rule.get("DependsOn", [])


def trusted_runner(trust: dict) -> str:
    """The one role of the pipeline's account that a check role trusts, as an ARN."""
    (statement,) = trust["Statement"]
    pipeline = TEST_AUCTION_CONTEXT["pipeline"]["account"]
    assert readable(statement["Principal"]["AWS"]) == f"arn:<AWS::Partition>:iam::{pipeline}:root"
    return readable(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"])


def runner_role_arn(template: dict, project_prefix: str) -> str:
    """The ARN of the role a CodeBuild step runs with, from its (explicit) role name."""
    service_role = project(template, project_prefix)["ServiceRole"]
    role_id = readable(service_role).strip("<>").split(".")[0]
    name = template["Resources"][role_id]["Properties"]["RoleName"]
    pipeline = TEST_AUCTION_CONTEXT["pipeline"]["account"]
    return f"arn:<AWS::Partition>:iam::{pipeline}:role/{name}"


def test_only_staging_has_a_smoke_test_role_and_it_trusts_the_step_that_runs_it(
    synthesized, template
):
    def smoke_roles(stage: str) -> list[dict]:
        return [
            r["Properties"] for r in synthesized.stage_template(stage)["Resources"].values()
            if r["Type"] == "AWS::IAM::Role"
            and r["Properties"].get("RoleName", "").endswith("-smoke-test")
        ]  # fmt: skip

    (role,) = smoke_roles("Staging")
    assert trusted_runner(role["AssumeRolePolicyDocument"]) == runner_role_arn(
        template, "PipelineStagingSmokeTest"
    )
    assert smoke_roles("Dev") == smoke_roles("Prod") == []
    # ... and the step's role may assume that role, and no other.
    runner = readable(project(template, "PipelineStagingSmokeTest")["ServiceRole"])
    assumed = {
        resource
        for action, resource in statements_of_role(template, runner.strip("<>").split(".")[0])
        if action == "sts:AssumeRole"
    }
    staging = TEST_AUCTION_CONTEXT["stages"]["staging"]["account"]
    assert assumed == {f"arn:aws:iam::{staging}:role/{role['RoleName']}"}


def test_the_source_action_may_use_the_connection_under_its_own_service_prefix(template, stages):
    (source,) = actions(stages, "Source")
    connection = source["Configuration"]["ConnectionArn"]
    role = readable(source["RoleArn"])

    granted = statements_of_role(template, role.strip("<>").split(".")[0])
    # An arn:aws:codeconnections: connection is used as codeconnections:UseConnection:
    # https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html
    assert ("codeconnections:UseConnection", connection) in granted


def test_the_artifacts_are_versioned_logged_and_encrypted_with_their_own_key(template):
    (pipeline,) = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::CodePipeline::Pipeline"
    ]  # fmt: skip
    store = pipeline["ArtifactStore"]
    bucket = template["Resources"][readable(store["Location"]).strip("<>")]["Properties"]
    key = readable(store["EncryptionKey"]["Id"]).strip("<>").split(".")[0]

    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "DestinationBucketName" in bucket["LoggingConfiguration"]
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert readable(encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == f"<{key}.Arn>"
    assert template["Resources"][key]["Properties"]["EnableKeyRotation"] is True


def test_the_pipeline_alerts_reach_the_configured_slack_channel(template):
    (channel,) = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::Chatbot::SlackChannelConfiguration"
    ]  # fmt: skip
    assert channel["SlackChannelId"] == "{{resolve:ssm:/energy-auction/pipeline/slack-channel-id}}"
    (topic,) = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    assert channel["SnsTopicArns"] == [{"Ref": topic}]


def test_each_account_gets_its_api_gateway_logging_role_once_before_its_stage(synthesized):
    stacks = synthesized.stacks()
    setting_up = {
        stack.account: stack
        for stack in stacks
        if "AWS::ApiGateway::Account" in {r["Type"] for r in stack.template()["Resources"].values()}
    }
    auction = [stack for stack in stacks if stack.name.endswith("/Auction")]

    # One per account (the test app's three stages are in three accounts), in a stack of
    # its own that the account's stage deploys first.
    settings = [
        (stack.name, logical_id)
        for stack in stacks
        for logical_id, r in stack.template()["Resources"].items()
        if r["Type"] == "AWS::ApiGateway::Account"
    ]
    assert len(settings) == len({stack.account for stack in auction})
    assert {s.stack_name for s in setting_up.values()} == {"energy-auction-account"}
    assert set(setting_up) == {stack.account for stack in auction}
    for stack in auction:
        settings_stack = setting_up[stack.account].template_path.name.split(".")[0]
        assert settings_stack in stack.dependencies, stack.name


@pytest.mark.parametrize("stage", ["Staging", "Prod"])
def test_the_bake_watches_the_stage_s_own_alarms_for_its_bake_time(
    synthesized, template, stages, stage
):
    bake = actions(stages, stage)[-1]
    assert bake["Name"] == "Bake"
    variables = {
        v["Name"]: v["Value"]
        for v in project(template, f"Pipeline{stage}Bake")["Environment"]["EnvironmentVariables"]
    }
    # Every alarm but the auction's hourly two, which a 10-minute bake cannot judge
    # (auction_constructs/auction_alarms.py), and the table's lasting throttling, which any
    # caller's burst starts (auction_constructs/observability.py).
    unwatched = {
        f"energy-auction-{stage.lower()}-{name}"
        for name in (OLDEST, DECIDED_NOTHING, "orders-table-throttled")
    }
    alarm_names = [
        r["Properties"]["AlarmName"]
        for r in synthesized.stage_template(stage)["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"]["AlarmName"] not in unwatched
    ]
    assert len(unwatched & set(variables["ALARM_NAMES"].split(","))) == 0

    assert variables["BAKE_MINUTES"] == "10"
    assert alarm_names
    # The bake reads metric alarms only (its role may not read composite ones).
    resource_types = {r["Type"] for r in synthesized.stage_template(stage)["Resources"].values()}
    assert "AWS::CloudWatch::CompositeAlarm" not in resource_types
    # Every alarm of the stage, by name, in the stage's region; the role reads no others.
    assert sorted(variables["ALARM_NAMES"].split(",")) == sorted(alarm_names)
    assert variables["STAGE_REGION"] == "eu-west-1"
    prefix = f"energy-auction-{stage.lower()}-"
    assert all(name.startswith(prefix) for name in alarm_names)
    (role,) = [
        r["Properties"] for r in synthesized.stage_template(stage)["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("RoleName", "").endswith("-bake")
    ]  # fmt: skip
    assert trusted_runner(role["AssumeRolePolicyDocument"]) == runner_role_arn(
        template, f"Pipeline{stage}Bake"
    )


def test_only_the_prod_approvers_policy_may_approve_and_only_prod(synthesized, template):
    granting = [
        (stack.name, logical_id, statement)
        for stack in synthesized.stacks()
        for logical_id, resource in stack.template()["Resources"].items()
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
        if "codepipeline:PutApprovalResult" in json.dumps(statement.get("Action"))
    ]

    ((stack, logical_id, statement),) = granting
    assert (stack, logical_id.startswith("ProdApprovers")) == ("EnergyAuctionPipeline", True)
    assert readable(statement["Resource"]).endswith(f"/Prod/{APPROVAL_ACTION}")
    assert template["Resources"][logical_id]["Properties"]["ManagedPolicyName"] == (
        "energy-auction-prod-approvers"
    )
