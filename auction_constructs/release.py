"""How a new version of the functions goes live in a stage.

Every function is called through its `live` alias. In dev and staging, a deployment moves
the alias to the new version at once. In prod, CodeDeploy moves it: the API's functions
by canary (10 % of calls for 5 minutes, then all), the hourly run's functions all at
once (they see no calls inside 5 minutes, so a canary would prove nothing), and each
deployment watches its alarms and rolls back by itself when one goes off
(https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from cdk_nag import NagSuppressions
from constructs import Construct

from auction_constructs.functions import AuctionFunction

CANARY = codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES
AT_ONCE = codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE


class GradualRelease(Construct):
    """A CodeDeploy deployment group per function, rolling back on its alarms."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        functions: Mapping[str, AuctionFunction],
        canary: Sequence[str],
        alarms: Mapping[str, Sequence[cloudwatch.IAlarm]],
    ) -> None:
        """`canary`: the functions shifted gradually; `alarms`: each function's to watch."""
        super().__init__(scope, id_)
        self.application = codedeploy.LambdaApplication(self, "Application")
        self.groups: dict[str, codedeploy.LambdaDeploymentGroup] = {}
        for name, function in functions.items():
            self.groups[name] = codedeploy.LambdaDeploymentGroup(
                self,
                name.title().replace("_", ""),
                application=self.application,
                alias=function.alias,
                deployment_config=CANARY if name in canary else AT_ONCE,
                alarms=list(alarms[name]),
                auto_rollback=codedeploy.AutoRollbackConfig(
                    failed_deployment=True, deployment_in_alarm=True
                ),
            )
        NagSuppressions.add_resource_suppressions(
            self,
            [
                {
                    "id": "AwsSolutions-IAM4",
                    "reason": "CodeDeploy's service role for Lambda deployments is "
                    "AWSCodeDeployRoleForLambdaLimited, which AWS maintains for it.",
                    "appliesTo": [
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AWSCodeDeployRoleForLambdaLimited"
                    ],
                }
            ],
            apply_to_children=True,
        )
