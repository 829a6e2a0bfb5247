# Copyright Amazon.com, Inc. or its affiliates. All Rights Reserved.
# SPDX-License-Identifier: Apache-2.0
#
# Vendored from aws-observability/aws-otel-python-instrumentation, file
# aws-opentelemetry-distro/src/amazon/opentelemetry/distro/otlp_udp_exporter.py at commit
# 8395e7d0ae26ac77491185ee942e9ef2b5f562e3, under the Apache License 2.0: see LICENSE and
# NOTICE beside this file.
#
# Changed by the energy-auction project (2026-12): only the span exporter is kept (the
# metrics exporter, and its imports of the OpenTelemetry metrics SDK, are left out), and
# `typing_extensions.override` is no longer used. What is sent is unchanged: the X-Ray
# daemon's JSON header line, `T1S` (sampled) or `T1U` (unsampled), then base64 of an OTLP
# ExportTraceServiceRequest, one UDP datagram per export.
import base64
import socket
from logging import Logger, getLogger
from typing import Optional, Sequence, Tuple

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

DEFAULT_ENDPOINT = "127.0.0.1:2000"
PROTOCOL_HEADER = '{"format":"json","version":1}\n'

FORMAT_OTEL_SAMPLED_TRACES_BINARY_PREFIX = "T1S"
FORMAT_OTEL_UNSAMPLED_TRACES_BINARY_PREFIX = "T1U"

_logger: Logger = getLogger(__name__)


class UdpExporter:
    def __init__(self, endpoint: Optional[str] = None):
        self._endpoint = endpoint or DEFAULT_ENDPOINT
        self._host, self._port = self._parse_endpoint(self._endpoint)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def send_data(self, data: bytes, signal_format_prefix: str):
        # base64 encoding and then converting to string with utf-8
        base64_encoded_string: str = base64.b64encode(data).decode("utf-8")
        message = f"{PROTOCOL_HEADER}{signal_format_prefix}{base64_encoded_string}"

        try:
            _logger.debug("Sending UDP data: %s", message)
            self._socket.sendto(message.encode("utf-8"), (self._host, int(self._port)))
        except Exception as exc:  # pylint: disable=broad-except
            _logger.error("Error sending UDP data: %s", exc)
            raise

    def shutdown(self):
        self._socket.close()

    # pylint: disable=no-self-use
    def _parse_endpoint(self, endpoint: str) -> Tuple[str, int]:
        try:
            vals = endpoint.split(":")
            host = vals[0]
            port = int(vals[1])
        except Exception as exc:  # pylint: disable=broad-except
            raise ValueError(f"Invalid endpoint: {endpoint}") from exc

        return host, port


class OTLPUdpSpanExporter(SpanExporter):
    def __init__(self, endpoint: Optional[str] = None, sampled: bool = True):
        self._udp_exporter = UdpExporter(endpoint=endpoint)
        self._sampled = sampled

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        serialized_data = encode_spans(spans).SerializeToString()

        try:
            prefix = (
                FORMAT_OTEL_SAMPLED_TRACES_BINARY_PREFIX
                if self._sampled
                else FORMAT_OTEL_UNSAMPLED_TRACES_BINARY_PREFIX
            )
            self._udp_exporter.send_data(data=serialized_data, signal_format_prefix=prefix)
            return SpanExportResult.SUCCESS
        except Exception as exc:  # pylint: disable=broad-except
            _logger.error("Error exporting spans: %s", exc)
            return SpanExportResult.FAILURE

    # pylint: disable=no-self-use
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        # TODO: implement force flush
        return True

    def shutdown(self) -> None:
        self._udp_exporter.shutdown()
