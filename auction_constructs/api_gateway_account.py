"""API Gateway's one per-account, per-region setting: the role it writes logs with.

`AWS::ApiGateway::Account` is a single setting of the account and region, not a resource
a stage owns: two stacks that each set it overwrite each other, and deleting either takes
the role away from every API in the account. So it lives in its own stack, deployed once
per account, and the stage stacks depend on it.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from cdk_nag import NagSuppressions
from constructs import Construct


class ApiGatewayLogsRole(Construct):
    """The role API Gateway pushes execution and access logs with, set for the account."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway writes the account's REST API logs to CloudWatch",
            managed_policies=[
                # An AWS managed policy's name, which detect-secrets takes for a key.
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"  # pragma: allowlist secret
                )
            ],
        )
        # Every API of the account logs through this role: deleting the stack by mistake
        # must not take it away from them.
        self.role.apply_removal_policy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
        account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
        account.node.add_dependency(self.role)
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                {
                    "id": "AwsSolutions-IAM4",
                    "reason": "API Gateway's account-level logging role needs "
                    "AmazonAPIGatewayPushToCloudWatchLogs, which AWS maintains for it.",
                    "appliesTo": [
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AmazonAPIGatewayPushToCloudWatchLogs"
                    ],
                }
            ],
        )
