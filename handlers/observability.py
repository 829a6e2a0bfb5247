"""Logging and X-Ray tracing for the handlers, set up once per container.

Tracing is on only where an X-Ray daemon address is given (Lambda with active tracing, or
the local emulation's listener); elsewhere it is silent, never an error, and the X-Ray SDK
is not even imported.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

LOGGER = logging.getLogger("auction")
LOGGER.setLevel(logging.INFO)

_recorder: Any = None


def install_tracing() -> None:
    """Trace AWS SDK calls when X-Ray is available; call when a handler module is imported.

    The environment decides, read at each call, so every container (or emulated one)
    settles it for itself at its cold start.
    """
    global _recorder  # one recorder per container
    address = os.environ.get("AWS_XRAY_DAEMON_ADDRESS")
    if not address:
        if "aws_xray_sdk" in sys.modules:
            sys.modules["aws_xray_sdk"].global_sdk_config.set_sdk_enabled(False)
        _recorder = None
        return
    import aws_xray_sdk  # imported only where traces are sent
    from aws_xray_sdk.core import patch, xray_recorder

    aws_xray_sdk.global_sdk_config.set_sdk_enabled(True)
    xray_recorder.configure(context_missing="IGNORE_ERROR", daemon_address=address)
    patch(["botocore"])  # AWS SDK calls only: patch_all would slow every cold start
    _recorder = xray_recorder


@contextlib.contextmanager
def traced(name: str, **annotations: str | int | bool) -> Iterator[None]:
    """An X-Ray subsegment around domain work, annotated so traces can be searched."""
    if _recorder is None:
        yield
        return
    with _recorder.in_subsegment(name) as subsegment:
        if subsegment is not None:
            for key, value in annotations.items():
                subsegment.put_annotation(key, value)
        yield


def propagator() -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Wrap a function run in worker threads so its AWS calls join this thread's trace.

    The X-Ray SDK keeps the current segment per thread; a worker starts with none.
    """
    if _recorder is None:
        return lambda function: function
    entity = _recorder.get_trace_entity()

    def wrap(function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def in_trace(*args: Any) -> T:
            _recorder.set_trace_entity(entity)
            try:
                return function(*args)
            finally:
                _recorder.clear_trace_entities()

        return in_trace

    return wrap


def log_request(context: Any, message: str, **fields: Any) -> None:
    """One structured line per request; Lambda's JSON log format keeps the fields."""
    request_id = getattr(context, "aws_request_id", None)
    LOGGER.info(message, extra={"request_id": request_id, **fields})
