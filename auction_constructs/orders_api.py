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

from domain.orders import DEFAULT_LIMITS, RESERVED_ATTRIBUTES

API_STAGE = "v1"

# What API Gateway checks before the Lambda runs; the handler checks everything again,
# and more (numbers, nesting, sizes), so this schema is a first, cheap gate.
ORDER_BATCH_SCHEMA = apigw.JsonSchema(
    schema=apigw.JsonSchemaVersion.DRAFT4,
    title="OrderBatch",
    type=apigw.JsonSchemaType.ARRAY,
    min_items=1,
    max_items=DEFAULT_LIMITS.max_records,
    items=apigw.JsonSchema(
        type=apigw.JsonSchemaType.OBJECT,
        required=["record_id"],
        properties={
            "record_id": apigw.JsonSchema(
                type=apigw.JsonSchemaType.STRING,
                min_length=1,
                max_length=DEFAULT_LIMITS.max_record_id_bytes,
            )
        },
        not_=apigw.JsonSchema(
            any_of=[apigw.JsonSchema(required=[name]) for name in sorted(RESERVED_ATTRIBUTES)]
        ),
    ),
)


class OrdersApi(Construct):
    """REST API with request validation, throttling, access logs and X-Ray."""

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
        # A body the schema refuses is answered with the reason, like the handler's 400s.
        self.api.add_gateway_response(
            "InvalidBody",
            type=apigw.ResponseType.BAD_REQUEST_BODY,
            templates={
                "application/json": '{"message": "the order batch was rejected; nothing was '
                'stored", "problems": [{"record": null, "field": null, "reason": '
                '"$util.escapeJavaScript($context.error.validationErrorString)"}]}'
            },
        )
        batch_model = self.api.add_model(
            "OrderBatch", content_type="application/json", schema=ORDER_BATCH_SCHEMA
        )
        validator = self.api.add_request_validator(
            "Validate", validate_request_body=True, validate_request_parameters=True
        )
        orders = self.api.root.add_resource("orders")
        self.post_orders = orders.add_method(
            "POST",
            apigw.LambdaIntegration(post_orders, proxy=True),
            authorization_type=apigw.AuthorizationType.IAM,
            request_validator=validator,
            request_models={"application/json": batch_model},
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
