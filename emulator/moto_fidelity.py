"""Where moto differs from AWS in a way the flow can see, mended: AWS's rule, in one place.

Step Functions:

- `$$.Execution.StartTime` is an ISO 8601 string in AWS (and in moto's own type hints),
  but moto 5.2 hands the workflow a `datetime`, which then cannot be serialized.
- A Distributed Map fails in AWS when more of its child executions fail than it
  tolerates (`ToleratedFailureCount`, `ToleratedFailurePercentage`; neither set: none),
  with `States.ExceedToleratedFailureThreshold`
  (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html).
  moto 5.2.5 counts the failed children and lets the map, and the run, succeed.

(When StartExecution names no execution, AWS generates a UUID name and moto 5.2 does not:
`LocalAuctionSystem.start_run` names every run, as AWS would.)

DynamoDB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html):

- A partition key value is at most 2,048 bytes, a sort key value at most 1,024. AWS
  refuses a longer one with a `ValidationException` on any operation that names it; moto
  5.2.5 refuses it on PutItem only, and answers GetItem, BatchGetItem, DeleteItem... as if
  no such item were there. Here every operation that names a key checks it first.
- An item is at most 400 KB, 409,600 bytes, counted on its names and values as
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
  says (a list or map takes 3 bytes, and each element 1 more). moto counts otherwise (no
  such overhead, a number as its text) and refuses beyond 405,000 bytes, so it refuses
  items AWS stores and stores items AWS refuses. Here an item is counted as DynamoDB
  counts it, as it would be stored: a put's item before anything is written, an update's
  item after all its actions (a SET and a REMOVE together), and an update that takes an
  item over the limit leaves it as it was.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from unittest import mock

from moto.dynamodb.exceptions import (
    HashKeyTooLong,
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
    RangeKeyTooLong,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
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
    """Step Functions' executor as AWS runs a definition."""
    with (
        mock.patch.object(
            ExecutionWorker, "_get_evaluation_environment", _environment_with_iso_start_time
        ),
        mock.patch.object(
            DistributedIterationComponent, "_map_run", _map_run_failing_beyond_tolerance
        ),
    ):
        yield


# -- DynamoDB's limits --------------------------------------------------------------------

MAX_ITEM_BYTES = 400 * 1024
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


def attribute_value_bytes(value: DynamoType | Mapping[str, Any]) -> int:
    """One value's size as DynamoDB counts it (wire format, or moto's `DynamoType`).

    AWS calls a number's count approximate (1 byte a pair of significant digits, and 1):
    here it is counted at its largest, 1 more for a pair the decimal point may split, as
    domain/orders.py counts it when it validates a batch.
    """
    if isinstance(value, DynamoType):
        kind, content = value.type, value.value
    else:
        ((kind, content),) = value.items()
    if kind in _SCALAR_BYTES:
        return _SCALAR_BYTES[kind](content)
    if kind in ("SS", "NS", "BS"):  # a set: its elements
        return sum(_SCALAR_BYTES[kind[0]](element) for element in content)
    if kind == "L":
        return 3 + sum(1 + attribute_value_bytes(element) for element in content)
    if kind == "M":
        return 3 + sum(
            1 + len(name.encode()) + attribute_value_bytes(element)
            for name, element in content.items()
        )
    raise ValueError(f"not a DynamoDB type: {kind}")


def item_bytes(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB counts it: every attribute's name and value."""
    return sum(len(name.encode()) + attribute_value_bytes(value) for name, value in item.items())


def _text_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _number_bytes(text: str) -> int:
    digits = Decimal(text).as_tuple().digits
    significant = "".join(map(str, digits)).strip("0")
    return (len(significant) + 1) // 2 + 2 if significant else 2


def _binary_bytes(content: bytes | str) -> int:
    return len(content) if isinstance(content, bytes) else len(base64.b64decode(content))


_SCALAR_BYTES: dict[str, Callable[[Any], int]] = {
    "S": _text_bytes,
    "N": _number_bytes,
    "B": _binary_bytes,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}


def _key_bytes(value: Mapping[str, Any]) -> int:
    """A key value's length: a string's UTF-8 bytes, binary's raw bytes (numbers: none)."""
    ((kind, content),) = value.items()
    return _SCALAR_BYTES[kind](content) if kind in ("S", "B") else 0


def _check_key_values(
    schema: list[dict[str, str]], values: Mapping[str, Mapping[str, Any]]
) -> None:
    """Refuse, as DynamoDB does, a key value in `values` longer than the schema allows."""
    for element in schema:
        value = values.get(element["AttributeName"])
        if value is None:
            continue
        if element["KeyType"] == "HASH" and _key_bytes(value) > MAX_PARTITION_KEY_BYTES:
            raise HashKeyTooLong
        if element["KeyType"] == "RANGE" and _key_bytes(value) > MAX_SORT_KEY_BYTES:
            raise RangeKeyTooLong


def _check_key(backend: DynamoDBBackend, table_name: str, key: Mapping[str, Any]) -> None:
    _check_key_values(backend.get_table(table_name).schema, key)


def _check_put(backend: DynamoDBBackend, table_name: str, item: Mapping[str, Any]) -> None:
    """An item to put: its keys, the table's and every index's, and its size."""
    table: Table = backend.get_table(table_name)
    for schema in (table.schema, *(index.schema for index in table.all_indexes())):
        _check_key_values(schema, item)
    if item_bytes(item) > MAX_ITEM_BYTES:
        raise ItemSizeTooLarge


_EQUALITY = re.compile(r"(#?[\w.]+|:\w+)\s*=\s*(#?[\w.]+|:\w+)")


def _check_query(backend: DynamoDBBackend, body: Mapping[str, Any]) -> None:
    """The values a Query's key condition compares the partition or sort key with."""
    schema = backend.get_schema(body["TableName"], body.get("IndexName"))
    names = body.get("ExpressionAttributeNames") or {}
    values = body.get("ExpressionAttributeValues") or {}
    compared: dict[str, Mapping[str, Any]] = {}
    for left, right in _EQUALITY.findall(body.get("KeyConditionExpression") or ""):
        name, value = (right, left) if left.startswith(":") else (left, right)
        if value in values:
            compared[names.get(name, name)] = values[value]
    for name, condition in (body.get("KeyConditions") or {}).items():
        for value in condition.get("AttributeValueList", []):
            compared[name] = value
    _check_key_values(schema, compared)


def _check_batch_get(backend: DynamoDBBackend, body: Mapping[str, Any]) -> None:
    for table_name, request in body["RequestItems"].items():
        for key in request["Keys"]:
            _check_key(backend, table_name, key)


def _check_batch_write(backend: DynamoDBBackend, body: Mapping[str, Any]) -> None:
    for table_name, requests in body["RequestItems"].items():
        for request in requests:
            if "PutRequest" in request:
                _check_put(backend, table_name, request["PutRequest"]["Item"])
            else:
                _check_key(backend, table_name, request["DeleteRequest"]["Key"])


def _check_transaction(backend: DynamoDBBackend, body: Mapping[str, Any]) -> None:
    for entry in body["TransactItems"]:
        ((kind, operation),) = entry.items()
        if kind == "Put":
            _check_put(backend, operation["TableName"], operation["Item"])
        else:
            _check_key(backend, operation["TableName"], operation["Key"])


# Every operation that names a key or an item, and where in its request they are.
_REQUEST_CHECKS: dict[str, Callable[[DynamoDBBackend, Mapping[str, Any]], None]] = {
    "get_item": lambda backend, body: _check_key(backend, body["TableName"], body["Key"]),
    "delete_item": lambda backend, body: _check_key(backend, body["TableName"], body["Key"]),
    "update_item": lambda backend, body: _check_key(backend, body["TableName"], body["Key"]),
    "put_item": lambda backend, body: _check_put(backend, body["TableName"], body["Item"]),
    "query": _check_query,
    "batch_get_item": _check_batch_get,
    "batch_write_item": _check_batch_write,
    "transact_get_items": _check_transaction,
    "transact_write_items": _check_transaction,
}


def _checked_first(
    action: Callable[[DynamoHandler], Any],
    check: Callable[[DynamoDBBackend, Mapping[str, Any]], None],
) -> Callable[[DynamoHandler], Any]:
    """`action`, after `check` on its request: a refusal comes before anything is done."""

    @functools.wraps(action)
    def checked(handler: DynamoHandler) -> Any:
        check(handler.dynamodb_backend, handler.body)
        return action(handler)

    return checked


_original_update_item = DynamoDBBackend.update_item


def _update_within_item_limit(
    backend: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
) -> Any:
    """moto's update, undone and refused when the item it leaves is over DynamoDB's limit."""
    table = backend.get_table(table_name)
    hash_value, range_value = backend.get_keys_value(table, key)
    stored = table.get_item(hash_value, range_value)
    before = {name: copy.deepcopy(v) for name, v in stored.attrs.items()} if stored else None
    item = _original_update_item(backend, table_name, key, *args, **kwargs)
    if item_bytes(item.attrs) <= MAX_ITEM_BYTES:
        return item
    if before is None:
        table.delete_item(hash_value, range_value)
    else:
        dict.clear(item.attrs)
        dict.update(item.attrs, before)
    raise ItemSizeToUpdateTooLarge


@contextlib.contextmanager
def aws_faithful_dynamodb() -> Iterator[None]:
    """DynamoDB's key and item limits, as AWS applies them."""
    with contextlib.ExitStack() as stack:
        for action, check in _REQUEST_CHECKS.items():
            original = getattr(DynamoHandler, action)
            stack.enter_context(
                mock.patch.object(DynamoHandler, action, _checked_first(original, check))
            )
        # moto's own count, refusing at 405,000 bytes, gives way to the one above.
        stack.enter_context(mock.patch.object(LimitedSizeDict, "__setitem__", dict.__setitem__))
        stack.enter_context(
            mock.patch.object(DynamoDBBackend, "update_item", _update_within_item_limit)
        )
        yield


@contextlib.contextmanager
def aws_faithful() -> Iterator[None]:
    """Every mend here: moto as AWS behaves, where the flow can tell."""
    with aws_faithful_executor(), aws_faithful_dynamodb():
        yield
