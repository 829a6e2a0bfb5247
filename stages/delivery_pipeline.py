"""The delivery pipeline: git push to master deploys dev, staging, then (approved) prod.

CDK Pipelines, self-mutating: a change to the pipeline itself is applied by the pipeline
before anything is deployed. The synth step installs and tests the project exactly as a
developer does (`make install`, `make lint`, `make test`), then `npx cdk synth` with the
CLI pinned in package.json and the Lambda's Python at hand to compile the packages.

The tools the pipeline runs are pinned in package.json and must read the cloud assembly
that the pinned aws-cdk-lib writes: CDK Pipelines would otherwise install the newest
cdk-assets, which may not read it (cdk-assets 4.7.3 reads schema 54, which aws-cdk-lib
2.273 writes and 2.274 does not). `make test` runs both on the synthesized assembly.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Aspects, CfnOutput, Duration, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from auction_constructs.alerts import AlertsTopic
from auction_constructs.checkov import APP_WIDE_SKIPS, SkipForEvery
from auction_constructs.packaging import COMPILER_VARIABLE, LAMBDA_PYTHON_VERSION
from auction_constructs.pipeline_artifacts import PipelineArtifacts
from auction_constructs.pipeline_checks import check_role_name, check_runner_role_name
from stages.auction_stage import AuctionStage
from stages.pipeline_nag import suppress_generated_findings
from stages.settings import (
    PipelineSettings,
    StageSettings,
    refuse_stages_in_the_pipeline_account,
)

PACKAGE_JSON = Path(__file__).resolve().parents[1] / "package.json"
# CodeBuild's standard 8.0 image (Node 22, Python 3.12); aws-cdk-lib 2.273 has no constant.
BUILD_IMAGE = "aws/codebuild/standard:8.0"
# The Lambda packages ship bytecode only an interpreter of the functions' Python version
# can write; uv installs that interpreter, and the synthesis fails rather than deploy
# packages that compile themselves at every cold start. uv is run as a module: pip puts
# its executable in the image's pyenv, which need not be on the PATH.
UV_VERSION = "0.13.9"
SYNTH_INSTALL = [
    "make install",  # the project's venv and package.json's pins, as a developer's
    f"python -m pip install --quiet uv=={UV_VERSION}",
    f"python -m uv python install {LAMBDA_PYTHON_VERSION}",
]
# The tests' results as a CodeBuild report; the supply-chain evidence as an artifact.
TEST_REPORT = "test-reports/pytest.xml"
EVIDENCE_DIRECTORY = "sbom"
SYNTH_COMMANDS = [
    "make lint",
    f'PYTEST_ADDOPTS="--junitxml={TEST_REPORT}" make test',
    "make secrets",  # detect-secrets over every tracked file
    "make audit-layer",  # known vulnerabilities in what the functions ship (needs PyPI)
    "make sbom",  # CycloneDX: the layer's pins and the build's environment
    f'LAMBDA_PYTHON="$(python -m uv python find {LAMBDA_PYTHON_VERSION})" && '
    f'{COMPILER_VARIABLE}="$LAMBDA_PYTHON" npx cdk synth',
]
# The pipeline's roles that assume the CDK bootstrap's roles, by name: each account's
# bootstrap (bootstrap/cdk-bootstrap.yaml) trusts these names and no other identity.
# CodePipeline's own role runs the CloudFormation actions with each stage's deploy role.
PIPELINE_ROLE_NAME = "energy-auction-pipeline"
# `cdk deploy` of this stack, in this account: its deploy and publishing roles.
SELF_MUTATION_ROLE_NAME = "energy-auction-pipeline-self-mutation"
# cdk-assets: the file-publishing role of every account that a stage deploys to.
ASSET_PUBLISHING_ROLE_NAME = "energy-auction-pipeline-assets"
APPROVAL_ACTION = "PromoteToProd"
PROD_APPROVAL = (
    "Before approving: staging's smoke test and bake passed (its alarms stayed quiet); "
    "the build's test report and evidence (SBOM, audit, secret scan) are clean; the "
    "change's diff was reviewed. Prod then releases by canary and bakes again."
)


def npm_pin(package: str) -> str:
    """The version of `package` pinned in package.json (`aws-cdk`, `cdk-assets`)."""
    return json.loads(PACKAGE_JSON.read_text())["devDependencies"][package]


def deployed_stage(
    scope: Construct,
    settings: StageSettings,
    pipeline: PipelineSettings,
    stages: tuple[StageSettings, ...],
) -> AuctionStage:
    """`settings`' stage as the pipeline deploys it; `make demo` synthesizes it alone."""
    return AuctionStage(
        scope,
        settings.name.title(),
        settings=settings,
        pipeline_account=pipeline.account,
        sets_up_account=settings.name in accounts_set_up_by(stages),
    )


def accounts_set_up_by(stages: tuple[StageSettings, ...]) -> set[str]:
    """The stages that deploy their account's shared settings: the first in each account."""
    first: dict[str, str] = {}
    for settings in stages:
        first.setdefault(settings.account, settings.name)
    return set(first.values())


class DeliveryPipelineStack(Stack):
    """The pipeline, its stages, and its failure and approval notifications."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        pipeline: PipelineSettings,
        stages: tuple[StageSettings, ...],
        **kwargs,
    ) -> None:
        refuse_stages_in_the_pipeline_account(pipeline, stages)
        super().__init__(scope, id_, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            pipeline.repository,
            pipeline.branch,
            connection_arn=pipeline.connection_arn,
            trigger_on_push=True,
        )
        artifacts = PipelineArtifacts(self, "Artifacts")
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name="energy-auction",
            pipeline_type=codepipeline.PipelineType.V2,
            self_mutation=True,
            # Stages may live in other accounts: the artifacts' own key is shared with them.
            artifact_bucket=artifacts.bucket,
            docker_enabled_for_synth=False,  # nothing here needs Docker
            cli_version=npm_pin("aws-cdk"),
            cdk_assets_cli_version=npm_pin("cdk-assets"),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.from_code_build_image_id(BUILD_IMAGE),
                    compute_type=codebuild.ComputeType.MEDIUM,
                ),
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {
                        "phases": {
                            "install": {"runtime-versions": {"python": "3.12", "nodejs": "22"}}
                        }
                    }
                ),
                timeout=Duration.minutes(60),
            ),
            synth=self._synth(source),
        )
        for settings in stages:
            self._add_stage(deployed_stage(self, settings, pipeline, stages), source)
        self.pipeline.build_pipeline()
        self._name_the_roles_other_accounts_trust()
        self._allow_source_to_use_connection(pipeline.connection_arn)
        self._prod_approvers()
        alerts = AlertsTopic(
            self,
            "PipelineAlerts",
            topic_name="energy-auction-pipeline-alerts",
            targets=pipeline.alerts,
        )
        notifications = self.pipeline.pipeline.notify_on(
            "FailuresAndApprovals",
            target=alerts.topic,
            events=[
                codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
                codepipeline.PipelineNotificationEvents.ACTION_EXECUTION_FAILED,
                codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
            ],
        )
        # CodeStar Notifications checks, when the rule is created, that the topic's policy
        # lets it publish; created first, the rule fails (aws-cdk issue 29484).
        notifications.node.add_dependency(alerts.policy)
        # Stages carry their own checks; this one is the pipeline's.
        Aspects.of(self).add(AwsSolutionsChecks(verbose=True))
        Aspects.of(self).add(SkipForEvery(APP_WIDE_SKIPS))
        suppress_generated_findings(self.pipeline)

    def _prod_approvers(self) -> None:
        """The one policy that lets its holders approve (or reject) prod, and see why.

        Attach it to the approvers' role or group: nothing else in this app grants
        `codepipeline:PutApprovalResult`, and this grants it on the prod approval only
        (https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-iam-permissions.html).
        """
        pipeline_arn = self.pipeline.pipeline.pipeline_arn
        policy = iam.ManagedPolicy(
            self,
            "ProdApprovers",
            managed_policy_name="energy-auction-prod-approvers",
            description="Approve or reject the release of energy-auction to prod",
            statements=[
                iam.PolicyStatement(
                    actions=["codepipeline:PutApprovalResult"],
                    resources=[f"{pipeline_arn}/Prod/{APPROVAL_ACTION}"],
                ),
                iam.PolicyStatement(
                    actions=[
                        "codepipeline:GetPipeline",
                        "codepipeline:GetPipelineState",
                        "codepipeline:GetPipelineExecution",
                        "codepipeline:ListPipelineExecutions",
                        "codepipeline:ListActionExecutions",
                    ],
                    resources=[pipeline_arn],
                ),
            ],
        )
        CfnOutput(self, "ProdApproversPolicyArn", value=policy.managed_policy_arn)

    def _name_the_roles_other_accounts_trust(self) -> None:
        """Give CDK Pipelines' roles that assume bootstrap roles the names those trust.

        CloudFormation would name them after the stack, the logical ID and a random suffix,
        cut to 64 characters: a name no trust policy can know before they exist.
        """
        generated = self.pipeline.node
        roles = {
            PIPELINE_ROLE_NAME: self.pipeline.pipeline.role,
            SELF_MUTATION_ROLE_NAME: generated.find_child("UpdatePipeline")
            .node.find_child("SelfMutation")
            .node.find_child("Role"),
            ASSET_PUBLISHING_ROLE_NAME: generated.find_child("Assets").node.find_child("FileRole"),
        }
        for name, role in roles.items():
            cfn_role = role.node.default_child
            assert isinstance(cfn_role, iam.CfnRole), role.node.path
            cfn_role.role_name = name

    def _allow_source_to_use_connection(self, connection_arn: str) -> None:
        """Let the source action use the connection under the ARN's own service prefix.

        CDK grants `codestar-connections:UseConnection` only; a connection whose ARN is
        `arn:aws:codeconnections:...` needs `codeconnections:UseConnection`, as IAM
        matches the action's prefix to the resource's
        (https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html).
        """
        source_stage = self.pipeline.pipeline.node.find_child("Source")
        (role,) = [c for c in source_stage.node.find_all() if isinstance(c, iam.Role)]
        service = connection_arn.split(":")[2]
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=[f"{service}:UseConnection"], resources=[connection_arn])
        )

    @staticmethod
    def _synth(source: pipelines.CodePipelineSource) -> pipelines.CodeBuildStep:
        """Install, lint, test, scan and synthesize as a developer does, with evidence."""
        synth = pipelines.CodeBuildStep(
            "Synth",
            input=source,
            install_commands=SYNTH_INSTALL,
            commands=SYNTH_COMMANDS,
            primary_output_directory="cdk.out",
            partial_build_spec=codebuild.BuildSpec.from_object(
                {
                    "reports": {
                        "tests": {
                            "files": [TEST_REPORT.rsplit("/", 1)[1]],
                            "base-directory": TEST_REPORT.rsplit("/", 1)[0],
                            "file-format": "JUNITXML",
                        }
                    }
                }
            ),
        )
        synth.add_output_directory(EVIDENCE_DIRECTORY)
        return synth

    def _add_stage(self, stage: AuctionStage, source: pipelines.CodePipelineSource) -> None:
        settings = stage.settings
        pre = []
        if settings.name == "prod":
            pre.append(pipelines.ManualApprovalStep(APPROVAL_ACTION, comment=PROD_APPROVAL))
        post: list[pipelines.Step] = []
        if settings.smoke_test:
            post.append(self._smoke_test(stage, source))
        if settings.bake_minutes:
            bake = self._bake(stage, source)
            for earlier in post:  # after the smoke test: its run's alarms count too
                bake.add_step_dependency(earlier)
            post.append(bake)
        self.pipeline.add_stage(stage, pre=pre, post=post)

    def _check_runner(self, stage: AuctionStage, check: str) -> iam.Role:
        """The CodeBuild role that runs `check`: the one role the stage's check role trusts.

        May assume that check role and nothing else in the stage's account; CDK Pipelines
        adds what the build itself needs (logs, reports, the artifacts), which its
        generated roles' reasoned suppressions cover, hence the pipeline as its scope.
        """
        settings = stage.settings
        role = iam.Role(
            self.pipeline,
            f"{settings.name.title()}{check.title().replace('-', '')}Runner",
            role_name=check_runner_role_name(settings.name, check),
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"Runs the {check} of {settings.name} in CodeBuild",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[
                    f"arn:aws:iam::{settings.account}:role/{check_role_name(settings.name, check)}"
                ],
            )
        )
        return role

    def _smoke_test(
        self, stage: AuctionStage, source: pipelines.CodePipelineSource
    ) -> pipelines.CodeBuildStep:
        """ops/smoke_test.py from the commit being deployed, against the stage's outputs."""
        outputs = stage.stack
        assert outputs.smoke_test_role_arn is not None
        return pipelines.CodeBuildStep(
            "SmokeTest",
            input=source,
            install_commands=["python -m pip install --quiet boto3"],
            commands=["python -m ops.smoke_test"],
            env_from_cfn_outputs={
                "ORDERS_URL": outputs.api_url,
                "STATE_MACHINE_ARN": outputs.state_machine_arn,
                "SMOKE_TEST_ROLE_ARN": outputs.smoke_test_role_arn,
            },
            env={
                "RUN_TIMEOUT_SECONDS": str(stage.settings.run_timeout_minutes * 60),
                "STAGE_REGION": stage.settings.region,
            },
            role=self._check_runner(stage, "smoke-test"),
            timeout=Duration.minutes(stage.settings.run_timeout_minutes + 5),
        )

    def _bake(
        self, stage: AuctionStage, source: pipelines.CodePipelineSource
    ) -> pipelines.CodeBuildStep:
        """ops/bake.py: the stage's alarms watched for its bake time; one going off fails it."""
        settings = stage.settings
        assert stage.stack.bake_role_arn is not None
        return pipelines.CodeBuildStep(
            "Bake",
            input=source,
            install_commands=["python -m pip install --quiet boto3"],
            commands=["python -m ops.bake"],
            env_from_cfn_outputs={"BAKE_ROLE_ARN": stage.stack.bake_role_arn},
            env={
                "ALARM_NAMES": ",".join(stage.stack.alarm_names),
                "BAKE_MINUTES": str(settings.bake_minutes),
                "STAGE_REGION": settings.region,
            },
            role=self._check_runner(stage, "bake"),
            timeout=Duration.minutes(settings.bake_minutes + 10),
        )
