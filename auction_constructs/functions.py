"""The one way this system makes a Lambda function: every default in one place."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagSuppressions
from constructs import Construct

from auction_constructs.packaging import (
    OPENTELEMETRY_REQUIREMENTS,
    XRAY_SDK_REQUIREMENTS,
    build_code_asset,
    build_layer_asset,
    lambda_bytecode_compiler,
)
from handlers.observability import ADAPTER_VARIABLE, NAMESPACE_VARIABLE, TracingAdapter

RUNTIME = lambda_.Runtime.PYTHON_3_14  # the layer is built for this version
ARCHITECTURE = lambda_.Architecture.ARM_64  # cheaper per GB-second than x86_64
ALIAS = "live"
# Each function's timeout; the workflow derives its tasks' timeouts and retry bounds from them.
TIMEOUTS = {
    "handlers.post_orders": Duration.seconds(28),  # under API Gateway's 29 s
    "handlers.get_order": Duration.seconds(10),
    # 100,000 open orders read and written out in chunks take about half of it; the run's
    # bound on polling counts every attempt timing out, so it stays short.
    "handlers.fetch_results": Duration.seconds(30),
    "handlers.store_result": Duration.minutes(1),  # one chunk of decisions recorded
    "handlers.summarize_run": Duration.minutes(1),
    "handlers.synthetic_check": Duration.seconds(30),
    # A probe of a new version (at most the API functions' 28 s, a cold start included) and
    # the retries of a refused invocation, with time left to report to CodeDeploy.
    "handlers.pre_traffic_check": Duration.seconds(90),
}


# Each tracing adapter's dependency layer: its construct id, its pins, its description.
LAYERS = {
    TracingAdapter.XRAY_SDK: (
        "Dependencies",
        XRAY_SDK_REQUIREMENTS,
        "attrs and aws-xray-sdk for the auction handlers",
    ),
    TracingAdapter.OPENTELEMETRY: (
        "OpenTelemetryDependencies",
        OPENTELEMETRY_REQUIREMENTS,
        "attrs and OpenTelemetry (OTLP over UDP to X-Ray) for the auction handlers",
    ),
}


class FunctionCode(Construct):
    """The code asset every function of a stack shares, and a dependency layer per tracing
    adapter, made when a function first needs it: no function carries both adapters."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self._compiler = lambda_bytecode_compiler()
        self.code = lambda_.Code.from_asset(str(build_code_asset(compiler=self._compiler)))
        self._layers: dict[TracingAdapter, lambda_.LayerVersion] = {}

    def layer(self, tracing: TracingAdapter) -> lambda_.LayerVersion:
        """The layer of the functions that `tracing` traces."""
        if tracing not in self._layers:
            id_, requirements, description = LAYERS[tracing]
            self._layers[tracing] = lambda_.LayerVersion(
                self,
                id_,
                code=lambda_.Code.from_asset(
                    str(build_layer_asset(requirements, compiler=self._compiler))
                ),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description=description,
            )
        return self._layers[tracing]


class AuctionFunction(Construct):
    """A handler of `handlers/` as a Lambda function with its own least-privilege role.

    The role may write to the function's own log group and send traces; anything else
    is granted by the caller, statement by statement. `tracing` chooses the function's
    tracing adapter: its layer and its `TRACING_ADAPTER`, nothing more.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        shared: FunctionCode,
        handler_module: str,
        description: str,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        tracing: TracingAdapter,
        metrics_namespace: str,
        environment: dict[str, str] | None = None,
        memory_size: int = 256,
        released: bool = True,
    ) -> None:
        """`metrics_namespace`: where its EMF metrics go (they need no permission beyond
        its log group's). `released`: published as versions behind the `live` alias; not
        so a function CodeDeploy runs by name during a release (a pre-traffic check), whose
        alias nobody would call."""
        super().__init__(scope, id_)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=removal_policy
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {handler_module}",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=shared.code,
            layers=[shared.layer(tracing)],
            handler=f"{handler_module}.handler",
            environment={
                **(environment or {}),
                ADAPTER_VARIABLE: tracing.value,
                NAMESPACE_VARIABLE: metrics_namespace,
            },
            memory_size=memory_size,
            timeout=TIMEOUTS[handler_module],
            role=self.role,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            # A version is kept after the update that replaced it (a rollback may need
            # it), but not when the deployment that made it rolls back.
            current_version_options=lambda_.VersionOptions(
                removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
            ),
        )
        # Every caller calls the alias: a release publishes a version and moves `live` to
        # it, at once or (in prod) gradually by CodeDeploy, and can move it back.
        self.alias = (
            lambda_.Alias(self, "Live", alias_name=ALIAS, version=self.function.current_version)
            if released
            else None
        )
        self.timeout = TIMEOUTS[handler_module]
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "X-Ray's PutTraceSegments and PutTelemetryRecords have no "
                    "resource-level permissions.",
                    "appliesTo": ["Resource::*"],
                }
            ],
            apply_to_children=True,
        )
