"""The stack of one stage: the constructs wired together, least privilege between them."""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from cdk_nag import NagSuppressions
from constructs import Construct

from auction_constructs.alerts import AlertsTopic
from auction_constructs.auction_functions import AuctionFunctions
from auction_constructs.auction_workflow import AuctionWorkflow
from auction_constructs.observability import AuctionObservability
from auction_constructs.orders_api import OrdersApi
from auction_constructs.orders_table import OrdersTable
from auction_constructs.results_bucket import ResultsBucket
from auction_constructs.schedule import HourlyAuctionSchedule
from stages.settings import StageSettings


class AuctionStack(Stack):
    """Orders API and table, the hourly workflow, results bucket, alerts, alarms."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: StageSettings,
        smoke_test_account: str | None = None,
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

        functions = AuctionFunctions(
            self, "Functions", orders=orders, results=results,
            log_retention=retention, removal_policy=removal,
        )  # fmt: skip
        api = OrdersApi(
            self,
            "OrdersApi",
            post_orders=functions.post_orders.function,
            get_order=functions.get_order.function,
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
            fetch_results=functions.fetch_results.function,
            store_result=functions.store_result.function,
            summarize_run=functions.summarize_run.function,
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
        AuctionObservability(
            self,
            "Observability",
            name=settings.resource_name("energy-auction"),
            alerts=alerts,
            api=api.api,
            functions={name: f.function for name, f in functions.all.items()},
            state_machine=workflow.state_machine,
            table=orders.table,
            failed_starts=schedule.dead_letters,
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

        self.smoke_test_role_arn = (
            self._smoke_test_role(settings, smoke_test_account, api, workflow)
            if smoke_test_account
            else None
        )
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

    def _smoke_test_role(
        self,
        settings: StageSettings,
        trusted_account: str,
        api: OrdersApi,
        workflow: AuctionWorkflow,
    ) -> CfnOutput:
        """A role the pipeline's smoke test assumes: post one batch, run the workflow once."""
        role = iam.Role(
            self,
            "SmokeTestRole",
            role_name=f"energy-auction-{settings.name}-smoke-test",
            assumed_by=iam.AccountPrincipal(trusted_account),
            managed_policies=[api.client_policy],
            max_session_duration=Duration.hours(1),
        )
        machine = workflow.state_machine
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[machine.state_machine_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution"],
                resources=[
                    Stack.of(self).format_arn(
                        service="states",
                        resource="execution",
                        resource_name=f"{machine.state_machine_name}:*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "The smoke test reads the runs it starts, whose names it "
                    "chooses at run time: executions of this one state machine.",
                }
            ],
            apply_to_children=True,
        )
        return CfnOutput(self, "SmokeTestRoleArn", value=role.role_arn)
