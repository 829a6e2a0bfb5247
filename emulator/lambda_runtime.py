"""Running a handler as Lambda does: its own copy of the module per container, a context."""

from __future__ import annotations

import importlib.util
import time
import uuid
from types import ModuleType

import attrs


def cold_start(module_name: str) -> ModuleType:
    """A fresh copy of a handler module, as a new Lambda container would import it.

    Module-level state (clients, caches) is that container's own, so two emulated
    functions, or two tests, never share it.
    """
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(module_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@attrs.define
class LambdaContext:
    """The parts of Lambda's context object the handlers use."""

    function_name: str = "local"
    timeout_seconds: float = 28.0
    aws_request_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    started: float = attrs.field(factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))
