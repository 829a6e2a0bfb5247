"""The orders API, signed with SigV4 (IAM): POST /orders submits a batch, GET
/orders/{record_id} reads one order and its auction outcome."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagSuppressions
from constructs import Construct

API_STAGE = "v1"

# The body is checked by the handler alone, which names the record and the field of every
# problem. A request model would answer first, with API Gateway's own validator's wording
# and no record or field, so that the documented answers (docs/api.md, tested against the
# handler) and the local emulation would differ from what a client meets in AWS
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html).
# Only IAM-authorised, throttled callers reach the handler at all.


class OrdersApi(Construct):
    """REST API with IAM auth, throttling, access logs and X-Ray."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        post_orders: lambda_.IFunction,
        get_order: lambda_.IFunction,
        api_name: str,
        rate_limit: float,
        burst_limit: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id_)
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description="Energy auction orders: submit batches, read outcomes",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The logging role is an account-wide setting: see api_gateway_account.py.
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=API_STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        validator = self.api.add_request_validator(
            "Validate", validate_request_body=False, validate_request_parameters=True
        )
        orders = self.api.root.add_resource("orders")
        self.post_orders = orders.add_method(
            "POST",
            apigw.LambdaIntegration(post_orders, proxy=True),
            authorization_type=apigw.AuthorizationType.IAM,
        )
        self.get_order = orders.add_resource("{record_id}").add_method(
            "GET",
            apigw.LambdaIntegration(get_order, proxy=True),
            authorization_type=apigw.AuthorizationType.IAM,
            request_validator=validator,
            request_parameters={"method.request.path.record_id": True},
        )
        submit = self.post_route_arn = self.api.arn_for_execute_api("POST", "/orders", API_STAGE)
        read = self.api.arn_for_execute_api("GET", "/orders/*", API_STAGE)
        self.client_policy = self._invoke_policy(
            "ClientPolicy", "Attach to the roles that submit order batches and read outcomes",
            submit, read,
        )  # fmt: skip
        self.reader_policy = self._invoke_policy(
            "ReaderPolicy", "Attach to the roles that only read orders and their outcomes", read
        )
        NagSuppressions.add_resource_suppressions(
            self.api,
            [
                {
                    "id": "AwsSolutions-APIG3",
                    "reason": "Callers are authenticated with SigV4 (IAM) and throttled per "
                    "stage; there is no anonymous surface for a WAF to filter.",
                },
                {
                    "id": "AwsSolutions-APIG2",
                    "reason": "The handler validates every body before anything is written "
                    "and names the record and field of each problem; a request model would "
                    "answer first, naming neither, and differently from the documented "
                    "answers. GET's path parameter is validated by API Gateway.",
                },
                {
                    "id": "AwsSolutions-COG4",
                    "reason": "Clients are services of the trading company with IAM roles; "
                    "IAM authorization replaces a Cognito user pool.",
                },
            ],
            apply_to_children=True,
        )

    def _invoke_policy(self, id_: str, description: str, *routes: str) -> iam.ManagedPolicy:
        policy = iam.ManagedPolicy(
            self,
            id_,
            description=description,
            statements=[
                iam.PolicyStatement(actions=["execute-api:Invoke"], resources=list(routes))
            ],
        )
        NagSuppressions.add_resource_suppressions(
            policy,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "GET /orders/{record_id} for any record_id: the wildcard is "
                    "the path parameter of this one method of this stage.",
                    "appliesTo": [{"regex": "/^Resource::arn:.*\\/GET\\/orders\\/\\*$/"}],
                }
            ],
        )
        return policy

    @property
    def url(self) -> str:
        return self.api.url_for_path("/orders")
