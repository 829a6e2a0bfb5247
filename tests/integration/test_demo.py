"""`make demo`'s flow as a test: everything it reports must have happened."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emulator.demo import README_EXAMPLE, run_demo
from emulator.template import stage_template_path

pytestmark = pytest.mark.synth
README = Path(__file__).parents[2] / "README.md"


def test_the_demo_runs_the_whole_flow_end_to_end_and_writes_its_report(synthesized, tmp_path):
    lines: list[str] = []

    failures = run_demo(synthesized.outdir, lines.append, generated=40, reports=tmp_path)

    assert failures == []
    report = "\n".join(lines)
    assert f"Stage template: {synthesized.stage_template_path('Dev')}" in report
    assert "in this process's memory" in report
    assert "the README's example batch of 1 records -> 201" in report
    assert "'unchanged': 1" in report  # the seed's batch resends unique_id_1
    assert "Orders table: 42 open orders" in report
    assert "SUCCEEDED; Lambda A asked 2 time(s), waits requested: [30] s" in report
    assert "42 orders: 42 decided (" in report
    # The 201 answers' records (1 + 2 + 40), not the bad batch's 400.
    assert "OrdersPosted (CloudWatch metric, 201 answers only): 43" in report
    assert "its numbers (CloudWatch metrics, EMF): OpenOrders 42, 42; " in report
    assert "rejected of 42 orders" in report  # the run's one alert
    assert "unique_id_1 -> 200 " in report
    (store_result,) = [line for line in lines if "handlers.store_result:" in line]
    assert {"record_decisions", "s3", "dynamodb"} <= set(store_result.split(": ", 1)[1].split(", "))
    (written,) = tmp_path.glob("run-*.html")
    assert f"Report of the run (open it in a browser): {written}" in report


def test_the_demo_sends_the_readme_s_own_example_request():
    examples = re.findall(r"-d '(\[\{.*?\}\])'", README.read_text())

    assert examples
    assert all(json.loads(example) == README_EXAMPLE for example in examples)


def test_the_demo_s_stage_synthesized_alone_is_the_stage_the_pipeline_deploys(
    synthesized, tmp_path
):
    # `make demo` synthesizes the Dev stage alone, in about half the time of the whole app:
    # what it runs must be what the pipeline deploys, template and assets alike.
    from pipeline_app import build_stage_app
    from tests.conftest import TEST_AUCTION_CONTEXT

    build_stage_app("dev", auction_context=TEST_AUCTION_CONTEXT, outdir=str(tmp_path)).synth()

    alone = stage_template_path(tmp_path, "Dev")
    assert json.loads(alone.read_text()) == synthesized.stage_template("Dev")
