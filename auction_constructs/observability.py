"""Alarms on every part of the flow, to the alerts topic, and one dashboard of it."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from auction_constructs.alerts import AlertsTopic

PERIOD = Duration.minutes(5)
# A 10,000-record batch is written in about 2 s; a client waiting 10 s at the 99th
# percentile is waiting on something that is wrong.
API_LATENCY_ALARM_MS = 10_000


class AuctionObservability(Construct):
    """An alarm for each way the flow can go wrong, and a dashboard of the whole flow."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        alerts: AlertsTopic,
        api: apigw.RestApi,
        functions: dict[str, lambda_.IFunction],
        state_machine: sfn.StateMachine,
        table: dynamodb.ITable,
        failed_starts: sqs.IQueue,
        synthetic_checks_dropped: cloudwatch.IMetric,
    ) -> None:
        """`name` names the dashboard and prefixes every alarm's name."""
        super().__init__(scope, id_)
        self.alarm_prefix = f"{name}-"
        # The topic lets alarms publish only by name: every alarm here carries the prefix.
        alerts.allow_alarms(self.alarm_prefix)
        self._action = actions.SnsAction(alerts.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        self.alarm_names: list[str] = []  # as written, for those who read them elsewhere
        # Each function's own alarms, and the API's: what a release of it watches.
        self.function_alarms: dict[str, list[cloudwatch.Alarm]] = {
            function_name: [
                self._alarm(f"{function_name} errors", function.metric_errors(period=PERIOD)),
                self._alarm(f"{function_name} throttles", function.metric_throttles(period=PERIOD)),
            ]
            for function_name, function in functions.items()
        }
        self._alarm("Synthetic checks dropped", synthetic_checks_dropped)
        # A run that fails alerts itself, with its error and cause (the workflow's catch);
        # an alarm on failed runs would say it twice. A timeout is past any catch.
        self._alarm("Runs timed out", state_machine.metric_timed_out(period=PERIOD))
        self.api_alarms = [
            self._alarm("API 5xx", api.metric_server_error(period=PERIOD)),
            self._alarm(
                "API p99 latency",
                api.metric_latency(period=PERIOD, statistic="p99"),
                threshold=API_LATENCY_ALARM_MS,
            ),
        ]
        # Every operation the functions call: a throttled one is retried, then surfaces.
        dynamodb_throttles = table.metric_throttled_requests_for_operations(
            operations=[
                dynamodb.Operation.BATCH_GET_ITEM,
                dynamodb.Operation.BATCH_WRITE_ITEM,
                dynamodb.Operation.TRANSACT_WRITE_ITEMS,
                dynamodb.Operation.GET_ITEM,
                dynamodb.Operation.UPDATE_ITEM,
                dynamodb.Operation.QUERY,
            ],
            period=PERIOD,
        )
        self._alarm("Orders table throttled", dynamodb_throttles)
        # On what arrives, not on what waits: a dead letter waits up to 14 days for a person,
        # and an alarm on the queue's depth would stay in ALARM (and fail every bake) as long.
        # Scheduler sends dead letters itself (SendMessage, with its target's role), which
        # NumberOfMessagesSent counts; only SQS's own redrive escapes it
        # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
        self._alarm(
            "Hourly starts failed",
            failed_starts.metric_number_of_messages_sent(period=PERIOD, statistic="Sum"),
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name)
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
            cloudwatch.GraphWidget(
                title="POST /orders",
                left=[
                    api.metric_count(period=PERIOD),
                    api.metric_client_error(period=PERIOD),
                    api.metric_server_error(period=PERIOD),
                ],
                right=[api.metric_latency(period=PERIOD, statistic="p99")],
            ),
            cloudwatch.GraphWidget(
                title="Auction runs",
                left=[
                    state_machine.metric_started(period=PERIOD),
                    state_machine.metric_succeeded(period=PERIOD),
                    state_machine.metric_failed(period=PERIOD),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Lambda errors",
                left=[
                    fn.metric_errors(period=PERIOD, label=name) for name, fn in functions.items()
                ],
            ),
            cloudwatch.GraphWidget(
                title="Lambda p99 duration",
                left=[
                    fn.metric_duration(period=PERIOD, statistic="p99", label=name)
                    for name, fn in functions.items()
                ],
            ),
            cloudwatch.GraphWidget(
                title="Orders table writes",
                left=[table.metric_consumed_write_capacity_units(period=PERIOD)],
                right=[dynamodb_throttles],
            ),
        )

    def _alarm(
        self, title: str, metric: cloudwatch.IMetric, threshold: float = 1
    ) -> cloudwatch.Alarm:
        alarm_name = self.alarm_prefix + title.lower().replace(" ", "-").replace("_", "-")
        alarm = metric.create_alarm(
            self,
            title.title().replace(" ", "").replace("/", ""),
            alarm_name=alarm_name,
            alarm_description=f"{title}: see the auction dashboard and X-Ray traces",
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        self.alarm_names.append(alarm_name)
        return alarm
