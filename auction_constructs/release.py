"""How a new version of the functions goes live in a stage.

Every function is called through its `live` alias. In dev and staging, a deployment moves
the alias to the new version at once. In prod, CodeDeploy moves it: the API's functions
by canary, the hourly run's functions all at once (they see no calls inside a canary's
minutes, so a canary would prove nothing), and each deployment watches its alarms and
rolls back by itself when one goes off
(https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html).

Before the canary takes a call, a pre-traffic check (CodeDeploy's BeforeAllowTraffic
hook, handlers/pre_traffic_check.py) calls the new version directly and fails the
deployment unless it answers as documented (POST: a batch it refuses; GET: an order it
looks up and does not find): that catches a version that cannot start, refuses every
request or cannot read its table, at any traffic, where the alarms need traffic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagSuppressions
from constructs import Construct

from auction_constructs.functions import AuctionFunction

# 10 % of calls for 10 minutes, then all. The alarms need 3 one-minute datapoints, and
# CloudWatch a minute or two more: ALARM comes about 5 minutes in, the end of a 5-minute
# canary, well inside this one (tests/unit/test_release_alarms.py).
CANARY = codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_10_MINUTES
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
        pre_traffic_checks: Mapping[str, lambda_.IFunction] | None = None,
    ) -> None:
        """`canary`: the functions shifted gradually; `alarms`: each function's to watch;
        `pre_traffic_checks`: the hook that checks a function's new version first."""
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
            check = (pre_traffic_checks or {}).get(name)
            if check is not None:
                # CDK lets the group's role invoke the hook, and the hook report on this
                # group's deployments alone (PutLifecycleEventHookExecutionStatus).
                self.groups[name].add_pre_hook(check)
                # The alias moves, and hands CodeDeploy the release, only once the check
                # names the new version and may invoke it: the hook appears in the alias's
                # UpdatePolicy only, which CloudFormation is not documented to order by.
                function.alias.node.add_dependency(check, check.role)
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
                },
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "CDK lets CodeDeploy invoke the group's pre-traffic hook, one "
                    "function, and (`:*`) its versions; CodeDeploy invokes it by name.",
                    "appliesTo": [{"regex": "/^Resource::<.+PreTrafficCheck.+\\.Arn>:\\*$/"}],
                },
            ],
            apply_to_children=True,
        )
