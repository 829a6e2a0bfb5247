"""The local daemon reads OpenTelemetry's datagrams as X-Ray reads them (emulator/otlp.py)."""

from __future__ import annotations

import base64
import json

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from emulator.otlp import documents_in
from emulator.span_names import aws_call

HEADER = b'{"format":"json","version":1}\n'
TRACE = bytes.fromhex("6b0f6997000000000000000000000001")


def value(python: object) -> AnyValue:
    if isinstance(python, bool):
        return AnyValue(bool_value=python)
    if isinstance(python, int):
        return AnyValue(int_value=python)
    if isinstance(python, list):
        return AnyValue(array_value=ArrayValue(values=[value(item) for item in python]))
    return AnyValue(string_value=str(python))


def span(name: str = "work", status: int = Status.STATUS_CODE_UNSET, **attributes: object) -> Span:
    return Span(
        trace_id=TRACE,
        span_id=bytes.fromhex("00000000000000a1"),
        parent_span_id=bytes.fromhex("00000000000000b2"),
        name=name,
        kind=Span.SPAN_KIND_INTERNAL,
        start_time_unix_nano=1_796_172_196_730_000_000,
        end_time_unix_nano=1_796_172_196_743_000_000,
        attributes=[
            KeyValue(key=key.replace("__", "."), value=value(v)) for key, v in attributes.items()
        ],
        status=Status(code=status),
    )


def datagram(*spans: Span, prefix: bytes = b"T1S") -> bytes:
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=list(spans))])]
    )
    return HEADER + prefix + base64.b64encode(request.SerializeToString())


def aws_call_span(status: int = Status.STATUS_CODE_UNSET, http_status: int = 200) -> Span:
    return span(
        "DynamoDB.UpdateItem", status, rpc__system="aws-api", rpc__service="DynamoDB",
        rpc__method="UpdateItem", cloud__region="eu-west-1", aws__request_id="R1",
        http__status_code=http_status,
    )  # fmt: skip


def test_a_span_is_the_subsegment_the_x_ray_sdk_would_have_sent():
    annotated = span(
        "record_decisions", chunk=3, decisions=500, aws__xray__annotations=["chunk", "decisions"]
    )

    (document,) = documents_in(datagram(annotated))

    times = document.pop("start_time"), document.pop("end_time")
    assert times == pytest.approx((1_796_172_196.730, 1_796_172_196.743), abs=1e-6)
    assert document == {
        "name": "record_decisions",
        "id": "00000000000000a1",
        "parent_id": "00000000000000b2",
        "trace_id": "1-6b0f6997-000000000000000000000001",
        "type": "subsegment",
        "annotations": {"chunk": 3, "decisions": 500},
    }


def test_attributes_not_listed_as_annotations_are_metadata():
    annotated = span(records=3, note="x", aws__xray__annotations=["records"])

    (document,) = documents_in(datagram(annotated))

    assert document["annotations"] == {"records": 3}
    assert document["metadata"] == {"default": {"note": "x"}}


def test_an_aws_call_is_named_as_the_x_ray_sdk_names_it():
    (document,) = documents_in(datagram(aws_call_span()))

    assert document["name"] == "dynamodb"
    assert document["namespace"] == "aws"
    assert document["aws"] == {"operation": "UpdateItem", "region": "eu-west-1", "request_id": "R1"}
    assert document["http"] == {"response": {"status": 200}}
    assert not {"error", "fault", "throttle"} & set(document)


@pytest.mark.parametrize(
    ("http_status", "flags"),
    [(400, {"error"}), (429, {"error", "throttle"}), (500, {"fault"}), (503, {"fault"})],
)
def test_a_failed_aws_call_is_flagged_as_x_ray_flags_its_status(http_status, flags):
    (document,) = documents_in(datagram(aws_call_span(Status.STATUS_CODE_ERROR, http_status)))

    assert {flag for flag in ("error", "fault", "throttle") if document.get(flag)} == flags


def test_a_failure_without_an_http_status_is_a_fault():
    (document,) = documents_in(datagram(span(status=Status.STATUS_CODE_ERROR)))

    assert document["fault"] is True


def test_a_server_span_is_a_segment():
    server = span()
    server.kind = Span.SPAN_KIND_SERVER

    (document,) = documents_in(datagram(server))

    assert "type" not in document


def test_unsampled_spans_are_kept_out_of_the_traces():
    assert documents_in(datagram(span(), prefix=b"T1U")) == []


def test_every_span_of_a_datagram_is_read():
    assert [d["name"] for d in documents_in(datagram(span("a"), span("b")))] == ["a", "b"]


def test_the_x_ray_sdk_s_documents_pass_as_they_are():
    document = {"name": "dynamodb", "id": "1", "trace_id": "1-2-3", "aws": {"operation": "GetItem"}}

    assert documents_in(HEADER + json.dumps(document).encode()) == [document]


@pytest.mark.parametrize(
    ("service_id", "name"),
    [("DynamoDB", "dynamodb"), ("S3", "s3"), ("SFN", "states"), ("CloudWatch Logs", "logs")],
)
def test_botocore_s_service_ids_become_endpoint_prefixes(service_id, name):
    assert aws_call(service_id, "Op") == (name, "Op")
