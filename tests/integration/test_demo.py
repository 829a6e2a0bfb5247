"""`make demo`'s flow as a test: everything it reports must have happened."""

from __future__ import annotations

import pytest

from emulator.demo import run_demo

pytestmark = pytest.mark.synth


def test_the_demo_runs_the_whole_flow_end_to_end(synthesized):
    lines: list[str] = []

    failures = run_demo(synthesized.outdir, lines.append, generated=40)

    assert failures == []
    report = "\n".join(lines)
    assert "generated batch of 40 records -> 201" in report
    assert "Orders table: 42 open orders" in report
    assert "SUCCEEDED; Lambda A asked 2 time(s), waits requested: [30] s" in report
    assert "42 orders decided: " in report
    assert "rejected of 42 orders" in report  # the run's one alert
    assert "unique_id_1 -> 200 " in report
    (store_result,) = [line for line in lines if "handlers.store_result:" in line]
    assert {"record_decisions", "s3", "dynamodb"} <= set(store_result.split(": ", 1)[1].split(", "))
