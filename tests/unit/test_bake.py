"""The bake gate watches a stage's alarms and fails on any that goes off."""

from __future__ import annotations

import boto3
import pytest

from ops.bake import bake

PREFIX = "energy-auction-staging-"


@pytest.fixture
def cloudwatch(aws):
    client = boto3.client("cloudwatch")
    for name in ("post-orders-errors", "api-5xx"):
        client.put_metric_alarm(
            AlarmName=f"{PREFIX}{name}", MetricName="Errors", Namespace="AWS/Lambda",
            Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )  # fmt: skip
    client.put_metric_alarm(  # another stage's: not this gate's business
        AlarmName="energy-auction-dev-api-5xx", MetricName="5XXError", Namespace="AWS/ApiGateway",
        Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    return client


class Clock:
    """Time that passes only when the gate sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_stage_with_no_alarm_going_off_bakes_for_the_whole_time(cloudwatch):
    clock = Clock()

    assert bake(cloudwatch, PREFIX, 10, clock=lambda: clock.now, sleep=clock.sleep) == []
    assert clock.now == 600
    assert clock.sleeps == [30] * 20


def test_an_alarm_going_off_while_baking_fails_the_gate_at_once(cloudwatch):
    clock = Clock()

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now >= 90:
            cloudwatch.set_alarm_state(
                AlarmName=f"{PREFIX}api-5xx", StateValue="ALARM", StateReason="5xx"
            )

    assert bake(cloudwatch, PREFIX, 10, clock=lambda: clock.now, sleep=sleep) == [
        f"{PREFIX}api-5xx"
    ]
    assert clock.now == 90


def test_another_stage_s_alarm_does_not_stop_this_one(cloudwatch):
    cloudwatch.set_alarm_state(
        AlarmName="energy-auction-dev-api-5xx", StateValue="ALARM", StateReason="dev"
    )
    clock = Clock()

    assert bake(cloudwatch, PREFIX, 1, clock=lambda: clock.now, sleep=clock.sleep) == []
