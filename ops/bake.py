"""Bake gate: watch a deployed stage's alarms for a while; fail if any goes off.

Run by the delivery pipeline after staging's smoke test (so nobody approves a change
that is already alarming) and after prod deploys (a failure alerts and stops the
pipeline). Environment: `ALARM_NAMES` (the stage's alarms, comma-separated, as the
synthesized stage names them), `BAKE_MINUTES`, `STAGE_REGION`, `BAKE_ROLE_ARN` (assumed
when set, for a stage in another account), `POLL_SECONDS`. Exit status 0 when every
alarm was found and none went off.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ops.smoke_test import session_for

# DescribeAlarms takes at most 100 names a call.
NAMES_PER_CALL = 100


class AlarmsNotFoundError(Exception):
    """Alarms the stage declares are not there: a bake that cannot see them proves nothing."""


def alarms_going_off(cloudwatch: Any, names: Sequence[str]) -> list[str]:
    """Which of the metric alarms `names` are in the ALARM state; all must exist.

    Asked by name, each checked against its own ARN by IAM, which the bake's role allows
    for its stage's alarms (`cloudwatch:DescribeAlarms` on `alarm:<prefix>*`). Composite
    alarms would need the permission on `*`
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html);
    the stages have none.
    """
    found = {}
    for start in range(0, len(names), NAMES_PER_CALL):
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNames=list(names[start : start + NAMES_PER_CALL]), AlarmTypes=["MetricAlarm"]
        )
        for page in pages:
            found.update({a["AlarmName"]: a["StateValue"] for a in page["MetricAlarms"]})
    missing = [name for name in names if name not in found]
    if missing or not names:
        raise AlarmsNotFoundError(
            f"{len(missing)} of the stage's {len(names)} alarms not found (wrong region or "
            f"account, or not deployed): {', '.join(missing) or 'no alarm named'}"
        )
    return [name for name in names if found[name] == "ALARM"]


def bake(
    cloudwatch: Any,
    names: Sequence[str],
    minutes: float,
    *,
    poll_seconds: float = 30,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Watch for `minutes`; the alarms that went off (none: the stage baked clean)."""
    deadline = clock() + minutes * 60
    while True:
        alarming = alarms_going_off(cloudwatch, names)
        if alarming or clock() >= deadline:
            return alarming
        sleep(min(poll_seconds, deadline - clock()))


def main() -> int:
    session = session_for(
        os.environ.get("BAKE_ROLE_ARN"),
        region=os.environ["STAGE_REGION"],
        session_name="auction-bake",
    )
    names = [name for name in os.environ["ALARM_NAMES"].split(",") if name]
    minutes = float(os.environ["BAKE_MINUTES"])
    print(f"watching {len(names)} alarms for {minutes:g} minutes: {', '.join(names)}")
    try:
        alarming = bake(
            session.client("cloudwatch"),
            names,
            minutes,
            poll_seconds=float(os.environ.get("POLL_SECONDS", 30)),
        )
    except AlarmsNotFoundError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    for name in alarming:
        print(f"FAILED: {name} is in ALARM", file=sys.stderr)
    return 1 if alarming else 0


if __name__ == "__main__":
    sys.exit(main())
