"""The auction's numbers on the synthesized stages: where each function writes them, the two
alarms on them (named, thresholded from the settings, on the stage's topic, apart from the
bakes), evaluated hour by hour as CloudWatch would, and the dashboard's rows."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from auction_constructs.auction_alarms import (
    TOLERATED_MISSED_RUNS,
)
from handlers.observability import NAMESPACE_VARIABLE
from stages.settings import load_stage_settings
from tests.conftest import TEST_AUCTION_CONTEXT
from tests.unit.iam import readable
from tests.unit.test_release_alarms import _evaluate

pytestmark = pytest.mark.synth
STAGES = ("Dev", "Staging", "Prod")
OLDEST, DECIDED_NOTHING = "oldest-open-order-too-old", "decided-nothing-with-orders-open"
HOUR = 3600


def of_type(template: dict, resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def auction_alarms(template: dict, stage: str) -> dict[str, dict[str, Any]]:
    prefix = f"energy-auction-{stage.lower()}-"
    found = {
        alarm["AlarmName"].removeprefix(prefix): alarm
        for alarm in of_type(template, "AWS::CloudWatch::Alarm").values()
    }
    return {name: found[name] for name in (OLDEST, DECIDED_NOTHING)}


def metric_stats(alarm: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}


@pytest.fixture(scope="module")
def templates(synthesized) -> dict[str, dict]:
    return {stage: synthesized.stage_template(stage) for stage in STAGES}


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_writes_to_its_stage_s_namespace(templates, stage):
    functions = of_type(templates[stage], "AWS::Lambda::Function").values()
    namespaces = {f["Environment"]["Variables"].get(NAMESPACE_VARIABLE) for f in functions}

    assert namespaces == {f"EnergyAuction/{stage.lower()}"}


@pytest.mark.parametrize("stage", STAGES)
def test_the_two_alarms_read_the_stage_s_numbers_without_dimensions_hourly(templates, stage):
    alarms = auction_alarms(templates[stage], stage)
    namespace = f"EnergyAuction/{stage.lower()}"

    read = {
        name: {
            (s["Metric"]["Namespace"], s["Metric"]["MetricName"], s["Stat"], s["Period"])
            for s in metric_stats(alarm).values()
        }
        for name, alarm in alarms.items()
    }
    assert read == {
        OLDEST: {(namespace, "OldestOpenOrderAge", "Maximum", HOUR)},
        DECIDED_NOTHING: {
            (namespace, "OpenOrders", "Maximum", HOUR),
            (namespace, "OrdersDecided", "Sum", HOUR),
        },
    }
    for alarm in alarms.values():  # as EMF writes them: the empty dimension set
        assert all("Dimensions" not in s["Metric"] for s in metric_stats(alarm).values())


@pytest.mark.parametrize("stage", STAGES)
def test_the_oldest_order_threshold_is_three_hours_and_the_run_timeout(templates, stage):
    settings = {s.name: s for s in load_stage_settings(TEST_AUCTION_CONTEXT)}[stage.lower()]
    alarm = auction_alarms(templates[stage], stage)[OLDEST]

    # Until the next run, and two runs whose results never come, then the deciding run.
    expected = (TOLERATED_MISSED_RUNS + 1) * HOUR + settings.run_timeout_minutes * 60
    assert alarm["Threshold"] == expected < 24 * HOUR
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (2, 3)
    if stage == "Prod":
        assert expected == 3 * HOUR + 55 * 60


@pytest.mark.parametrize("stage", STAGES)
def test_decided_nothing_needs_three_hours_in_a_row(templates, stage):
    alarm = auction_alarms(templates[stage], stage)[DECIDED_NOTHING]

    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    assert expression == "IF(FILL(decided, 0) > 0, 0, IF(open > 0, 1, 0))"
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (3, 3)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )


@pytest.mark.parametrize("stage", STAGES)
def test_both_ignore_missing_data_and_alert_the_stage_s_topic_which_lets_them(templates, stage):
    template = templates[stage]
    (topic,) = of_type(template, "AWS::SNS::Topic")
    allowed = [
        readable(statement["Condition"]["ArnLike"]["aws:SourceArn"])
        for policy in of_type(template, "AWS::SNS::TopicPolicy").values()
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Sid") == "AllowAlarmsToPublish"
    ]

    for name, alarm in auction_alarms(template, stage).items():
        # A fresh stage has no data: breaching would set them off at its first deploy.
        assert alarm["TreatMissingData"] == "ignore", name
        assert [readable(action) for action in alarm["AlarmActions"]] == [f"<{topic}>"]
        (pattern,) = allowed
        assert pattern.endswith(f":alarm:energy-auction-{stage.lower()}-*")
        assert alarm["AlarmName"].startswith(f"energy-auction-{stage.lower()}-")


def test_no_bake_or_canary_watches_them(synthesized, templates):
    pipeline = synthesized.pipeline_template()
    watched = {
        name
        for project in of_type(pipeline, "AWS::CodeBuild::Project").values()
        for variable in project.get("Environment", {}).get("EnvironmentVariables", [])
        if variable["Name"] == "ALARM_NAMES"
        for name in readable(variable["Value"]).split(",")
    }
    prod_alarms = of_type(templates["Prod"], "AWS::CloudWatch::Alarm")
    groups = of_type(templates["Prod"], "AWS::CodeDeploy::DeploymentGroup").values()
    canary_watched = {
        prod_alarms[readable(alarm["Name"]).strip("<>")]["AlarmName"]
        for group in groups
        for alarm in group["AlarmConfiguration"]["Alarms"]
    }

    assert watched  # the bakes watch the stage's other alarms
    for stage in ("Staging", "Prod"):
        for alarm in auction_alarms(templates[stage], stage).values():
            assert alarm["AlarmName"] not in watched
            assert alarm["AlarmName"] not in canary_watched


# -- evaluated hour by hour, as CloudWatch would --------------------------------------------

Hours = Mapping[str, Sequence[float | None]]  # a metric's hourly datapoint (None: none)


def hourly(alarm: Mapping[str, Any], hours: Hours) -> list[float | None]:
    """The alarm's datapoint in each hour, its metric math evaluated."""
    stats = metric_stats(alarm)
    count = len(next(iter(hours.values())))
    named = {i: hours.get(s["Metric"]["MetricName"], [None] * count) for i, s in stats.items()}
    expressions = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    if not expressions:
        (only,) = named.values()
        return list(only)
    return [_evaluate(expressions[0], {i: v[h] for i, v in named.items()}) for h in range(count)]


def first_alarm_hour(alarm: Mapping[str, Any], hours: Hours) -> int | None:
    """The first hour at whose end M of the last N datapoints breach. Missing data is
    ignored: the last N datapoints there are, however far back."""
    breaching = {
        "GreaterThanThreshold": lambda v: v > alarm["Threshold"],
        "GreaterThanOrEqualToThreshold": lambda v: v >= alarm["Threshold"],
    }[alarm["ComparisonOperator"]]
    m, n = alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]
    values = hourly(alarm, hours)
    for end in range(1, len(values) + 1):
        present = [v for v in values[:end] if v is not None][-n:]
        if len(present) == n and sum(breaching(v) for v in present) >= m:
            return end - 1
    return None


def runs(decided: Sequence[bool], *, open_orders: int = 40, runtime: float = 0.9) -> Hours:
    """Hourly runs over open orders, each deciding or not, from an order posted just after
    the hour before the first run. A run's attempts span `runtime` of the run timeout: its
    Maximum age is its last attempt's."""

    ages, waited = [], 0
    for decides in decided:
        ages.append((waited + 1) * HOUR + runtime * 55 * 60)
        waited = 0 if decides else waited + 1
    return {
        "OpenOrders": [open_orders] * len(decided),
        "OldestOpenOrderAge": ages,
        "OrdersDecided": [open_orders if d else None for d in decided],  # C runs when ready
    }


@pytest.fixture
def prod_alarms(templates) -> dict[str, dict[str, Any]]:
    return auction_alarms(templates["Prod"], "Prod")


def test_results_late_twice_then_decided_stay_quiet(prod_alarms):
    late_twice = runs([False, False, True, False, False, True, True, True])

    assert {name: first_alarm_hour(a, late_twice) for name, a in prod_alarms.items()} == {
        OLDEST: None,
        DECIDED_NOTHING: None,
    }


def test_results_that_never_come_set_off_both_well_before_an_order_expires(prod_alarms):
    never = runs([False] * 8)

    fired = {name: first_alarm_hour(a, never) for name, a in prod_alarms.items()}

    assert fired == {DECIDED_NOTHING: 2, OLDEST: 4}  # the third hour; the fifth
    assert never["OldestOpenOrderAge"][fired[OLDEST]] < 24 * HOUR - 12 * HOUR


def test_quiet_hours_and_a_fresh_stage_stay_quiet(prod_alarms):
    nothing_open = {
        "OpenOrders": [0] * 6,
        "OldestOpenOrderAge": [0] * 6,
        "OrdersDecided": [None] * 6,
    }
    fresh_stage: Hours = {"OpenOrders": [None] * 3}

    for name, alarm in prod_alarms.items():
        assert first_alarm_hour(alarm, nothing_open) is None, name
        assert first_alarm_hour(alarm, fresh_stage) is None, name


def test_an_hour_without_a_run_neither_clears_nor_sets_them(prod_alarms):
    stopped = runs([False] * 4)
    with_gap = {name: [*values[:2], None, *values[2:]] for name, values in stopped.items()}

    assert first_alarm_hour(prod_alarms[DECIDED_NOTHING], with_gap) == 3  # the streak holds


# -- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_answers_the_desk_s_questions_above_the_aws_metrics(templates):
    (dashboard,) = of_type(templates["Prod"], "AWS::CloudWatch::Dashboard").values()
    widgets = json.loads(readable(dashboard["DashboardBody"]))["widgets"]
    threshold = auction_alarms(templates["Prod"], "Prod")[OLDEST]["Threshold"]

    titles = [w["properties"].get("title") for w in sorted(widgets, key=lambda w: (w["y"], w["x"]))]
    questions = [
        "How many orders came in each hour?",
        "How many were decided, accepted, rejected (per hour's run)?",
        "How long from posting to decision (seconds)?",
        "Is any order still waiting that should have been decided?",
    ]
    assert titles[: len(questions) + 1] == ["Alarms", *questions]
    assert "POST /orders" in titles[len(questions) + 1 :]  # AWS's metrics after
    (waiting,) = [w for w in widgets if w["properties"].get("title") == questions[-1]]
    annotations = waiting["properties"]["annotations"]["horizontal"]
    assert [(a["value"], a.get("yAxis")) for a in annotations] == [(threshold, "right")]
    decision_age = json.dumps(
        next(w for w in widgets if w["properties"].get("title") == questions[2])
    )
    assert '"p50"' in decision_age
    assert '"p99"' in decision_age
