"""Alarms on every part of the flow, to the alerts topic, and one dashboard of it.

Prod's canary and both bakes watch these alarms, so no one caller may set one off with a
request or a burst: that would roll a good release back, or fail a bake. A caller can make
the API answer 5xx (a body whose event Lambda refuses; a burst the table throttles,
answered 503), and slow. So the alarms a caller's requests reach look at one-minute
datapoints and go off on 3 of the last 5 (M of N): one burst, whose requests all end within
API Gateway's 29 s, makes at most two. Those counting failed (or slow) requests count a
minute only when at least 3 of its requests failed and they were more than 2 % of all
(metric math): one caller has to fail 3 requests a minute, minute after minute, and more
than 2 % of everyone's, to set one off. The alarms no caller's request reaches (the hourly
run's functions, timed-out runs, failed starts) go off on one datapoint. The table's
throttling, which any burst causes, tells on-call only when it lasts a quarter hour, and no
bake watches it.

What catches a release that breaks the API depends on its traffic (docs/releasing.md):
- any traffic, none at all included: prod's pre-traffic check calls the new version before
  it takes a call (handlers/pre_traffic_check.py) and stops one that does not answer as
  documented;
- 30 requests a minute and more: the share alarms, in the canary's 10 minutes, catch what
  shows only under traffic; at 30 a minute a release failing every call the canary gives it
  (3 a minute), at 100 a minute one failing 30 % of them. ALARM comes about 5 minutes in:
  3 one-minute datapoints, then CloudWatch's minute or two;
- below that, the canary's share of calls (1 a minute at 10) is what one caller's failing
  request looks like, and no alarm here can tell them apart; the bake and the alarms after
  it see such a release's errors as its traffic grows.
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html)

The auction's own alarms (`AuctionAlarms`) watch the numbers the handlers write
(domain/metrics.py) in hourly periods, as the runs come hourly.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import attrs
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
from auction_constructs.auction_alarms import AuctionAlarms, AuctionNumbers

PERIOD = Duration.minutes(5)


@attrs.frozen
class Evaluation:
    """How an alarm reads its metric: `datapoints` of the last `periods`, each `period`."""

    period: Duration
    datapoints: int
    periods: int


# The alarms no caller's request reaches: one datapoint is one failure too many.
AT_ONCE = Evaluation(PERIOD, datapoints=1, periods=1)
# The alarms a caller's requests reach (see the module's docstring).
SUSTAINED = Evaluation(Duration.minutes(1), datapoints=3, periods=5)
# DynamoDB throttling that lasts: every minute of a quarter hour. An on-demand table
# throttles what goes over twice its previous peak until it has grown (DynamoDB's
# "pre-warming" page): one caller's burst of prod's 200 largest batches, 2 M writes, takes
# about 8 minutes at a cold table's 4,000 a second. The handlers retry, and what still
# fails reaches the callers as 503s, which the API's 5xx share counts; so the throttling
# itself only says capacity is short when it lasts, and gates no release.
LASTING = Evaluation(Duration.minutes(1), datapoints=15, periods=15)
# A minute counts against the API when at least this many of its requests failed (or
# were slow): fewer is what one caller's mistakes look like (see the module's docstring).
MIN_FAILING_PER_MINUTE = 3
# ... and they were more than this share of its requests: a canary takes 10 % of calls, so
# a release failing more than 20 % of the calls it takes shows.
FAILING_PERCENT = 2
# A 10,000-record batch is written in about 2 s; a request taking 10 s is waiting on
# something that is wrong. Slow requests count as failed ones do (as above).
API_SLOW_REQUEST_MS = 10_000


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
        auction: AuctionNumbers,
        caller_facing: Collection[str] = (),
        indexes: Collection[str] = (),
    ) -> None:
        """`name` names the dashboard and prefixes every alarm's name; `auction` says
        where the auction's numbers are and how long a run may take; `caller_facing`
        names the functions a caller's requests reach (the API's); `indexes` names the
        table's global secondary indexes."""
        super().__init__(scope, id_)
        self.alarm_prefix = f"{name}-"
        # The topic lets alarms publish only by name: every alarm here carries the prefix.
        alerts.allow_alarms(self.alarm_prefix)
        self._action = actions.SnsAction(alerts.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        # What a bake watches: every alarm but the auction's hourly ones (see AuctionAlarms)
        # and the table's lasting throttling (see LASTING).
        self.alarm_names: list[str] = []
        self.auction = AuctionAlarms(
            self, "Auction", numbers=auction, alarm_prefix=self.alarm_prefix, action=self._action
        )
        # Each function's own alarms, and the API's: what a release of it watches.
        self.function_alarms: dict[str, list[cloudwatch.Alarm]] = {
            function_name: (
                self._caller_facing_function_alarms(function_name, function)
                if function_name in caller_facing
                else [
                    self._alarm(f"{function_name} errors", function.metric_errors(period=PERIOD)),
                    self._alarm(
                        f"{function_name} throttles", function.metric_throttles(period=PERIOD)
                    ),
                ]
            )
            for function_name, function in functions.items()
        }
        self._alarm("Synthetic checks dropped", synthetic_checks_dropped)
        # A run that fails alerts itself, with its error and cause (the workflow's catch);
        # an alarm on failed runs would say it twice. A timeout is past any catch.
        self._alarm("Runs timed out", state_machine.metric_timed_out(period=PERIOD))
        minute = SUSTAINED.period
        requests = api.metric_count(period=minute, statistic="Sum")
        self.api_alarms = [
            self._share_alarm(
                "API 5xx", api.metric_server_error(period=minute, statistic="Sum"), requests
            ),
            # TC(n:) counts the requests slower than n ms
            # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
            self._share_alarm(
                "API slow requests",
                api.metric_latency(period=minute, statistic=f"TC({API_SLOW_REQUEST_MS}:)"),
                requests,
            ),
        ]
        # Every read and write the functions make, the table's and its indexes': a
        # throttled one is retried, then surfaces.
        dynamodb_throttles = _throttle_events(table, indexes, period=SUSTAINED.period)
        # A count, M of N: DynamoDB publishes no count of the reads and writes it took to
        # make a share of. It tells on-call; no bake or canary watches it (see LASTING).
        self._alarm(
            "Orders table throttled", dynamodb_throttles, evaluation=LASTING, gates_release=False
        )
        # On what arrives, not on what waits: a dead letter waits up to 14 days for a person,
        # and an alarm on the queue's depth would stay in ALARM (and fail every bake) as long.
        # Scheduler sends dead letters itself (SendMessage, with its target's role), which
        # NumberOfMessagesSent counts; only SQS's own redrive escapes it
        # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
        self._alarm(
            "Hourly starts failed",
            failed_starts.metric_number_of_messages_sent(period=PERIOD, statistic="Sum"),
        )

        # The auction's own numbers first, a row per question (each add_widgets is a row),
        # then AWS's metrics of the parts that make it.
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name)
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=[*self.auction.alarms, *self.alarms], width=24
            )
        )
        for row in self.auction.dashboard_rows():
            self.dashboard.add_widgets(*row)
        self.dashboard.add_widgets(
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

    def _caller_facing_function_alarms(
        self, function_name: str, function: lambda_.IFunction
    ) -> list[cloudwatch.Alarm]:
        """A function a caller's requests reach: its errors as a share of its invocations,
        its throttles (the account's concurrency, which a burst reaches) M of N."""
        minute = SUSTAINED.period
        return [
            self._share_alarm(
                f"{function_name} errors",
                function.metric_errors(period=minute, statistic="Sum"),
                function.metric_invocations(period=minute, statistic="Sum"),
            ),
            self._alarm(
                f"{function_name} throttles",
                function.metric_throttles(period=minute, statistic="Sum"),
                evaluation=SUSTAINED,
            ),
        ]

    def _share_alarm(
        self, title: str, counted: cloudwatch.IMetric, requests: cloudwatch.IMetric
    ) -> cloudwatch.Alarm:
        """Goes off when, in 3 minutes of 5, at least MIN_FAILING_PER_MINUTE of the
        minute's requests were `counted` (failed, or slow) and they were more than
        FAILING_PERCENT of them. The share is 0 in a minute with fewer."""
        least = MIN_FAILING_PER_MINUTE
        share = cloudwatch.MathExpression(
            expression=f"IF(FILL(counted, 0) >= {least}, 100 * FILL(counted, 0) / requests, 0)",
            using_metrics={"counted": counted, "requests": requests},
            period=SUSTAINED.period,
            label=f"{title}, % of requests",
        )
        return self._alarm(
            title,
            share,
            threshold=FAILING_PERCENT,
            evaluation=SUSTAINED,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )

    def _alarm(
        self,
        title: str,
        metric: cloudwatch.IMetric,
        threshold: float = 1,
        *,
        evaluation: Evaluation = AT_ONCE,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
        gates_release: bool = True,
    ) -> cloudwatch.Alarm:
        """`gates_release`: the bakes watch it (the canaries watch the functions' own)."""
        alarm_name = self.alarm_prefix + title.lower().replace(" ", "-").replace("_", "-")
        alarm = metric.create_alarm(
            self,
            title.title().replace(" ", "").replace("/", ""),
            alarm_name=alarm_name,
            alarm_description=f"{title}: see the auction dashboard and X-Ray traces",
            threshold=threshold,
            evaluation_periods=evaluation.periods,
            datapoints_to_alarm=evaluation.datapoints,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        if gates_release:
            self.alarm_names.append(alarm_name)
        return alarm


def _throttle_events(
    table: dynamodb.ITable, indexes: Collection[str], *, period: Duration
) -> cloudwatch.MathExpression:
    """Every read and write DynamoDB throttled, on the table and on each of `indexes`.

    Not ThrottledRequests: it counts a BatchWriteItem or BatchGetItem only when every item
    in it was throttled, and the handlers' batches are mostly partly throttled, the rest
    retried (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html).
    The throttle events count each read or write; the TableName dimension alone leaves an
    index's out, so each index has its own. DynamoDB publishes them only when it throttles,
    so most minutes some have no datapoint: each is filled with 0 before the sum, so one
    throttling alone counts, whatever metric math makes of a gap.
    """
    sources = {"table": {"TableName": table.table_name}} | {
        re.sub(r"\W", "_", index): {
            "TableName": table.table_name,
            "GlobalSecondaryIndexName": index,
        }
        for index in indexes
    }
    metrics = {
        f"{source}_{kind.lower()}s": table.metric(
            f"{kind}ThrottleEvents", dimensions_map=dimensions, statistic="Sum", period=period
        )
        for source, dimensions in sources.items()
        for kind in ("Read", "Write")
    }
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({name}, 0)" for name in metrics),
        using_metrics=metrics,
        period=period,
        label="Throttled reads and writes, table and indexes",
    )
