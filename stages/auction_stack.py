"""The stack of one stage: the constructs wired together, least privilege between them."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from cdk_nag import NagSuppressions
from constructs import Construct

from auction_constructs.alerts import AlertsTopic
from auction_constructs.auction_alarms import AuctionNumbers
from auction_constructs.auction_functions import AuctionFunctions
from auction_constructs.auction_workflow import AuctionWorkflow
from auction_constructs.observability import AuctionObservability
from auction_constructs.orders_api import OrdersApi
from auction_constructs.orders_table import OrdersTable
from auction_constructs.pipeline_checks import PipelineChecks
from auction_constructs.release import GradualRelease
from auction_constructs.results_bucket import ResultsBucket
from auction_constructs.schedule import RUN_INTERVAL, HourlyAuctionSchedule, SyntheticCheckSchedule
from domain.metrics import namespace
from stages.settings import StageSettings

# The functions that serve the API's clients: released by canary where it is gradual.
API_FUNCTIONS = ("post_orders", "get_order")
SYNTHETIC_CHECK_EVERY = Duration.minutes(5)


class AuctionStack(Stack):
    """Orders API and table, the hourly workflow, results bucket, alerts, alarms."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: StageSettings,
        pipeline_account: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id_, **kwargs)
        # Kept when the stack is deleted or replaces them, but not when its first create
        # rolls back: a retry must not then stop at "already exists" (RetainExceptOnCreate).
        kept = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
        removal = kept if settings.retain_data else RemovalPolicy.DESTROY
        retention = settings.log_retention

        alerts = AlertsTopic(
            self,
            "Alerts",
            topic_name=settings.resource_name("auction-alerts"),
            targets=settings.alerts,
            log_retention=retention,
        )
        orders = OrdersTable(
            self, "Orders", removal_policy=removal, deletion_protection=settings.retain_data
        )
        results = ResultsBucket(
            self,
            "Results",
            bucket_name=f"{settings.resource_name('order-results')}-{settings.account}",
            removal_policy=kept,  # results are trade records: never deleted
        )

        metrics_namespace = namespace(settings.name)
        functions = AuctionFunctions(
            self, "Functions", orders=orders, results=results, log_retention=retention,
            removal_policy=removal, tracing=settings.tracing, metrics_namespace=metrics_namespace,
        )  # fmt: skip
        api = OrdersApi(
            self,
            "OrdersApi",
            post_orders=functions.post_orders.alias,
            get_order=functions.get_order.alias,
            api_name=settings.resource_name("auction-orders"),
            rate_limit=settings.api_rate_limit,
            burst_limit=settings.api_burst_limit,
            log_retention=retention,
            removal_policy=removal,
        )
        workflow = AuctionWorkflow(
            self,
            "Workflow",
            state_machine_name=settings.resource_name("auction-run"),
            fetch_results=functions.fetch_results,
            store_result=functions.store_result,
            summarize_run=functions.summarize_run,
            runs_bucket=results.runs,
            alerts=alerts.topic,
            polling=settings.polling,
            chunk_concurrency=settings.chunk_concurrency,
            timeout=Duration.minutes(settings.run_timeout_minutes),
            log_retention=retention,
            removal_policy=removal,
        )
        # SNS encrypts what the workflow publishes with the alerts key, as the workflow.
        alerts.key.grant(workflow.state_machine, "kms:Decrypt", "kms:GenerateDataKey")
        schedule = HourlyAuctionSchedule(
            self,
            "Schedule",
            state_machine=workflow.state_machine,
            run_timeout=Duration.minutes(settings.run_timeout_minutes),
        )
        synthetic = functions.add_synthetic_check(api.post_route_arn)
        synthetic_checks = SyntheticCheckSchedule(
            self,
            "SyntheticChecks",
            check=synthetic.alias,
            orders_url=api.url,
            every=SYNTHETIC_CHECK_EVERY,
            group_name=settings.resource_name("auction-synthetic-checks"),
        )
        observability = AuctionObservability(
            self,
            "Observability",
            name=settings.resource_name("energy-auction"),
            alerts=alerts,
            api=api.api,
            functions={name: f.function for name, f in functions.all.items()},
            state_machine=workflow.state_machine,
            table=orders.table,
            failed_starts=schedule.dead_letters,
            synthetic_checks_dropped=synthetic_checks.dropped,
            auction=AuctionNumbers(
                namespace=metrics_namespace,
                run_interval=RUN_INTERVAL,
                run_timeout=Duration.minutes(settings.run_timeout_minutes),
            ),
            caller_facing=API_FUNCTIONS,
            indexes=[orders.open_orders_index],
        )
        if settings.gradual_release:
            alarms = observability.function_alarms
            # What a client meets watches the API's functions' release: the API's own
            # alarms and the synthetic client's, beside each function's.
            client_facing = [*observability.api_alarms, *alarms["synthetic_check"]]
            GradualRelease(
                self,
                "Release",
                functions=functions.all,
                canary=API_FUNCTIONS,
                alarms={
                    name: alarms[name] + (client_facing if name in API_FUNCTIONS else [])
                    for name in functions.all
                },
                pre_traffic_checks={
                    name: functions.add_pre_traffic_check(name).function for name in API_FUNCTIONS
                },
            )
        NagSuppressions.add_resource_suppressions(
            workflow.state_machine,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "Step Functions needs X-Ray and log delivery on '*' (no "
                    "resource-level permissions); '<function>:*' are versions of the "
                    "functions it invokes; runs/* are the run files its Distributed Map "
                    "reads and writes; the executions are the map's own children.",
                }
            ],
            apply_to_children=True,
        )

        checks = PipelineChecks(
            self,
            "PipelineChecks",
            stage=settings.name,
            pipeline_account=pipeline_account or settings.account,
            smoke_test=settings.smoke_test and pipeline_account is not None,
            bake=settings.bake_minutes > 0 and pipeline_account is not None,
            alarm_prefix=observability.alarm_prefix,
            client_policy=api.client_policy,
            state_machine=workflow.state_machine,
        )
        self.alarm_names = tuple(observability.alarm_names)  # what a bake watches
        self.smoke_test_role_arn = checks.smoke_test_role_arn
        self.bake_role_arn = checks.bake_role_arn
        self.api_url = CfnOutput(self, "OrdersUrl", value=api.url)
        self.state_machine_arn = CfnOutput(
            self, "StateMachineArn", value=workflow.state_machine.state_machine_arn
        )
        CfnOutput(self, "OrdersTableName", value=orders.table.table_name)
        CfnOutput(self, "ResultsBucketName", value=results.bucket.bucket_name)
        CfnOutput(self, "RunsBucketName", value=results.runs.bucket_name)
        CfnOutput(self, "AlertsTopicArn", value=alerts.topic.topic_arn)
        CfnOutput(self, "ClientPolicyArn", value=api.client_policy.managed_policy_arn)
        CfnOutput(self, "ReaderPolicyArn", value=api.reader_policy.managed_policy_arn)
