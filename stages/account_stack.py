"""The settings of an AWS account that every stage in it shares, deployed once per account."""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from auction_constructs.api_gateway_account import ApiGatewayLogsRole

ACCOUNT_STACK_NAME = "energy-auction-account"


class AccountSettingsStack(Stack):
    """Account-wide settings (today API Gateway's logging role), outside any stage's life."""

    def __init__(self, scope: Construct, id_: str, **kwargs) -> None:
        super().__init__(scope, id_, stack_name=ACCOUNT_STACK_NAME, **kwargs)
        ApiGatewayLogsRole(self, "ApiGatewayLogs")
