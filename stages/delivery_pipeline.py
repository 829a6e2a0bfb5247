"""The delivery pipeline: git push to master deploys dev, staging, then (approved) prod.

CDK Pipelines, self-mutating: a change to the pipeline itself is applied by the pipeline
before anything is deployed. The synth step installs and tests the project exactly as a
developer does (`make install`, `make lint`, `make test`), then `npx cdk synth` with the
CLI pinned in package.json and the Lambda's Python at hand to compile the packages.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Duration, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from constructs import Construct

from auction_constructs.alerts import AlertsTopic
from auction_constructs.packaging import COMPILER_VARIABLE, LAMBDA_PYTHON_VERSION
from stages.auction_stage import AuctionStage
from stages.settings import PipelineSettings, StageSettings

PACKAGE_JSON = Path(__file__).resolve().parents[1] / "package.json"
# The Lambda packages ship bytecode only an interpreter of the functions' Python version
# can write; uv installs that interpreter, and the synthesis fails rather than deploy
# packages that compile themselves at every cold start.
UV_VERSION = "0.13.9"
SYNTH_INSTALL = [
    "make install",
    "npm ci --no-audit --no-fund",
    f"python -m pip install --quiet uv=={UV_VERSION}",
    f"uv python install {LAMBDA_PYTHON_VERSION}",
]
SYNTH_COMMANDS = [
    "make lint",
    "make test",
    f'LAMBDA_PYTHON="$(uv python find {LAMBDA_PYTHON_VERSION})" && '
    f'{COMPILER_VARIABLE}="$LAMBDA_PYTHON" npx cdk synth',
]
PROD_APPROVAL = (
    "Before approving: staging's smoke test passed; the staging dashboard "
    "(energy-auction-staging) shows no alarm; the change's diff was reviewed."
)


def cdk_cli_version() -> str:
    """The CDK CLI version pinned in package.json (the pipeline self-mutates with it)."""
    return json.loads(PACKAGE_JSON.read_text())["devDependencies"]["aws-cdk"]


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
        super().__init__(scope, id_, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            pipeline.repository,
            pipeline.branch,
            connection_arn=pipeline.connection_arn,
            trigger_on_push=True,
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name="energy-auction",
            pipeline_type=codepipeline.PipelineType.V2,
            self_mutation=True,
            cross_account_keys=True,  # stages may live in other accounts
            enable_key_rotation=True,
            docker_enabled_for_synth=False,  # nothing here needs Docker
            cli_version=cdk_cli_version(),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_8_0,
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
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                install_commands=SYNTH_INSTALL,
                commands=SYNTH_COMMANDS,
                primary_output_directory="cdk.out",
            ),
        )
        for settings in stages:
            self._add_stage(settings, pipeline, source)
        self.pipeline.build_pipeline()
        alerts = AlertsTopic(
            self,
            "PipelineAlerts",
            topic_name="energy-auction-pipeline-alerts",
            email=pipeline.alert_email,
            slack=pipeline.slack,
            publishing_services=("codestar-notifications.amazonaws.com",),
        )
        self.pipeline.pipeline.notify_on(
            "FailuresAndApprovals",
            target=alerts.topic,
            events=[
                codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
                codepipeline.PipelineNotificationEvents.ACTION_EXECUTION_FAILED,
                codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
            ],
        )

    def _add_stage(
        self,
        settings: StageSettings,
        pipeline: PipelineSettings,
        source: pipelines.CodePipelineSource,
    ) -> None:
        smoke_tested = settings.name == "staging"
        stage = AuctionStage(
            self,
            settings.name.title(),
            settings=settings,
            smoke_test_account=pipeline.account if smoke_tested else None,
        )
        pre = []
        if settings.name == "prod":
            pre.append(pipelines.ManualApprovalStep("PromoteToProd", comment=PROD_APPROVAL))
        post = [self._smoke_test(stage, source)] if smoke_tested else []
        self.pipeline.add_stage(stage, pre=pre, post=post)

    @staticmethod
    def _smoke_test(
        stage: AuctionStage, source: pipelines.CodePipelineSource
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
            env={"RUN_TIMEOUT_SECONDS": str(stage.settings.run_timeout_minutes * 60)},
            role_policy_statements=[
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"],
                    resources=[
                        f"arn:aws:iam::{stage.settings.account}:role/"
                        f"energy-auction-{stage.settings.name}-smoke-test"
                    ],
                )
            ],
            timeout=Duration.minutes(stage.settings.run_timeout_minutes + 5),
        )
