"""A run's report reads well at any size: a lane per invocation, the calls inside them
summarised, an expected refusal told apart from an error, and counts that keep a failed
order out of the decided ones."""

from __future__ import annotations

import json
from pathlib import Path

from emulator.report.record import RunRecord
from emulator.report.render import report_data
from emulator.report.summary import counts_line
from emulator.report.timeline import ERROR, MAX_LANES, OK, REFUSED, function_timeline, read_span
from tests.browser.large_run import large_run_record

DEFINITION = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})


def call(id_: str, parent: str, start: float, *, code: str | None = None, fault: bool = False):
    document = {
        "trace_id": "1-t",
        "id": id_,
        "parent_id": parent,
        "name": "dynamodb",
        "aws": {"operation": "UpdateItem"},
        "start_time": start,
        "end_time": start + 0.01,
    }
    if code or fault:
        message = (
            f"An error occurred ({code}) when calling the UpdateItem operation" if code else "boom"
        )
        document |= {
            "fault": True,
            "error": True,
            "cause": {"exceptions": [{"message": message, "type": "ClientError"}]},
        }
    return document


def test_a_conditional_refusal_the_handler_expects_is_not_an_error():
    refused = call("a", "p", 1.0, code="ConditionalCheckFailedException")
    throttled = call("b", "p", 1.0, code="ProvisionedThroughputExceededException")

    assert read_span(refused).outcome == REFUSED
    assert read_span(throttled).outcome == ERROR
    assert read_span(call("c", "p", 1.0, fault=True)).outcome == ERROR
    assert read_span(call("d", "p", 1.0)).outcome == OK


def test_a_span_still_in_progress_is_not_drawn():
    assert read_span({"id": "x", "name": "s3", "start_time": 1.0, "in_progress": True}) is None


def test_calls_inside_an_invocation_are_summarised_and_its_main_subsegments_drawn():
    main = {
        "trace_id": "1-t",
        "id": "m",
        "parent_id": "facade",
        "name": "record_decisions",
        "start_time": 1.0,
        "end_time": 3.0,
    }
    refused = "ConditionalCheckFailedException"
    calls = [call(f"c{n}", "m", 1 + n / 1000, code=refused if n < 3 else None) for n in range(500)]

    timeline = function_timeline("handlers.store_result", [[main, *calls]])

    (lane,) = timeline["lanes"]
    assert [part["name"] for part in lane["parts"]] == ["record_decisions"]
    assert lane["outcome"] == REFUSED
    (summary,) = timeline["calls"]
    assert (summary["name"], summary["count"], summary["refused"], summary["errors"]) == (
        "dynamodb UpdateItem",
        500,
        3,
        0,
    )


def test_lanes_are_capped_and_every_failed_invocation_is_among_those_drawn():
    invocations = [[call(f"i{n}", "facade", float(n), fault=n == 45)] for n in range(50)]

    timeline = function_timeline("handlers.store_result", invocations)

    assert timeline["invocations"] == 50
    assert len(timeline["lanes"]) == MAX_LANES
    assert timeline["hidden"] == 50 - MAX_LANES
    assert any(lane["outcome"] == ERROR for lane in timeline["lanes"])


def test_the_report_of_10000_orders_is_a_lane_per_invocation_on_the_run_s_own_axis():
    record = large_run_record(DEFINITION, Path("template.json"), orders=10_000)

    data = report_data(record)

    lanes = {f["name"]: len(f["lanes"]) for f in data["functions"]}
    assert lanes == {
        "handlers.fetch_results": 2,
        "handlers.store_result": 20,
        "handlers.summarize_run": 1,
    }
    assert sum(len(f["calls"]) for f in data["functions"]) <= 8
    assert data["axis"]["start"] == record.started
    assert len(json.dumps(data)) < 60_000  # the page carries summaries, not 25,000 spans
    assert data["facts"]["Documents stored (results bucket)"][-1][0] == "8333 in all"


def test_a_failed_order_is_not_counted_as_decided():
    line = counts_line({"orders": 25, "stored": 20, "rejected": 4, "failed": 1, "gone": 0})

    assert "24 decided" in line
    assert "1 failed" in line
    assert "25 decided" not in line


def test_a_failed_run_s_report_says_why_in_one_line_and_keeps_the_details():
    record = RunRecord(
        name="r",
        status="FAILED",
        started=1.0,
        stopped=2.0,
        definition=DEFINITION,
        template_path=Path("t.json"),
        error="States.TaskFailed",
        cause="x" * 40_000,
        engine_errors=["Exception=FailureEventException, Error=States.TaskFailed"],
    )

    data = report_data(record)

    assert len(data["summary"]) < 600
    (cause, engine) = data["facts"]["Why it failed"]
    assert cause == ["States.TaskFailed", "x" * 40_000]
    assert engine[1].startswith("Exception=FailureEventException")


def test_the_report_shows_the_run_s_numbers_a_distribution_summarised():
    record = RunRecord(
        name="r",
        status="SUCCEEDED",
        started=1.0,
        stopped=2.0,
        definition=DEFINITION,
        template_path=Path("t.json"),
        numbers={
            "OpenOrders": [4, 4],
            "OldestOpenOrderAge": [61.5, 91.5],
            "DecisionAge": [float(n) for n in range(1, 101)],
            "OrdersDecided": [4],
        },
    )

    rows = report_data(record)["facts"]["The run's numbers (CloudWatch metrics, written as EMF)"]

    assert rows == [
        ["OpenOrders", "4, 4"],
        ["OldestOpenOrderAge", "61.5 s, 91.5 s"],
        ["DecisionAge", "p50 50 s, p99 99 s, of 100"],
        ["OrdersDecided", "4"],
    ]


def test_a_run_that_wrote_no_numbers_says_so():
    record = RunRecord("r", "FAILED", 1.0, 2.0, DEFINITION, Path("t.json"))

    rows = report_data(record)["facts"]["The run's numbers (CloudWatch metrics, written as EMF)"]

    assert rows == [["none written", ""]]
