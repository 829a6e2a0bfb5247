"""The auction's numbers: EMF documents within the specification's limits, written through
the observability port, by the handlers that know each number."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.metrics import (
    MAX_EVENT_BYTES,
    MAX_METRICS_PER_DOCUMENT,
    MAX_VALUES_PER_METRIC,
    METRICS,
    Metric,
    emf_documents,
    metric_values,
)
from handlers import observability
from tests.unit.conftest import fresh
from tests.unit.test_store_result import chunk_event, decision

NAMESPACE = "EnergyAuction/test"


# -- the documents -----------------------------------------------------------------------


def test_a_document_names_its_namespace_units_no_dimension_and_its_properties():
    (document,) = emf_documents(
        NAMESPACE,
        {Metric.OPEN_ORDERS: 3, Metric.OLDEST_OPEN_ORDER_AGE: 61.5},
        timestamp_ms=1_700_000_000_123,
        properties={"RunId": "run-1"},
    )

    assert document["_aws"] == {
        "Timestamp": 1_700_000_000_123,
        "CloudWatchMetrics": [
            {
                "Namespace": NAMESPACE,
                "Dimensions": [[]],
                "Metrics": [
                    {"Name": "OpenOrders", "Unit": "Count"},
                    {"Name": "OldestOpenOrderAge", "Unit": "Seconds"},
                ],
            }
        ],
    }
    assert (document["OpenOrders"], document["OldestOpenOrderAge"]) == (3, 61.5)
    assert document["RunId"] == "run-1"


def test_a_distribution_is_spread_over_documents_of_at_most_100_values_a_metric():
    ages = [float(n) for n in range(1, 251)]

    documents = emf_documents(NAMESPACE, {Metric.DECISION_AGE: ages}, timestamp_ms=0)

    assert [len(document["DecisionAge"]) for document in documents] == [100, 100, 50]
    assert metric_values(documents) == {"DecisionAge": ages}  # each once, in order


def test_more_than_100_metrics_never_share_one_directive():
    values = dict.fromkeys(METRICS, [1.0] * 150)  # every metric, two pieces each
    names = set(METRICS)

    documents = emf_documents(NAMESPACE, values, timestamp_ms=0)

    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        held = [metric["Name"] for metric in directive["Metrics"]]
        assert len(held) <= MAX_METRICS_PER_DOCUMENT
        assert len(held) == len(set(held))  # a name once per document
        assert set(held) <= names
        assert all(len(document[name]) <= MAX_VALUES_PER_METRIC for name in held)
    assert metric_values(documents) == {name: [1.0] * 150 for name in names}


def test_every_document_fits_a_log_event_however_many_values():
    long_numbers = [1 / 3 + n for n in range(20_000)]  # 18 digits each

    documents = emf_documents(NAMESPACE, {Metric.DECISION_AGE: long_numbers}, timestamp_ms=0)

    assert all(len(json.dumps(document).encode()) <= MAX_EVENT_BYTES for document in documents)
    assert metric_values(documents)["DecisionAge"] == long_numbers


def test_no_values_make_no_document():
    assert emf_documents(NAMESPACE, {Metric.DECISION_AGE: []}, timestamp_ms=0) == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, "3"])
def test_a_value_json_or_cloudwatch_cannot_hold_is_refused(value):
    with pytest.raises(ValueError, match="OpenOrders"):
        emf_documents(NAMESPACE, {Metric.OPEN_ORDERS: [1, value]}, timestamp_ms=0)


def test_a_name_outside_the_auction_s_metrics_is_refused_as_each_is_billed():
    with pytest.raises(ValueError, match="'OrdersPosted-run-7' is not one of"):
        emf_documents(NAMESPACE, {"OrdersPosted-run-7": 1}, timestamp_ms=0)


# -- the port ----------------------------------------------------------------------------


@pytest.fixture
def captured(monkeypatch) -> list[dict[str, Any]]:
    """Every EMF line the handlers write, parsed, in the stage's namespace."""
    monkeypatch.setenv(observability.NAMESPACE_VARIABLE, NAMESPACE)
    lines: list[dict[str, Any]] = []
    previous = observability.write_metrics_to(lambda line: lines.append(json.loads(line)))
    yield lines
    observability.write_metrics_to(previous)


def test_the_port_prints_one_document_a_line_to_stdout(monkeypatch, capsys):
    monkeypatch.setenv(observability.NAMESPACE_VARIABLE, NAMESPACE)

    observability.put_metrics({Metric.DECISION_AGE: [2.0] * 150}, RunId="run-3")

    lines = capsys.readouterr().out.splitlines()
    documents = [json.loads(line) for line in lines]
    assert [len(document["DecisionAge"]) for document in documents] == [100, 50]
    assert {document["RunId"] for document in documents} == {"run-3"}


def test_without_a_namespace_nothing_is_written(monkeypatch, capsys):
    monkeypatch.delenv(observability.NAMESPACE_VARIABLE, raising=False)

    observability.put_metrics({Metric.OPEN_ORDERS: 1})

    assert capsys.readouterr().out == ""


# -- the handlers ------------------------------------------------------------------------


def posted_batch(post_orders: Any, context: Any, record_ids: list[str]) -> dict:
    batch = [{"record_id": record_id, "power": 5} for record_id in record_ids]
    return post_orders.handler({"httpMethod": "POST", "body": json.dumps(batch)}, context)


def test_orders_posted_counts_every_record_a_201_holds_and_nothing_refused(
    orders_table, context, captured
):
    post_orders = fresh("handlers.post_orders")

    posted_batch(post_orders, context, ["a", "b"])
    posted_batch(post_orders, context, ["a", "c", "d"])  # "a" unchanged, held all the same
    refused = post_orders.handler(
        {"httpMethod": "POST", "body": '[{"record_id": "x", "ttl": 1}]'}, context
    )  # the synthetic check's kind of batch

    assert refused["statusCode"] == 400
    assert metric_values(captured) == {"OrdersPosted": [2, 3]}


def run_event(retries: int, run_id: str = "run-1") -> dict:
    started = datetime.now(UTC) + timedelta(seconds=1)
    return {"run": {"id": run_id, "started_at": started.isoformat()}, "retries": retries}


def test_lambda_a_reports_the_open_orders_at_every_attempt_and_the_asks_once_ready(
    orders_table, runs_bucket, context, captured, monkeypatch
):
    posted_batch(fresh("handlers.post_orders"), context, ["a", "b", "c"])
    oldest_ms = min(int(item["posted_at"]) for item in orders_table.scan()["Items"])
    monkeypatch.setenv("AUCTION_READY_PROBABILITY", "0")
    not_ready = fresh("handlers.fetch_results")
    captured.clear()

    assert not_ready.handler(run_event(retries=0), context) == {"results": False}
    monkeypatch.setenv("AUCTION_READY_PROBABILITY", "1")
    assert fresh("handlers.fetch_results").handler(run_event(retries=4), context)["results"]

    numbers = metric_values(captured)
    ages = numbers.pop("OldestOpenOrderAge")
    assert numbers == {
        "OpenOrders": [3, 3],
        "PlatformAsks": [5],  # the fifth attempt: four retries before it
    }
    # Each age as of its document's time (to the millisecond the timestamp keeps).
    measured_at = [d["_aws"]["Timestamp"] for d in captured if "OldestOpenOrderAge" in d]
    assert ages == [pytest.approx((at - oldest_ms) / 1000, abs=0.001) for at in measured_at]
    assert {document["RunId"] for document in captured} == {"run-1"}


def test_with_nothing_open_lambda_a_reports_zero_so_a_quiet_hour_still_reports(
    orders_table, runs_bucket, context, captured, monkeypatch
):
    monkeypatch.setenv("AUCTION_READY_PROBABILITY", "1")

    fresh("handlers.fetch_results").handler(run_event(retries=0), context)

    assert metric_values(captured) == {
        "OpenOrders": [0],
        "OldestOpenOrderAge": [0],
        "PlatformAsks": [1],
    }


def test_lambda_b_reports_each_decided_order_s_age_as_its_item_records_it(
    results_bucket, runs_bucket, orders_table, context, captured
):
    posted_batch(fresh("handlers.post_orders"), context, ["a", "b", "c"])
    posted = {i["record_id"]: int(i["posted_at"]) for i in orders_table.scan()["Items"]}
    orders_table.delete_item(Key={"record_id": "c"})  # gone before its decision: no age
    decisions = [decision("a", "accepted", posted), decision("b", "rejected", posted),
                 decision("c", "accepted", posted)]  # fmt: skip
    captured.clear()

    fresh("handlers.store_result").handler(chunk_event(runs_bucket, decisions), context)

    items = {i["record_id"]: i for i in orders_table.scan()["Items"]}
    recorded_ms = {
        record_id: datetime.fromisoformat(item["outcome"]["recorded_at"]).timestamp() * 1000
        for record_id, item in items.items()
    }
    assert sorted(metric_values(captured)["DecisionAge"]) == sorted(
        (round(recorded_ms[r]) - posted[r]) / 1000 for r in ("a", "b")
    )
    assert {document["RunId"] for document in captured} == {"run-7"}


def test_lambda_c_reports_the_run_s_counts_and_duration(runs_bucket, context, captured):
    from tests.unit.test_summarize_run import RUN, a_run, outcome

    event = a_run(runs_bucket, chunks=2, per_chunk=4)
    outcome(runs_bucket, 0, stored=2, rejected=["c0-2"], gone=["c0-3"])
    outcome(runs_bucket, 1, stored=1, failed=[{"record_id": "c1-3", "reason": "throttled"}],
            rejected=["c1-1", "c1-2"])  # fmt: skip

    fresh("handlers.summarize_run").handler(event, context)

    numbers = metric_values(captured)
    duration = numbers.pop("RunDuration")
    assert numbers == {
        "OrdersTaken": [8], "OrdersAccepted": [3], "OrdersRejected": [3], "OrdersFailed": [1],
        "OrdersGone": [1], "OrdersDecided": [6],
    }  # fmt: skip
    (document,) = captured
    started = datetime.fromisoformat(RUN["started_at"]).timestamp()
    assert duration == [pytest.approx(document["_aws"]["Timestamp"] / 1000 - started, abs=0.001)]
    assert document["RunId"] == RUN["id"]
