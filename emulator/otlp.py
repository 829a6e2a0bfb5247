"""What the local X-Ray daemon makes of a datagram: segment documents, from either adapter.

The X-Ray SDK sends a JSON header line, then a segment document. OpenTelemetry's UDP
exporter sends the same header, then `T1S` (sampled spans) or `T1U` (unsampled ones) and
base64 of an OTLP ExportTraceServiceRequest. Spans are turned into the documents the SDK
would have sent, as X-Ray turns them into segments: a server span is a segment, any other a
subsegment; attributes are metadata, but those whose keys the span lists in
`aws.xray.annotations` are annotations; an AWS call's name is the SDK's
(emulator/span_names.py). So the report and the tests read both alike.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from emulator.span_names import aws_call
from handlers.tracing_otel import ANNOTATION_KEYS  # X-Ray's key, which the adapter sets

SAMPLED, UNSAMPLED = b"T1S", b"T1U"
# An AWS call's attributes that X-Ray reads into the segment's own fields, not metadata.
_AWS_CALL = ("rpc.system", "rpc.service", "rpc.method")
_AWS_FIELDS = {"region": "cloud.region", "request_id": "aws.request_id"}


def documents_in(datagram: bytes) -> list[dict[str, Any]]:
    """The segment documents one datagram carries (none for unsampled spans, which X-Ray
    keeps out of traces)."""
    _header, _, body = datagram.partition(b"\n")
    if body.startswith(SAMPLED):
        return list(segments(base64.b64decode(body[len(SAMPLED) :])))
    if body.startswith(UNSAMPLED):
        return []
    return [json.loads(body)]


def segments(serialized: bytes) -> Iterator[dict[str, Any]]:
    """Each span of an OTLP ExportTraceServiceRequest as an X-Ray segment document."""
    request = ExportTraceServiceRequest.FromString(serialized)
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield segment(span)


def segment(span: Span) -> dict[str, Any]:
    """One span as the segment document X-Ray makes of it."""
    attributes = {item.key: _value(item.value) for item in span.attributes}
    annotated = set(attributes.pop(ANNOTATION_KEYS, ()))
    trace = span.trace_id.hex()
    document: dict[str, Any] = {
        "name": span.name,
        "id": span.span_id.hex(),
        "trace_id": f"1-{trace[:8]}-{trace[8:]}",
        "start_time": span.start_time_unix_nano / 1e9,
        "end_time": span.end_time_unix_nano / 1e9,
    }
    if span.parent_span_id:
        document["parent_id"] = span.parent_span_id.hex()
    if span.kind != Span.SPAN_KIND_SERVER:
        document["type"] = "subsegment"
    if attributes.get("rpc.system") == "aws-api":
        name, operation = aws_call(attributes["rpc.service"], attributes["rpc.method"])
        call = {"operation": operation}
        for field, attribute in _AWS_FIELDS.items():
            if attribute in attributes:
                call[field] = attributes.pop(attribute)
        document |= {"name": name, "namespace": "aws", "aws": call}
        attributes = {k: v for k, v in attributes.items() if k not in _AWS_CALL}
    status = attributes.get("http.status_code") or attributes.get("http.response.status_code")
    if status:
        document["http"] = {"response": {"status": status}}
    document |= _flags(span.status, status)
    if annotated:
        keys = sorted(annotated & set(attributes))
        document["annotations"] = {key: attributes.pop(key) for key in keys}
    if attributes:
        document["metadata"] = {"default": attributes}
    return document


def _flags(status: Status, http_status: int | None) -> Mapping[str, bool]:
    """X-Ray's error (4xx), throttle (429) and fault (5xx, or any other failure) flags."""
    if status.code != Status.STATUS_CODE_ERROR:
        return {}
    if http_status == 429:
        return {"error": True, "throttle": True}
    if http_status and 400 <= http_status < 500:
        return {"error": True}
    return {"fault": True}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: _value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind else None
