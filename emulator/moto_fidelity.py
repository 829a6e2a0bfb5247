"""Where moto's Step Functions executor differs from AWS in a way the flow can see, mended.

- `$$.Execution.StartTime` is an ISO 8601 string in AWS (and in moto's own type hints),
  but moto 5.2 hands the workflow a `datetime`, which then cannot be serialized.

(When StartExecution names no execution, AWS generates a UUID name and moto 5.2 does not:
`LocalAuctionSystem.start_run` names every run, as AWS would.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

_original_environment = ExecutionWorker._get_evaluation_environment


def _iso_8601(moment: datetime) -> str:
    """The form AWS uses: `2026-11-24T09:00:00.123Z`."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _environment_with_iso_start_time(worker: ExecutionWorker) -> Any:
    env = _original_environment(worker)
    execution = env.states.context_object.context_object_data["Execution"]
    if isinstance(execution["StartTime"], datetime):
        execution["StartTime"] = _iso_8601(execution["StartTime"])
    return env


@contextlib.contextmanager
def aws_faithful_executor() -> Iterator[None]:
    with mock.patch.object(
        ExecutionWorker, "_get_evaluation_environment", _environment_with_iso_start_time
    ):
        yield
