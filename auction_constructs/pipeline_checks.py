"""The roles the delivery pipeline's checks assume in a stage's account, and no more.

The smoke test posts one batch and runs the workflow once; the bake gate reads the
stage's alarms. Each role is named, so that the pipeline can name it before the stage
exists, and trusts one role of the pipeline's account: the CodeBuild step that runs the
check. The trust names that role in a condition on `aws:PrincipalArn` beside the account
principal, not as a role principal: IAM stores a role principal by its unique ID, so that
role must exist before the trust is saved ("Invalid principal in policy"), and once it is
recreated under the same name it is no longer trusted; a condition compares the ARN as text
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagSuppressions
from constructs import Construct


def check_role_name(stage: str, check: str) -> str:
    """The role a check assumes in the stage's account."""
    return f"energy-auction-{stage}-{check}"


def check_runner_role_name(stage: str, check: str) -> str:
    """The role of the pipeline's CodeBuild step that runs a check, in the pipeline's account."""
    return f"energy-auction-pipeline-{stage}-{check}"


class PipelineChecks(Construct):
    """The smoke test's role and the bake gate's, each where the stage's settings ask."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        stage: str,
        pipeline_account: str,
        smoke_test: bool,
        bake: bool,
        alarm_prefix: str,
        client_policy: iam.IManagedPolicy,
        state_machine: sfn.StateMachine,
    ) -> None:
        super().__init__(scope, id_)
        self._stage = stage
        self._pipeline_account = pipeline_account
        self.smoke_test_role_arn = (
            self._smoke_test_role(client_policy, state_machine) if smoke_test else None
        )
        self.bake_role_arn = self._bake_role(alarm_prefix) if bake else None

    def _role(
        self, check: str, reason: str, statements: list[iam.PolicyStatement], **options
    ) -> iam.Role:
        role = iam.Role(
            self,
            check.title().replace("-", ""),
            role_name=check_role_name(self._stage, check),
            assumed_by=self._runner(check),
            max_session_duration=Duration.hours(1),
            **options,
        )
        for statement in statements:
            role.add_to_policy(statement)
        NagSuppressions.add_resource_suppressions(
            role, [{"id": "AwsSolutions-IAM5", "reason": reason}], apply_to_children=True
        )
        return role

    def _runner(self, check: str) -> iam.IPrincipal:
        """The pipeline's account, and in it only the role of the step that runs `check`."""
        runner = (
            f"arn:{Aws.PARTITION}:iam::{self._pipeline_account}:role/"
            f"{check_runner_role_name(self._stage, check)}"
        )
        return iam.AccountPrincipal(self._pipeline_account).with_conditions(
            {"ArnEquals": {"aws:PrincipalArn": runner}}
        )

    def _smoke_test_role(
        self, client_policy: iam.IManagedPolicy, machine: sfn.StateMachine
    ) -> CfnOutput:
        """Post one batch, start the workflow, read the run it started."""
        executions = Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role = self._role(
            "smoke-test",
            "The smoke test reads the runs it starts, whose names it chooses at run time: "
            "executions of this one state machine.",
            [
                iam.PolicyStatement(
                    actions=["states:StartExecution"], resources=[machine.state_machine_arn]
                ),
                iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]),
            ],
            managed_policies=[client_policy],
        )
        return CfnOutput(self, "SmokeTestRoleArn", value=role.role_arn)

    def _bake_role(self, alarm_prefix: str) -> CfnOutput:
        """Read the stage's alarms, by the prefix they all carry."""
        alarms = Stack.of(self).format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=f"{alarm_prefix}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role = self._role(
            "bake",
            "The bake gate reads this stage's alarms, all named with its prefix.",
            [iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=[alarms])],
        )
        return CfnOutput(self, "BakeRoleArn", value=role.role_arn)
