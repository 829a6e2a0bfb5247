"""Logging, tracing and metrics for the handlers: the one port they call.

A handler module calls `install_tracing()` when it is imported (the container's cold
start), decorates its `handler` with `@invocation`, wraps domain work in
`traced(name, **annotations)`, hands work to threads through `propagator()`, and logs with
`log_request`. Behind these calls, an adapter does the tracing, chosen per function by
`TRACING_ADAPTER` (stages/settings.py sets it, and the function's layer holds that
adapter's packages only):
- `xray-sdk`: the X-Ray SDK (handlers/tracing_xray.py), the default;
- `opentelemetry`: OpenTelemetry, sending OTLP over UDP to the same daemon
  (handlers/tracing_otel.py).

Tracing is on only where an X-Ray daemon address is given (Lambda with active tracing, or
the local emulation's listener); elsewhere it is silent, never an error, and neither
library is even imported.

Metrics: `put_metrics({Metric...: value(s)}, RunId=...)` writes the auction's numbers as
embedded metric format documents (domain/metrics.py) in the namespace `METRICS_NAMESPACE`
names (the stage's, set by the function's construct), one line each, through a sink:
stdout by default, as CloudWatch Logs reads it from Lambda. Not through `logging`: with
Lambda's JSON log format, a record that goes through it is wrapped in Lambda's own JSON
and is no longer an EMF document, while a line printed that is JSON already is kept as it
is ("Lambda doesn't double-encode any logs that are already JSON encoded",
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html;
and "write embedded metric format logs to STDOUT",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html).
The local emulation replaces the sink to capture them
(`write_metrics_to`). No namespace, no metrics: a handler run outside a stage writes none.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import functools
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from domain.metrics import emf_documents
from handlers import clock

T = TypeVar("T")
Annotation = str | int | bool
ADAPTER_VARIABLE = "TRACING_ADAPTER"
NAMESPACE_VARIABLE = "METRICS_NAMESPACE"
MetricsSink = Callable[[str], None]

LOGGER = logging.getLogger("auction")
LOGGER.setLevel(logging.INFO)


class TracingAdapter(enum.StrEnum):
    """What traces a function: the value of its `TRACING_ADAPTER` variable."""

    XRAY_SDK = "xray-sdk"
    OPENTELEMETRY = "opentelemetry"


class Tracing(Protocol):
    """What an adapter does for the port."""

    def invocation(self) -> AbstractContextManager[None]:
        """Around one invocation: its trace (Lambda's `_X_AMZN_TRACE_ID`) is the current one."""

    def span(
        self, name: str, annotations: Mapping[str, Annotation]
    ) -> AbstractContextManager[None]:
        """A child of the current span, its annotations searchable in X-Ray."""

    def thread_entry(self) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Wrap a function so that, run in another thread, it joins the current trace."""


class _NoTracing:
    def invocation(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def span(
        self, name: str, annotations: Mapping[str, Annotation]
    ) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def thread_entry(self) -> Callable[[Callable[..., T]], Callable[..., T]]:
        return lambda function: function


NO_TRACING: Tracing = _NoTracing()
_installed: Tracing = NO_TRACING  # what the last cold start set up
# The adapter of the invocation under way: several emulated functions (each its own
# adapter) share one process locally, while a Lambda container runs one function.
_current: contextvars.ContextVar[Tracing] = contextvars.ContextVar("tracing", default=NO_TRACING)


def install_tracing() -> None:
    """Set up the function's tracing; call when a handler module is imported.

    The environment decides, read at each call, so every container (or emulated one)
    settles it for itself at its cold start. An unknown adapter is an error there.
    """
    global _installed  # one adapter per container
    address = os.environ.get("AWS_XRAY_DAEMON_ADDRESS")
    adapter = TracingAdapter(os.environ.get(ADAPTER_VARIABLE, TracingAdapter.XRAY_SDK))
    if not address:
        _installed = NO_TRACING
    elif adapter is TracingAdapter.OPENTELEMETRY:
        from handlers.tracing_otel import OpenTelemetryTracing  # only where it is used

        _installed = OpenTelemetryTracing(address)
    else:
        from handlers.tracing_xray import XRaySdkTracing

        _installed = XRaySdkTracing(address)


def invocation(handler: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
    """Decorate a module's `handler`, after its `install_tracing()`: each invocation runs in
    its own trace, with the tracing that cold start set up.

    OpenTelemetry needs it: unlike the X-Ray SDK, which reads `_X_AMZN_TRACE_ID` at every
    AWS call, it keeps the current trace in a context that each invocation must enter, or
    its AWS calls would start traces of their own.
    """
    tracing = _installed

    @functools.wraps(handler)
    def in_trace(event: Any, context: Any) -> T:
        token = _current.set(tracing)
        try:
            with tracing.invocation():
                return handler(event, context)
        finally:
            _current.reset(token)

    return in_trace


def traced(name: str, **annotations: Annotation) -> AbstractContextManager[None]:
    """A span (an X-Ray subsegment) around domain work, annotated so traces can be searched."""
    return _current.get().span(name, annotations)


def propagator() -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Wrap a function run in worker threads so its AWS calls join this thread's trace.

    A worker starts with neither the X-Ray SDK's segment (kept per thread) nor this
    thread's context variables (where OpenTelemetry keeps the current span).
    """
    tracing = _current.get()
    if tracing is NO_TRACING:
        return lambda function: function
    entry = tracing.thread_entry()
    context = contextvars.copy_context()

    def wrap(function: Callable[..., T]) -> Callable[..., T]:
        joined = entry(function)

        @functools.wraps(function)
        def in_trace(*args: Any) -> T:
            return context.copy().run(joined, *args)  # a copy each: calls run at once

        return in_trace

    return wrap


def log_request(context: Any, message: str, **fields: Any) -> None:
    """One structured line per request; Lambda's JSON log format keeps the fields."""
    request_id = getattr(context, "aws_request_id", None)
    LOGGER.info(message, extra={"request_id": request_id, **fields})


def _stdout(line: str) -> None:
    print(line, flush=True)


_metrics_sink: MetricsSink = _stdout


def write_metrics_to(sink: MetricsSink) -> MetricsSink:
    """Send every EMF line to `sink` from now on (the emulation's capture); the sink it
    replaces, to put back."""
    global _metrics_sink  # one sink per process: a container's stdout
    previous, _metrics_sink = _metrics_sink, sink
    return previous


def put_metrics(
    values: Mapping[str, float | Sequence[float]],
    *,
    at: float | None = None,
    **properties: str,
) -> None:
    """Write `values` (a number, or a distribution's values) as EMF documents of the moment
    `at` (epoch seconds; now by default), with `properties` as plain, searchable fields (no
    dimensions: see domain/metrics.py)."""
    namespace = os.environ.get(NAMESPACE_VARIABLE)
    if not namespace:
        return
    moment = clock.now() if at is None else at
    documents = emf_documents(
        namespace, values, timestamp_ms=int(moment * 1000), properties=properties
    )
    for document in documents:
        _metrics_sink(json.dumps(document, separators=(",", ":")))
