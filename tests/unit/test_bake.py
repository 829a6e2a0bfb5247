"""The bake gate watches a stage's alarms and fails on any that goes off."""

from __future__ import annotations

import boto3
import pytest

from ops import bake as bake_gate
from ops.bake import AlarmsNotFoundError, bake

PREFIX = "energy-auction-staging-"
NAMES = [f"{PREFIX}post-orders-errors", f"{PREFIX}api-5xx"]


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

    assert bake(cloudwatch, NAMES, 10, clock=lambda: clock.now, sleep=clock.sleep) == []
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

    assert bake(cloudwatch, NAMES, 10, clock=lambda: clock.now, sleep=sleep) == [f"{PREFIX}api-5xx"]
    assert clock.now == 90


def test_another_stage_s_alarm_does_not_stop_this_one(cloudwatch):
    cloudwatch.set_alarm_state(
        AlarmName="energy-auction-dev-api-5xx", StateValue="ALARM", StateReason="dev"
    )
    clock = Clock()

    assert bake(cloudwatch, NAMES, 1, clock=lambda: clock.now, sleep=clock.sleep) == []


def test_an_alarm_the_stage_declares_but_the_gate_cannot_find_fails_it(cloudwatch):
    missing = f"1 of the stage's 3 alarms not found.*{PREFIX}gone"
    with pytest.raises(AlarmsNotFoundError, match=missing):
        bake(cloudwatch, [*NAMES, f"{PREFIX}gone"], 1, sleep=lambda _: None)
    with pytest.raises(AlarmsNotFoundError, match="no alarm named"):
        bake(cloudwatch, [], 1, sleep=lambda _: None)


def test_the_gate_looks_in_the_stage_s_region_and_fails_when_it_sees_nothing_there(
    cloudwatch, monkeypatch, capsys
):
    monkeypatch.setenv("ALARM_NAMES", ",".join(NAMES))
    monkeypatch.setenv("BAKE_MINUTES", "0")
    monkeypatch.delenv("BAKE_ROLE_ARN", raising=False)

    monkeypatch.setenv("STAGE_REGION", "eu-west-1")  # where the fixture made them
    assert bake_gate.main() == 0
    monkeypatch.setenv("STAGE_REGION", "us-east-1")
    assert bake_gate.main() == 1
    assert "2 of the stage's 2 alarms not found (wrong region" in capsys.readouterr().err
