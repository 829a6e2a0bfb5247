"""The alarms that gate prod's canary and the bakes: no one caller sets them off, and a
release that fails still does, inside the canary's 10 minutes, where its traffic lets it.

Their shapes are asserted on the synthesized template, then each is evaluated as
CloudWatch would (its metric math, then M of N datapoints) over minutes of traffic: one
caller's requests, bursts and retries, against releases that fail or slow a share of the
calls, and a canary's 10 % of the calls at 2 to 100 requests a minute. Where traffic is too
low for any alarm, the pre-traffic check stops a broken version (tests/unit/test_release.py,
tests/unit/test_pre_traffic_check.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import pytest

from auction_constructs.observability import (
    API_SLOW_REQUEST_MS,
    FAILING_PERCENT,
    MIN_FAILING_PER_MINUTE,
)
from domain.lifecycle import OPEN_ORDERS_INDEX
from tests.unit.iam import readable

pytestmark = pytest.mark.synth
PREFIX = "energy-auction-prod-"
# What a caller's requests reach: each goes off on 3 one-minute datapoints of 5.
CALLER_REACHED = (
    "api-5xx", "api-slow-requests",
    "post-orders-errors", "post-orders-throttles", "get-order-errors", "get-order-throttles",
)  # fmt: skip
SHARES = ("api-5xx", "api-slow-requests", "post-orders-errors", "get-order-errors")
# What no caller's request reaches: one datapoint of 5 minutes.
AT_ONCE = (
    "fetch-results-errors", "store-result-errors", "summarize-run-errors",
    "runs-timed-out", "hourly-starts-failed",
)  # fmt: skip


@pytest.fixture(scope="module")
def alarms(synthesized) -> dict[str, dict[str, Any]]:
    """Prod's alarms by name, without the stage's prefix (all of them carry it)."""
    template = synthesized.stage_template("Prod")
    found = {
        resource["Properties"]["AlarmName"]: resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert all(name.startswith(PREFIX) for name in found), found.keys()
    return {name.removeprefix(PREFIX): properties for name, properties in found.items()}


def periods(alarm: Mapping[str, Any]) -> set[int]:
    if "Metrics" in alarm:
        return {m["MetricStat"]["Period"] for m in alarm["Metrics"] if "MetricStat" in m}
    return {alarm["Period"]}


@pytest.mark.parametrize("name", CALLER_REACHED)
def test_an_alarm_a_caller_reaches_needs_3_minutes_of_5(alarms, name):
    alarm = alarms[name]

    assert periods(alarm) == {60}
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (3, 5)
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("name", SHARES)
def test_a_share_of_requests_counts_only_with_a_least_number_failing(alarms, name):
    alarm = alarms[name]
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    least = MIN_FAILING_PER_MINUTE

    assert expression == f"IF(FILL(counted, 0) >= {least}, 100 * FILL(counted, 0) / requests, 0)"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == FAILING_PERCENT
    assert len(alarm["Metrics"]) <= 10  # a metric-math alarm's most


def test_slow_requests_are_those_over_10_seconds(alarms):
    stats = {m["Id"]: m["MetricStat"]["Stat"] for m in alarms["api-slow-requests"]["Metrics"]
             if "MetricStat" in m}  # fmt: skip

    assert stats == {"counted": f"TC({API_SLOW_REQUEST_MS}:)", "requests": "Sum"}


def test_the_table_alarm_counts_every_throttled_read_and_write_of_the_table_and_its_index(
    alarms,
):
    alarm = alarms["orders-table-throttled"]
    stats = [m for m in alarm["Metrics"] if "MetricStat" in m]
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]

    assert {source(m["MetricStat"]) for m in stats} == {
        (f"{kind}ThrottleEvents", "Sum", index)
        for kind in ("Read", "Write")
        for index in ("", OPEN_ORDERS_INDEX)
    }
    # Each filled: DynamoDB publishes a source's events only when it throttles.
    assert expression == " + ".join(f"FILL({m['Id']}, 0)" for m in stats)
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # Every minute of a quarter hour; a missing minute is one without throttling.
    assert periods(alarm) == {60}
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (15, 15)
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("name", AT_ONCE)
def test_an_alarm_no_caller_reaches_goes_off_at_once(alarms, name):
    alarm = alarms[name]

    assert periods(alarm) == {300}
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (1, 1)


# -- each alarm evaluated as CloudWatch would -----------------------------------------------

MINUTES = 20
# (metric, stat, its operation or index) -> a value a minute
Traffic = Mapping[tuple[str, str, str], Sequence[float | None]]


def source(metric_stat: Mapping[str, Any]) -> tuple[str, str, str]:
    """A metric as `Traffic` names it: its name, statistic, and operation or index."""
    metric = metric_stat["Metric"]
    dimensions = {d["Name"]: readable(d["Value"]) for d in metric.get("Dimensions", [])}
    which = dimensions.get("GlobalSecondaryIndexName") or dimensions.get("Operation", "")
    return metric["MetricName"], metric_stat["Stat"], which


def _value_of(metric_stat: Mapping[str, Any], traffic: Traffic, minute: int) -> float | None:
    """A metric's datapoint in `minute`; None where it has none (the metric is not in it)."""
    return traffic.get(source(metric_stat), [None] * MINUTES)[minute]


def _evaluate(expression: str, values: Mapping[str, float | None]) -> float | None:
    """One datapoint of a metric-math expression: IF, FILL and arithmetic."""
    filled = set(re.findall(r"FILL\((\w+)", expression))
    if any(value is None for name, value in values.items() if name not in filled):
        return None  # a metric with no datapoint: the expression has none either
    python = expression.replace("IF(", "_if(").replace("FILL(", "_fill(")
    scope = {"_if": lambda c, a, b: a if c else b, "_fill": lambda v, d: d if v is None else v}
    try:
        return eval(python, scope, dict(values))  # noqa: S307  (the template's own expression)
    except ZeroDivisionError:  # a minute without requests: no value, so not breaching
        return None


def datapoints(alarm: Mapping[str, Any], traffic: Traffic) -> list[float | None]:
    """The alarm's metric, a value a minute."""
    if "Metrics" not in alarm:
        stat = alarm.get("Statistic") or alarm["ExtendedStatistic"]
        key = (alarm["MetricName"], stat, "")
        return list(traffic.get(key, [None] * MINUTES))
    stats = {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    return [
        _evaluate(expression, {i: _value_of(s, traffic, minute) for i, s in stats.items()})
        for minute in range(MINUTES)
    ]


def minutes_to_alarm(alarm: Mapping[str, Any], traffic: Traffic) -> int | None:
    """The first minute at whose end M of the last N datapoints breach (a missing one does
    not); None if none does in the minutes evaluated."""
    breaching = {
        "GreaterThanThreshold": lambda v: v > alarm["Threshold"],
        "GreaterThanOrEqualToThreshold": lambda v: v >= alarm["Threshold"],
    }[alarm["ComparisonOperator"]]
    marks = [value is not None and breaching(value) for value in datapoints(alarm, traffic)]
    m, n = alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]
    return next(
        (end for end in range(1, MINUTES + 1) if sum(marks[max(0, end - n) : end]) >= m), None
    )


def goes_off(alarm: Mapping[str, Any], traffic: Traffic) -> bool:
    return minutes_to_alarm(alarm, traffic) is not None


def minutes(**at: float) -> list[float]:
    """A value a minute: 0, except `m3=...` at minute 3."""
    return [at.get(f"m{minute}", 0.0) for minute in range(MINUTES)]


def api_traffic(requests: Sequence[float], failed: Sequence[float], slow=None) -> Traffic:
    """Requests a minute through the API to POST /orders, and how many failed or were slow."""
    slow = slow or [0.0] * MINUTES
    return {
        ("Count", "Sum", ""): requests,
        ("5XXError", "Sum", ""): failed,
        ("Latency", f"TC({API_SLOW_REQUEST_MS}:)", ""): slow,
        ("Invocations", "Sum", ""): requests,
        ("Errors", "Sum", ""): failed,
    }


def table_throttled(per_minute: Sequence[float], index: str = "", kind: str = "Write") -> Traffic:
    """Throttled writes (or reads) a minute, on the table or an index. DynamoDB publishes
    throttle events only when it throttles: the other sources, and the minutes after
    `per_minute`, have no datapoint."""
    padded = [*per_minute, *[None] * (MINUTES - len(per_minute))]
    return {(f"{kind}ThrottleEvents", "Sum", index): padded}


@pytest.mark.parametrize(
    ("case", "traffic", "minute"),
    [
        # Prod's largest burst at a cold table: 2 M writes at 4,000 a second, 8 minutes.
        ("one caller's largest burst at a cold table", table_throttled([5000.0] * 8), None),
        # Throttled 14 minutes of 15: a quarter hour not yet full.
        ("throttled with a minute's respite", table_throttled([5.0] * 7 + [0.0] + [5.0] * 12),
         None),
        ("the table's writes throttled for good", table_throttled([5.0] * 20), 15),
        ("the open-orders index's reads", table_throttled([5.0] * 20, OPEN_ORDERS_INDEX, "Read"),
         15),
    ],
)  # fmt: skip
def test_the_table_alarm_tells_of_throttling_only_when_it_lasts(alarms, case, traffic, minute):
    assert minutes_to_alarm(alarms["orders-table-throttled"], traffic) == minute, case


GATES = ("api-5xx", "api-slow-requests", "post-orders-errors")
QUIET = [2.0] * MINUTES  # two requests a minute


@pytest.mark.parametrize(
    ("case", "traffic"),
    [
        # A body whose event Lambda refuses: API Gateway's 500, once.
        ("one failing request", api_traffic(QUIET, minutes(m3=1))),
        # A client retrying it every minute, at low traffic: fewer than 3 a minute.
        ("one failing request a minute", api_traffic(QUIET, [1.0] * MINUTES)),
        ("two failing requests a minute", api_traffic(QUIET, [2.0] * MINUTES)),
        # Three a minute, but among everyone's 1,000: 0.3 %.
        (
            "three failing requests a minute at 1,000 a minute",
            api_traffic([1000.0] * MINUTES, [3.0] * MINUTES),
        ),
        # Prod's burst: 200 batches at once at a cold table. All throttled, slow, then 503;
        # every request ends within 29 s, so within two minutes.
        (
            "one burst at a cold table",
            api_traffic(minutes(m3=150, m4=52), minutes(m3=150, m4=50), minutes(m3=150, m4=50))
            | table_throttled(minutes(m3=4000, m4=1200)),
        ),
        # A client posting its largest batches one after another, each slow.
        (
            "a slow batch every other minute",
            api_traffic(QUIET, [0.0] * MINUTES, [1.0, 0.0] * (MINUTES // 2)),
        ),
    ],
)
def test_no_one_caller_sets_off_a_gate(alarms, case, traffic):
    assert [name for name in GATES if goes_off(alarms[name], traffic)] == [], case


def test_one_caller_must_keep_failing_three_requests_a_minute_to_set_one_off(alarms):
    # The same nine failing requests: in one minute, nothing; 3 a minute for 3 minutes,
    # the API has been failing its clients (and the alarm says so).
    at_once = api_traffic(QUIET, minutes(m3=9))
    sustained = api_traffic(QUIET, minutes(m3=3, m4=3, m5=3))

    assert not goes_off(alarms["api-5xx"], at_once)
    assert minutes_to_alarm(alarms["api-5xx"], sustained) == 6


@pytest.mark.parametrize(
    ("case", "traffic", "set_off"),
    [
        # The canary takes 10 % of 100 calls a minute, and fails every one.
        ("a canary that fails", api_traffic([100.0] * MINUTES, [10.0] * MINUTES),
         {"api-5xx", "post-orders-errors"}),
        ("a canary that is slow", api_traffic([100.0] * MINUTES, [0.0] * MINUTES, [10.0] * MINUTES),
         {"api-slow-requests"}),
        # A release at once (dev, staging) at low traffic: three calls a minute, all failing.
        ("a release that fails at low traffic", api_traffic([3.0] * MINUTES, [3.0] * MINUTES),
         {"api-5xx", "post-orders-errors"}),
    ],
)  # fmt: skip
def test_a_release_that_fails_sets_off_its_gate(alarms, case, traffic, set_off):
    assert {name for name in GATES if goes_off(alarms[name], traffic)} == set_off, case


# -- a canary's calls, inside its window ---------------------------------------------------

CANARY_SHARE = Fraction(1, 10)  # CodeDeployDefault.LambdaCanary10Percent10Minutes
CANARY_MINUTES = 20
# CloudWatch has a minute's datapoint a minute or two after it ends, and evaluates then:
# an alarm reaches ALARM that much after its last breaching minute (an assumption, not a
# documented bound).
CLOUDWATCH_DELAY_MINUTES = 2


def spread(per_minute: Fraction) -> list[float]:
    """`per_minute` as whole calls, minute by minute (0.2 a minute: one in minutes 4 and 9)."""
    return [float(int(per_minute * (m + 1)) - int(per_minute * m)) for m in range(MINUTES)]


def canary(requests_per_minute: int, failing: Fraction) -> Traffic:
    """API traffic while the canary takes its share of the calls, failing `failing` of them."""
    failed = spread(requests_per_minute * CANARY_SHARE * failing)
    return api_traffic([float(requests_per_minute)] * MINUTES, failed)


def caught_within_the_canary(alarms: Mapping[str, Any], traffic: Traffic) -> set[str]:
    """The gates in ALARM before the canary's 10 minutes are over."""
    deadline = CANARY_MINUTES - CLOUDWATCH_DELAY_MINUTES
    return {
        name for name in GATES
        if (minutes_to_alarm(alarms[name], traffic) or CANARY_MINUTES + 1) <= deadline
    }  # fmt: skip


# What the alarms catch of a release that fails a share of the canary's calls. Below 30
# requests a minute they catch nothing: the canary's calls are as few as one caller's
# failing requests (see auction_constructs/observability.py); the pre-traffic check stops a
# version that fails every call before the canary starts.
CAUGHT = {"api-5xx", "post-orders-errors"}
CANARY_CASES = [
    (2, Fraction(1), set()),  # 1 call every 5 minutes
    (10, Fraction(1), set()),  # 1 a minute
    (10, Fraction(1, 2), set()),
    (30, Fraction(1), CAUGHT),  # 3 a minute, all failing
    (30, Fraction(1, 2), set()),
    (100, Fraction(1), CAUGHT),
    (100, Fraction(1, 2), CAUGHT),  # 5 of 100 a minute: 5 %
    (100, Fraction(3, 10), CAUGHT),
    (100, Fraction(1, 5), set()),  # 2 a minute
]


@pytest.mark.parametrize(("requests_per_minute", "failing", "caught"), CANARY_CASES)
def test_what_the_alarms_catch_of_a_failing_canary_inside_its_window(
    alarms, requests_per_minute, failing, caught
):
    traffic = canary(requests_per_minute, failing)

    assert caught_within_the_canary(alarms, traffic) == caught


def test_a_canary_failing_every_call_is_in_alarm_about_5_minutes_in(alarms):
    at_100 = minutes_to_alarm(alarms["api-5xx"], canary(100, Fraction(1)))

    assert at_100 == 3  # its third failing minute
    assert at_100 + CLOUDWATCH_DELAY_MINUTES <= CANARY_MINUTES // 2
