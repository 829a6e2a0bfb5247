"""The auction's own alarms and dashboard rows, on the numbers the handlers write.

The costliest failure is a silent one: an order left undecided until it expires (24 h
after it was posted), because results never come, runs keep failing, or an order is missed.
Two alarms see it coming, from Lambda A's numbers at every attempt of every run (it writes
them before it asks the platform, so a platform that fails every call is seen too):

- the oldest open order is older than a few runs' worth (`oldest_open_order_threshold`):
  Maximum over hourly periods, 2 of 3. Results late once or twice (`TOLERATED_MISSED_RUNS`)
  stay under it: an order posted just after a run starts waits an hour for the next, each
  run whose results never come adds an hour, and the run that decides it may take up to its
  timeout. A single hour over it (a run that started minutes late, as the schedule allows)
  does not go off alone. It goes off about 5 h after the order was posted, some 19 h before
  it would expire;
- runs decided nothing although orders were open: an hour whose runs found open orders
  and decided none, 3 hours in a row (one more than `TOLERATED_MISSED_RUNS`). A single run
  whose results never come alerts at once through the workflow; this one says that it
  keeps happening, or that runs end without deciding (every order failed, say).

Missing data is ignored (the alarm keeps its state), decided here for both:
- a new stage has no data at first: treated as breaching, its alarms would go off on the
  first deploy; ignored, they wait in INSUFFICIENT_DATA for their first datapoints;
- an hour with no run reaching Lambda A (a start that failed; Scheduler's own alarm says
  so) neither clears nor sets them: orders waiting since an alarm went off keep it in ALARM.
Not covered: runs that stop altogether while these alarms are OK (a schedule disabled by
hand, or deleted): no datapoint comes, and no alarm here can tell that from a quiet stage.

The bakes do not watch these two, nor do CodeDeploy's groups: a bake lasts 10 minutes,
less than one of their hourly periods, so they cannot judge the release being baked; and
one already in ALARM (a platform outage) would fail every bake, the fix's included. They
alert on-call through the stage's topic, named with the stage's prefix like every other.
(Treatment of missing data:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data)
"""

from __future__ import annotations

import attrs
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from constructs import Construct

from domain.metrics import Metric

PERIOD = Duration.hours(1)
# Hourly runs in a row whose results may be late (never ready) before anyone is woken.
TOLERATED_MISSED_RUNS = 2
OLDEST_DATAPOINTS, OLDEST_PERIODS = 2, 3
WIDTH = 24


@attrs.frozen
class AuctionNumbers:
    """Where the stage's numbers are, and the runs they come from."""

    namespace: str
    run_interval: Duration
    run_timeout: Duration


def oldest_open_order_threshold(numbers: AuctionNumbers) -> Duration:
    """How old the oldest open order may grow while results are late `TOLERATED_MISSED_RUNS`
    times: an interval until the next run, one per late run, and the deciding run's timeout.

    >>> numbers = AuctionNumbers("n", Duration.hours(1), Duration.minutes(55))
    >>> oldest_open_order_threshold(numbers).to_minutes()
    235.0
    """
    waits = (TOLERATED_MISSED_RUNS + 1) * numbers.run_interval.to_seconds()
    return Duration.seconds(waits + numbers.run_timeout.to_seconds())


class AuctionAlarms(Construct):
    """The two alarms above, to the stage's topic, and the dashboard's rows of the auction."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        numbers: AuctionNumbers,
        alarm_prefix: str,
        action: actions.SnsAction,
    ) -> None:
        super().__init__(scope, id_)
        self._numbers = numbers
        self.threshold = oldest_open_order_threshold(numbers)
        hours, minutes = divmod(int(self.threshold.to_minutes()), 60)
        self.oldest_open_order = cloudwatch.Alarm(
            self,
            "OldestOpenOrder",
            alarm_name=f"{alarm_prefix}oldest-open-order-too-old",
            alarm_description=(
                f"An order has waited over {hours} h {minutes} min for a decision (it expires "
                "undecided at "
                "24 h): results late several runs in a row, runs failing, or an order missed. "
                "See the dashboard's open orders, the runs' alerts, and Lambda A's logs "
                "(OpenOrders, RunId)."
            ),
            metric=self.metric(Metric.OLDEST_OPEN_ORDER_AGE, "Maximum"),
            threshold=self.threshold.to_seconds(),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=OLDEST_PERIODS,
            datapoints_to_alarm=OLDEST_DATAPOINTS,
            treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
        )
        runs_in_a_row = TOLERATED_MISSED_RUNS + 1
        self.decided_nothing = cloudwatch.Alarm(
            self,
            "DecidedNothing",
            alarm_name=f"{alarm_prefix}decided-nothing-with-orders-open",
            alarm_description=(
                f"{runs_in_a_row} hours in a row, the runs found open orders and decided none. "
                "See the runs' alerts (results never ready, failed orders) and the dashboard."
            ),
            metric=self.decided_nothing_while_open(),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=runs_in_a_row,
            datapoints_to_alarm=runs_in_a_row,
            treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
        )
        self.alarms = [self.oldest_open_order, self.decided_nothing]
        for alarm in self.alarms:
            alarm.add_alarm_action(action)

    def metric(self, metric: str, statistic: str) -> cloudwatch.Metric:
        """One of the stage's numbers, hourly: no dimensions, as the handlers write them."""
        return cloudwatch.Metric(
            namespace=self._numbers.namespace,
            metric_name=metric,
            statistic=statistic,
            period=PERIOD,
            label=f"{metric} ({statistic})",
        )

    def decided_nothing_while_open(self) -> cloudwatch.MathExpression:
        """1 for an hour whose runs found open orders and decided none, else 0. An hour
        without Lambda A's numbers (no run reached it) has no value."""
        return cloudwatch.MathExpression(
            expression="IF(FILL(decided, 0) > 0, 0, IF(open > 0, 1, 0))",
            using_metrics={
                "open": self.metric(Metric.OPEN_ORDERS, "Maximum"),
                "decided": self.metric(Metric.ORDERS_DECIDED, "Sum"),
            },
            period=PERIOD,
            label="Decided nothing with orders open",
        )

    def dashboard_rows(self) -> list[list[cloudwatch.IWidget]]:
        """A row per question a trading desk asks, each answered hourly."""
        sums = [Metric.ORDERS_DECIDED, Metric.ORDERS_ACCEPTED, Metric.ORDERS_REJECTED,
                Metric.ORDERS_FAILED, Metric.ORDERS_GONE]  # fmt: skip
        half = WIDTH // 2
        return [
            [
                cloudwatch.GraphWidget(
                    title="How many orders came in each hour?",
                    left=[self.metric(Metric.ORDERS_POSTED, "Sum")],
                    width=WIDTH,
                )
            ],
            [
                cloudwatch.GraphWidget(
                    title="How many were decided, accepted, rejected (per hour's run)?",
                    left=[self.metric(metric, "Sum") for metric in sums],
                    right=[self.metric(Metric.PLATFORM_ASKS, "Maximum")],
                    width=half,
                ),
                cloudwatch.GraphWidget(
                    title="How long from posting to decision (seconds)?",
                    left=[self.metric(Metric.DECISION_AGE, stat) for stat in ("p50", "p99")],
                    right=[self.metric(Metric.RUN_DURATION, "Maximum")],
                    width=half,
                ),
            ],
            [
                cloudwatch.GraphWidget(
                    title="Is any order still waiting that should have been decided?",
                    left=[self.metric(Metric.OPEN_ORDERS, "Maximum")],
                    right=[self.metric(Metric.OLDEST_OPEN_ORDER_AGE, "Maximum")],
                    right_annotations=[
                        cloudwatch.HorizontalAnnotation(
                            value=self.threshold.to_seconds(),
                            label="the oldest-open-order alarm's threshold",
                        )
                    ],
                    width=WIDTH,
                ),
            ],
        ]
