"""The whole local flow traced by each adapter: the same spans, annotations and report.

Every function of the Dev stage is traced by one adapter, then by the other; orders are
posted, a run decides them, one is read back. The local daemon reads either adapter's
datagrams (emulator/otlp.py), so the two traces can be compared span for span.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import attrs
import pytest

from emulator.report.timeline import function_timeline
from emulator.system import LocalAuctionSystem
from handlers.observability import ADAPTER_VARIABLE, TracingAdapter

pytestmark = pytest.mark.synth

MODULES = (
    "handlers.post_orders",
    "handlers.get_order",
    "handlers.fetch_results",
    "handlers.store_result",
    "handlers.summarize_run",
)
ORDERS = 12


@attrs.frozen
class Traced:
    """What one flow's invocations sent, per handler module."""

    spans: dict[str, Counter[str]]  # "dynamodb BatchWriteItem", "read_orders", ...
    # Each span under its parent: "dynamodb UpdateItem < record_decisions", or "< -" for a
    # span directly under the function's own segment (Lambda's, not sent by the code).
    nesting: dict[str, Counter[str]]
    annotations: dict[str, Counter[str]]  # the annotations of each span, as JSON
    # What the report draws of each function, times left out: each lane's parts, in the
    # order they started, and each kind of call inside them, counted.
    report: dict[str, dict[str, Any]]


def label(document: dict[str, Any]) -> str:
    operation = document.get("aws", {}).get("operation")
    return f"{document['name']} {operation}" if operation else document["name"]


def nested(documents: list[dict[str, Any]]) -> Counter[str]:
    by_id = {d["id"]: d for d in documents}
    return Counter(
        f"{label(d)} < {label(by_id[d['parent_id']]) if d.get('parent_id') in by_id else '-'}"
        for d in documents
    )


def drawn(timeline: dict[str, Any]) -> dict[str, Any]:
    return {
        "lanes": sorted(
            [(part["name"], part["outcome"]) for part in lane["parts"]]
            for lane in timeline["lanes"]
        ),
        "calls": {
            call["name"]: (call["count"], call["refused"], call["errors"])
            for call in timeline["calls"]
        },
    }


def run_flow(synthesized, adapter: TracingAdapter) -> Traced:
    everyone = {module: {ADAPTER_VARIABLE: adapter.value} for module in MODULES}
    # Results at once, and the same decisions for both flows.
    everyone["handlers.fetch_results"] |= {
        "AUCTION_READY_PROBABILITY": "1",
        "AUCTION_SIMULATION_SEED": "7",
    }
    with LocalAuctionSystem(synthesized.outdir, function_environment=everyone) as system:
        batch = [{"record_id": f"order-{n:02d}", "power": 2} for n in range(ORDERS)]
        assert system.post_orders(json.dumps(batch))["statusCode"] == 201
        assert system.wait_for(system.start_run()).status == "SUCCEEDED"
        assert system.get_order("order-00")["statusCode"] == 200
        documents = {
            module: system.xray.documents_of(function.trace_ids)
            for module, function in system.functions.items()
            if module in MODULES
        }
        report = {
            module: drawn(
                function_timeline(
                    module,
                    [
                        system.xray.documents_of({trace})
                        for trace in system.functions[module].trace_ids
                    ],
                )
            )
            for module in MODULES
        }
    return Traced(
        spans={m: Counter(label(d) for d in found) for m, found in documents.items()},
        nesting={m: nested(found) for m, found in documents.items()},
        annotations={
            m: Counter(
                f"{d['name']} {json.dumps(d['annotations'], sort_keys=True)}"
                for d in found
                if d.get("annotations")
            )
            for m, found in documents.items()
        },
        report=report,
    )


@pytest.fixture(scope="module")
def flows(synthesized) -> dict[TracingAdapter, Traced]:
    return {adapter: run_flow(synthesized, adapter) for adapter in TracingAdapter}


@pytest.mark.parametrize("adapter", list(TracingAdapter))
def test_every_function_is_traced_with_its_domain_work_and_aws_calls(flows, adapter):
    traced = {module: set(found) for module, found in flows[adapter].spans.items()}

    assert traced["handlers.post_orders"] >= {
        "read_orders", "dynamodb BatchGetItem", "store_orders", "dynamodb BatchWriteItem",
    }  # fmt: skip
    assert traced["handlers.fetch_results"] >= {
        "open_orders", "dynamodb Query", "auction_results", "write_chunks", "s3 PutObject",
    }  # fmt: skip
    assert traced["handlers.store_result"] >= {
        "record_decisions", "s3 GetObject", "dynamodb UpdateItem", "s3 PutObject",
    }  # fmt: skip
    assert traced["handlers.summarize_run"] >= {"summarize_run", "s3 ListObjectsV2"}
    assert traced["handlers.get_order"] >= {"read_order", "dynamodb GetItem"}
    assert flows[adapter].annotations["handlers.post_orders"] == Counter(
        {'read_orders {"records": 12}': 1, 'store_orders {"records": 12}': 1}
    )


def test_both_adapters_send_the_same_spans_with_the_same_annotations(flows):
    xray_sdk, opentelemetry = flows[TracingAdapter.XRAY_SDK], flows[TracingAdapter.OPENTELEMETRY]

    assert opentelemetry.spans == xray_sdk.spans
    assert opentelemetry.nesting == xray_sdk.nesting
    assert opentelemetry.nesting["handlers.store_result"]["dynamodb UpdateItem < record_decisions"]
    assert opentelemetry.annotations == xray_sdk.annotations


def test_the_report_draws_both_adapters_traces_alike(flows):
    """Lane for lane, each function's timeline: the same parts, ending the same way, and
    the same calls inside them, as many, refused or failed as often."""
    xray_sdk, opentelemetry = flows[TracingAdapter.XRAY_SDK], flows[TracingAdapter.OPENTELEMETRY]

    for module in MODULES:
        assert opentelemetry.report[module] == xray_sdk.report[module], module
        assert all(opentelemetry.report[module]["lanes"]), module
        assert opentelemetry.report[module]["calls"], module
