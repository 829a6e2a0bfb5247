"""Bake gate: watch a deployed stage's alarms for a while; fail if any goes off.

Run by the delivery pipeline after staging's smoke test (so nobody approves a change
that is already alarming) and after prod deploys (a failure alerts and stops the
pipeline). Environment: `ALARM_PREFIX` (the stage's alarms, `energy-auction-<stage>-`),
`BAKE_MINUTES`, `BAKE_ROLE_ARN` (assumed when set, for a stage in another account),
`POLL_SECONDS`. Exit status 0 when no alarm went off.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from ops.smoke_test import session_for


def alarms_going_off(cloudwatch: Any, prefix: str) -> list[str]:
    """The names of the metric alarms named `prefix...` in the ALARM state, every page read.

    Metric alarms only: the stages have no composite alarm, and reading those needs
    `cloudwatch:DescribeAlarms` on `*`, while the bake's role may read its stage's alarms
    only (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
    """
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=prefix, StateValue="ALARM", AlarmTypes=["MetricAlarm"]
    )
    # The state is checked here too: moto filters by prefix and ignores StateValue.
    return [
        alarm["AlarmName"]
        for page in pages
        for alarm in page.get("MetricAlarms", [])
        if alarm["StateValue"] == "ALARM"
    ]


def bake(
    cloudwatch: Any,
    prefix: str,
    minutes: float,
    *,
    poll_seconds: float = 30,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Watch for `minutes`; the alarms that went off (none: the stage baked clean)."""
    deadline = clock() + minutes * 60
    while True:
        alarming = alarms_going_off(cloudwatch, prefix)
        if alarming or clock() >= deadline:
            return alarming
        sleep(min(poll_seconds, deadline - clock()))


def main() -> int:
    session = session_for(os.environ.get("BAKE_ROLE_ARN"))
    prefix = os.environ["ALARM_PREFIX"]
    minutes = float(os.environ["BAKE_MINUTES"])
    print(f"watching the alarms {prefix}* for {minutes:g} minutes")
    alarming = bake(
        session.client("cloudwatch"),
        prefix,
        minutes,
        poll_seconds=float(os.environ.get("POLL_SECONDS", 30)),
    )
    for name in alarming:
        print(f"FAILED: {name} is in ALARM", file=sys.stderr)
    return 1 if alarming else 0


if __name__ == "__main__":
    sys.exit(main())
