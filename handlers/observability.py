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
from collections.abc import Iterator
from typing import Any

LOGGER = logging.getLogger("auction")
LOGGER.setLevel(logging.INFO)


@functools.cache
def _recorder() -> Any:
    if not os.environ.get("AWS_XRAY_DAEMON_ADDRESS"):
        return None
    from aws_xray_sdk.core import patch, xray_recorder

    xray_recorder.configure(context_missing="IGNORE_ERROR")
    patch(["botocore"])  # AWS SDK calls only: patch_all would slow every cold start
    return xray_recorder


def install_tracing() -> None:
    """Trace AWS SDK calls from here on, when X-Ray is available. Call at import time."""
    _recorder()


@contextlib.contextmanager
def traced(name: str, **annotations: str | int | bool) -> Iterator[None]:
    """An X-Ray subsegment around domain work, annotated so traces can be searched."""
    recorder = _recorder()
    if recorder is None:
        yield
        return
    with recorder.in_subsegment(name) as subsegment:
        if subsegment is not None:
            for key, value in annotations.items():
                subsegment.put_annotation(key, value)
        yield


def log_request(context: Any, message: str, **fields: Any) -> None:
    """One structured line per request; Lambda's JSON log format keeps the fields."""
    request_id = getattr(context, "aws_request_id", None)
    LOGGER.info(message, extra={"request_id": request_id, **fields})
