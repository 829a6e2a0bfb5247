"""Where moto's Step Functions executor differs from AWS in a way the flow can see, mended.

- `$$.Execution.StartTime` is an ISO 8601 string in AWS (and in moto's own type hints),
  but moto 5.2 hands the workflow a `datetime`, which then cannot be serialized.
- A Distributed Map fails in AWS when more of its child executions fail than it
  tolerates (`ToleratedFailureCount`, `ToleratedFailurePercentage`; neither set: none),
  with `States.ExceedToleratedFailureThreshold`
  (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html).
  moto 5.2.5 counts the failed children and lets the map, and the run, succeed.

(When StartExecution names no execution, AWS generates a UUID name and moto 5.2 does not:
`LocalAuctionSystem.start_run` names every run, as AWS would.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (  # noqa: E501
    DistributedIterationComponent,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

_original_environment = ExecutionWorker._get_evaluation_environment
_original_map_run = DistributedIterationComponent._map_run


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


def exceeds_tolerance(failed: int, total: int, count: int, percentage: float) -> bool:
    """Whether `failed` of `total` children exceed what the map tolerates, as AWS decides.

    A threshold left at 0 does not apply on its own when the other is set; neither set,
    one failure is too many; both set, exceeding either fails the map.
    """
    over_count = failed > count
    over_percentage = failed * 100 > percentage * total
    if count and percentage:
        return over_count or over_percentage
    return over_count and over_percentage


def _map_run_failing_beyond_tolerance(
    component: DistributedIterationComponent, env: Any, eval_input: Any
) -> None:
    _original_map_run(component, env, eval_input)
    items = eval_input.map_run_record.item_counter
    failed = items.failed.get() + items.timed_out.get() + items.aborted.get()
    count = eval_input.tolerated_failure_count
    percentage = eval_input.tolerated_failure_percentage
    if not exceeds_tolerance(failed, items.total.get(), count, percentage):
        return
    error = StatesErrorNameType.StatesExceedToleratedFailureThreshold
    cause = (
        f"The specified tolerated failure threshold was exceeded: {failed} of "
        f"{items.total.get()} child executions failed"
    )
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.ExecutionFailed,
            event_details=EventDetails(
                executionFailedEventDetails=ExecutionFailedEventDetails(
                    error=error.to_name(), cause=cause
                )
            ),
        )
    )


@contextlib.contextmanager
def aws_faithful_executor() -> Iterator[None]:
    with (
        mock.patch.object(
            ExecutionWorker, "_get_evaluation_environment", _environment_with_iso_start_time
        ),
        mock.patch.object(
            DistributedIterationComponent, "_map_run", _map_run_failing_beyond_tolerance
        ),
    ):
        yield
