"""Tracing with OpenTelemetry: spans sent to Lambda's X-Ray daemon as OTLP over UDP.

What AWS's migration guide gives for a Lambda function set up by hand: a simple span
processor with an X-Ray UDP span exporter, and the X-Ray Lambda propagator
(https://docs.aws.amazon.com/xray/latest/devguide/xray-sdk-migration.html#lambda-instrumentation-migration).
- Trace and span ids are X-Ray's (`AwsXRayIdGenerator`: the trace id starts with the time).
- Each invocation's `_X_AMZN_TRACE_ID` is extracted by the Lambda propagator and made the
  current context: spans are children of the function's segment, in its trace. Its
  `Sampled=0` is kept: a parent-based sampler records nothing below an unsampled parent,
  and nothing at all without one, as the X-Ray SDK sends nothing outside a trace.
- botocore's instrumentation makes each AWS call a span (and passes the trace header on).
- Spans leave one by one as they end (a simple processor): one small datagram each, far
  below UDP's 64 KB, and nothing left in a buffer when Lambda freezes the container.
- Span attributes become X-Ray metadata unless their keys are listed in the span's
  `aws.xray.annotations` attribute; listed, they are annotations, which filter
  expressions search (same page, "Working with span attributes").
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.propagators.aws import AwsXRayLambdaPropagator
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

from handlers.vendored.otlp_udp_exporter import OTLPUdpSpanExporter

T = TypeVar("T")
ANNOTATION_KEYS = "aws.xray.annotations"

# The tracer of the invocation under way; outside invocations, one that records nothing.
_invocation_tracer: contextvars.ContextVar[trace.Tracer | None] = contextvars.ContextVar(
    "invocation_tracer", default=None
)
_NO_TRACER = trace.NoOpTracer()


class OpenTelemetryTracing:
    """A tracer provider of the function's own; botocore's spans go to it in invocations."""

    def __init__(self, address: str) -> None:
        provider = TracerProvider(
            sampler=ParentBased(root=ALWAYS_OFF),
            id_generator=AwsXRayIdGenerator(),
            resource=Resource(
                {
                    "service.name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "auction"),
                    "cloud.provider": "aws",
                    "cloud.platform": "aws_lambda",
                }
            ),
        )
        provider.add_span_processor(SimpleSpanProcessor(OTLPUdpSpanExporter(endpoint=address)))
        self._tracer = provider.get_tracer("auction")
        self._propagator = AwsXRayLambdaPropagator()
        _instrument_botocore()

    @contextlib.contextmanager
    def invocation(self) -> Iterator[None]:
        """The invocation's trace, from `_X_AMZN_TRACE_ID`, as the current context."""
        parent = self._propagator.extract({}, context=otel_context.Context())
        tracer = _invocation_tracer.set(self._tracer)
        token = otel_context.attach(parent)
        try:
            yield
        finally:
            otel_context.detach(token)
            _invocation_tracer.reset(tracer)

    @contextlib.contextmanager
    def span(self, name: str, annotations: Mapping[str, str | int | bool]) -> Iterator[None]:
        attributes = {**annotations, ANNOTATION_KEYS: list(annotations)} if annotations else {}
        with self._tracer.start_as_current_span(name, attributes=attributes):
            yield

    def thread_entry(self) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Nothing to add: the port runs each call in a copy of this thread's context."""
        return lambda function: function


def _instrument_botocore() -> None:
    """Make every AWS call a span of the invocation under way, once per process.

    Its tracer stands for whichever invocation runs: a Lambda container has one function,
    but the local emulation runs several in one process, each with its own provider, and
    instrumenting again would unwrap whatever wrapped botocore last (the X-Ray SDK's patch).
    """
    instrumentor = BotocoreInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # The dependency check reads every installed package's metadata: the layer pins them.
        instrumentor.instrument(tracer_provider=_InvocationTracerProvider(), skip_dep_check=True)


class _InvocationTracer(trace.Tracer):
    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return (_invocation_tracer.get() or _NO_TRACER).start_span(*args, **kwargs)

    @contextlib.contextmanager
    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[trace.Span]:
        tracer = _invocation_tracer.get() or _NO_TRACER
        with tracer.start_as_current_span(*args, **kwargs) as span:
            yield span


class _InvocationTracerProvider(trace.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _InvocationTracer()
