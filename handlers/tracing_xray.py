"""Tracing with the X-Ray SDK: subsegments sent to the X-Ray daemon as JSON over UDP.

The SDK has been in maintenance since 25 Feb 2026 (security fixes only); see the README's
tracing table for when this adapter is to be reviewed.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import aws_xray_sdk
from aws_xray_sdk.core import patch, xray_recorder

T = TypeVar("T")


class XRaySdkTracing:
    """The SDK's recorder, patched into botocore: every AWS call is a subsegment."""

    def __init__(self, address: str) -> None:
        self._config = aws_xray_sdk.global_sdk_config
        self._recorder = xray_recorder
        self._config.set_sdk_enabled(True)  # before patching: a disabled SDK patches nothing
        self._recorder.configure(context_missing="IGNORE_ERROR", daemon_address=address)
        patch(["botocore"])  # AWS SDK calls only: patch_all would slow every cold start
        self._config.set_sdk_enabled(False)  # until an invocation begins

    @contextlib.contextmanager
    def invocation(self) -> Iterator[None]:
        """The SDK records inside this function's invocations only.

        In Lambda nothing calls AWS between invocations. In the local emulation, where
        functions traced by OpenTelemetry run in the same process and botocore stays
        patched, it keeps their AWS calls from being recorded twice.
        """
        self._config.set_sdk_enabled(True)
        try:
            yield
        finally:
            self._config.set_sdk_enabled(False)

    @contextlib.contextmanager
    def span(self, name: str, annotations: Mapping[str, str | int | bool]) -> Iterator[None]:
        with self._recorder.in_subsegment(name) as subsegment:
            if subsegment is not None:
                for key, value in annotations.items():
                    subsegment.put_annotation(key, value)
            yield

    def thread_entry(self) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """The SDK keeps the current segment per thread; a worker starts with none."""
        entity = self._recorder.get_trace_entity()
        recorder = self._recorder

        def wrap(function: Callable[..., T]) -> Callable[..., T]:
            @functools.wraps(function)
            def in_trace(*args: Any) -> T:
                recorder.set_trace_entity(entity)
                try:
                    return function(*args)
                finally:
                    recorder.clear_trace_entities()

            return in_trace

        return wrap
