"""Parsing and validating a batch of orders, as POSTed by a client.

A batch is a JSON array of records. Every record is a JSON object with a `record_id`
(the orders table's partition key) and any further attributes, kept exactly as sent.
Numbers are never a binary float: integers are Python ints, others `Decimal` from
the first byte, so what is stored is what was sent. Anything DynamoDB could not hold is
refused here, with a reason, so that a bad batch is answered 400 and nothing of it is
written.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from domain.errors import BatchTooLargeError, InvalidBatchError

# Attributes the service keeps on each order's item (see domain/lifecycle.py); a client
# may not send them.
TTL = "ttl"  # expiry, epoch seconds: DynamoDB's TTL deletes the item after it
POSTED_AT = "posted_at"  # when the POST stored it, epoch milliseconds
OPEN_SHARD = "open_shard"  # present while the order is open: the open-orders index's key
DIGEST = "digest"  # what was sent, hashed: tells a resent order from a changed one
OUTCOME = "outcome"  # the auction's decision, once recorded
RESERVED_ATTRIBUTES = frozenset({TTL, POSTED_AT, OPEN_SHARD, DIGEST, OUTCOME})

# DynamoDB's own limits
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html).
DYNAMODB_MAX_DEPTH = 32
DYNAMODB_MAX_ITEM_BYTES = 400 * 1024  # names and values, as item_bytes counts them
DYNAMODB_MAX_PARTITION_KEY_BYTES = 2048
DYNAMODB_MAX_SIGNIFICANT_DIGITS = 38
DYNAMODB_MIN_EXPONENT = -130  # smallest magnitude: 1E-130
DYNAMODB_MAX_EXPONENT = 125  # largest magnitude: 9.99..E+125

# Integers parse as exact Python ints; DynamoDB holds those of at most 38 digits, and
# counts at most 21 bytes for one.
_INT_LIMIT = 10**DYNAMODB_MAX_SIGNIFICANT_DIGITS
_INT_BYTES = 21


# Lambda takes a synchronous invocation's payload up to 6,291,456 bytes
# (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): for the API's
# functions that is API Gateway's proxy event, in which the body is one JSON string. What
# else the event holds is bounded by API Gateway's quotas: header values of at most
# 10,240 bytes and a URL of at most 10,240 characters
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), each in the
# event twice (single- and multi-value forms); escaped at the worst, 6 bytes a byte, with
# the request context, that stays under 256 KiB. So a body that measures at most this much
# as the event carries it (`event_body_bytes`) always reaches the handler.
LAMBDA_MAX_PAYLOAD_BYTES = 6_291_456
MAX_EVENT_BODY_BYTES = LAMBDA_MAX_PAYLOAD_BYTES - 256 * 1024


@attrs.frozen
class BatchLimits:
    """How much one POST may carry.

    The body is measured as API Gateway's event carries it, escaped (`event_body_bytes`):
    API Gateway takes bodies up to 10 MB but cannot know that size, so a larger body
    never reaches the handler, and the caller gets API Gateway's 500 (docs/api.md). The
    records are few enough to be written well within API Gateway's 29 s.
    """

    max_event_body_bytes: int = MAX_EVENT_BODY_BYTES
    max_records: int = 10_000
    max_record_id_bytes: int = 256
    # What one answer lists at most, with a count of all: the problems of a refused batch,
    # the record_ids of a 409 or 503. Lambda fails a response over 6 MB (API Gateway then
    # answers 502 and the caller learns nothing); the worst of these answers, every text in
    # it escaped at its longest, takes under half of that (docs/api.md).
    max_problems: int = 1_000
    max_listed_record_ids: int = 1_000


DEFAULT_LIMITS = BatchLimits()

# A problem's field and reason are at most this many bytes of UTF-8: a field names an
# attribute, and a client's attribute names (and so the paths to them) have no length limit
# but the body's.
MAX_PROBLEM_TEXT_BYTES = 256
ELLIPSIS = "\u2026"


def shortened(text: str, limit: int = MAX_PROBLEM_TEXT_BYTES) -> str:
    """`text`, or, over `limit` bytes of UTF-8, its start and end around an ellipsis, in
    `limit` bytes: the end of a path says where in a long name the problem is.

    >>> shortened("tags[3]"), shortened("n" * 300 + "[999]", limit=20)
    ('tags[3]', 'nnnnnnnnnnnn…[999]')
    """
    if _utf8_length(text) <= limit:
        return text
    room = limit - _utf8_length(ELLIPSIS)
    tail = _fitting(reversed(text), room // 3)
    head = _fitting(text, room - sum(map(_utf8_length, tail)))
    return "".join(head) + ELLIPSIS + "".join(reversed(tail))


def _fitting(characters: Iterable[str], limit: int) -> list[str]:
    """The first of `characters` that fit in `limit` bytes of UTF-8."""
    kept: list[str] = []
    for character in characters:
        limit -= _utf8_length(character)
        if limit < 0:
            break
        kept.append(character)
    return kept


@attrs.frozen
class Problem:
    """One broken rule: which record (None: the whole body), which field, and why; the
    field and reason `shortened`, so that an answer listing problems stays small."""

    record: int | None
    field: str | None = attrs.field(converter=attrs.converters.optional(shortened))
    reason: str = attrs.field(converter=shortened)

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "field": self.field, "reason": self.reason}


@attrs.frozen
class OrderBatch:
    """A valid batch: records in the order they were sent, attributes exactly as sent."""

    records: tuple[dict[str, Any], ...]

    @property
    def record_ids(self) -> tuple[str, ...]:
        return tuple(record["record_id"] for record in self.records)


def event_body_bytes(body: str | bytes) -> int:
    """The most a body can take in API Gateway's proxy event, whatever JSON encoder writes it.

    Text is a JSON string there. `"` and `\\` take 2 bytes; a control character (DEL
    included), each UTF-16 unit of a non-ASCII character, and the characters HTML-safe
    encoders escape (`<`, `>`, `&`, `=`, `'`) at most 6 (`\\u003c`); any other character
    1. Bytes that are not text travel base64-encoded.

    >>> event_body_bytes('["a\\\\b"]'), event_body_bytes("é\\n<"), event_body_bytes(b"\\xff")
    (10, 18, 4)
    """
    if isinstance(body, bytes):
        return len(base64.b64encode(body))
    if body.isascii():  # most bodies: counted on bytes, at C speed
        data = body.encode("ascii")
        six = len(data) - len(data.translate(None, _SIX_BYTES))
        return len(data) + data.count(b'"') + data.count(b"\\") + 5 * six
    # Python's encoder writes these as 2 bytes (`\\n`) or 1 (`<`); others may write 6.
    escaped = len(json.dumps(body)) - 2
    return escaped + sum(extra * body.count(c) for c, extra in _ESCAPED_LONGER.items())


_ESCAPED_LONGER = dict.fromkeys("\b\f\n\r\t", 4) | dict.fromkeys("<>&='", 5)
_SIX_BYTES = bytes(range(0x20)) + b"\x7f<>&='"  # ASCII that may take 6 bytes


def parse_order_batch(body: str | bytes, limits: BatchLimits = DEFAULT_LIMITS) -> OrderBatch:
    """Parse a request body into an `OrderBatch`, or raise naming every problem.

    `body` as the proxy event gives it: text, or bytes decoded from its base64.

    >>> parse_order_batch('[{"record_id": "a", "power": 1.5}]').records
    ({'record_id': 'a', 'power': Decimal('1.5')},)

    Raises `BatchTooLargeError` over the limits, `InvalidBatchError` for anything else.
    """
    size = event_body_bytes(body)
    if size > limits.max_event_body_bytes:
        raise BatchTooLargeError(
            f"the body is {size} bytes as API Gateway's event carries it (JSON-escaped); "
            f"at most {limits.max_event_body_bytes} are accepted"
        )
    data = _decode_json(_utf8_bytes(body))
    if not isinstance(data, list):
        raise _invalid(None, None, f"the body must be a JSON array of records, not {_kind(data)}")
    if not data:
        raise _invalid(None, None, "the body must hold at least one record")
    if len(data) > limits.max_records:
        raise BatchTooLargeError(
            f"the batch holds {len(data)} records; at most {limits.max_records} are accepted"
        )
    problems = _ProblemList(limits.max_problems)
    _check_records(data, limits, problems)
    if problems:
        raise InvalidBatchError(tuple(problems.kept), total=problems.total)
    return OrderBatch(records=tuple(data))


class _ProblemList:
    """Collects problems, keeping the first `limit` so an answer stays small."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, record: int | None, field: str | None, reason: str) -> None:
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(Problem(record, field, reason))

    def __bool__(self) -> bool:
        return self.total > 0


def _invalid(record: int | None, field: str | None, reason: str) -> InvalidBatchError:
    return InvalidBatchError((Problem(record, field, reason),))


def _utf8_bytes(body: str | bytes) -> bytes:
    if isinstance(body, bytes):
        return body
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(None, None, "the body is not valid UTF-8 text") from None


class _BodyRuleError(Exception):
    """A rule broken while the JSON is decoded (not a syntax error)."""


def _reject_constant(name: str) -> Any:
    raise _BodyRuleError(f"{name} is not a number DynamoDB can store")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _BodyRuleError(f"an object repeats the key {duplicate!r}")
    return obj


def _decode_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid(None, None, f"the body is not valid UTF-8 (byte {error.start})") from None
    try:
        return json.loads(
            text,
            parse_float=Decimal,  # exact, never through a binary float
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except _BodyRuleError as error:
        raise _invalid(None, None, str(error)) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _invalid(None, None, f"the body is not valid JSON: {error.msg} ({where})") from None
    except ValueError:  # an integer of thousands of digits, refused by int() itself
        raise _invalid(None, None, "a number has more digits than DynamoDB can store") from None
    except RecursionError:
        raise _invalid(None, None, "the body is nested too deeply") from None


def _check_records(records: list[Any], limits: BatchLimits, problems: _ProblemList) -> None:
    """Every rule for every record, in one loop: per-record calls would double its cost.

    Fast paths for what most records hold (an ordinary record_id, ASCII names and text,
    integers in range); anything else takes the full check below them.
    """
    seen_ids: dict[str, int] = {}
    max_id_bytes = limits.max_record_id_bytes
    room = service_attribute_bytes(max_id_bytes)
    for index, record in enumerate(records):
        if type(record) is not dict:
            problems.add(index, None, f"a record must be a JSON object, not {_kind(record)}")
            continue
        record_id = record.get("record_id")
        if (
            type(record_id) is str
            and record_id.isascii()
            and 0 < len(record_id) <= max_id_bytes
            and record_id.isprintable()
            and record_id not in seen_ids
        ):
            seen_ids[record_id] = index
        else:
            _check_record_id(index, record_id, limits, seen_ids, problems)
        size = room
        for name, value in record.items():
            if name.isascii() and name and name not in RESERVED_ATTRIBUTES:
                size += len(name)
            else:
                if name in RESERVED_ATTRIBUTES:
                    problems.add(index, name, "is set by the service and may not be sent")
                size += _name_bytes(index, name, name, problems)
            kind = type(value)
            if kind is str and value.isascii():
                size += len(value)
            elif kind is int and -_INT_LIMIT < value < _INT_LIMIT:
                size += _INT_BYTES
            else:
                size += _value_bytes(index, name, value, 1, problems)
        if size > DYNAMODB_MAX_ITEM_BYTES:
            problems.add(
                index,
                None,
                f"the record is {size} bytes; DynamoDB stores at most {DYNAMODB_MAX_ITEM_BYTES}",
            )


def record_id_problem(record_id: Any, limits: BatchLimits = DEFAULT_LIMITS) -> str | None:
    """Why no order can have this record_id (None: one can), as POST and GET both decide.

    Within DynamoDB's 2,048-byte partition key, so a key it would refuse never reaches it.

    >>> record_id_problem("unique_id_1") is None, record_id_problem("a" * 257)
    (True, 'must be at most 256 bytes')
    """
    if record_id is None:
        return "is required"
    if not isinstance(record_id, str):
        return f"must be a string, not {_kind(record_id)}"
    if not record_id:
        return "must not be empty"
    if _utf8_length(record_id) > limits.max_record_id_bytes:
        return f"must be at most {limits.max_record_id_bytes} bytes"
    if not record_id.isprintable():
        return "must not hold control characters"
    return None


def _check_record_id(
    index: int,
    record_id: Any,
    limits: BatchLimits,
    seen_ids: dict[str, int],
    problems: _ProblemList,
) -> None:
    problem = record_id_problem(record_id, limits)
    if problem is not None:
        problems.add(index, "record_id", problem)
    elif record_id in seen_ids:
        problems.add(index, "record_id", f"repeats the record_id of record {seen_ids[record_id]}")
    else:
        seen_ids[record_id] = index


def _value_bytes(index: int, path: str, value: Any, depth: int, problems: _ProblemList) -> int:
    """The bytes DynamoDB counts for `value` (an upper bound), noting what it cannot hold."""
    if isinstance(value, str):
        return _text_bytes(index, path, value, problems)
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int):
        if -_INT_LIMIT < value < _INT_LIMIT:
            return _INT_BYTES
        return _number_bytes(index, path, Decimal(value), problems)  # 1E+40 has 1 digit
    if isinstance(value, Decimal):
        return _number_bytes(index, path, value, problems)
    if depth > DYNAMODB_MAX_DEPTH:
        problems.add(index, path, f"is nested deeper than DynamoDB's {DYNAMODB_MAX_DEPTH} levels")
        return 0
    if isinstance(value, list):
        return 3 + sum(
            1 + _value_bytes(index, f"{path}[{position}]", element, depth + 1, problems)
            for position, element in enumerate(value)
        )
    return 3 + sum(
        1
        + _name_bytes(index, f"{path}.{name}", name, problems)
        + _value_bytes(index, f"{path}.{name}", element, depth + 1, problems)
        for name, element in value.items()
    )


def item_bytes(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB counts it, names and values (numbers at their largest).

    >>> item_bytes({"record_id": "a", "power": 7, "tags": ["x"]})
    45
    """
    ignored = _ProblemList(0)
    return sum(
        _name_bytes(0, name, name, ignored) + _value_bytes(0, name, value, 1, ignored)
        for name, value in item.items()
    )


@functools.cache
def service_attribute_bytes(max_record_id_bytes: int = DEFAULT_LIMITS.max_record_id_bytes) -> int:
    """The room kept on each order's item for what the service adds to it, its outcome
    included: measured on the largest the service writes (domain/service_room.py), for
    record_ids of up to `max_record_id_bytes` (the accepted document's key holds one)."""
    # Imported here: that module measures what lifecycle.py and results.py write, and both
    # build on this one.
    from domain.service_room import largest_service_attributes

    return item_bytes(largest_service_attributes(max_record_id_bytes))


def _name_bytes(index: int, path: str, name: str, problems: _ProblemList) -> int:
    if not name:
        problems.add(index, path, "attribute names must not be empty")
    return _text_bytes(index, path, name, problems)


def _text_bytes(index: int, path: str, text: str, problems: _ProblemList) -> int:
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        problems.add(index, path, "holds a lone surrogate, which is not valid UTF-8")
        return len(text)


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _number_bytes(index: int, path: str, number: Decimal, problems: _ProblemList) -> int:
    if number.is_zero():
        return 2
    written = number.as_tuple().digits
    exponent = number.adjusted()
    if len(written) <= DYNAMODB_MAX_SIGNIFICANT_DIGITS and (
        DYNAMODB_MIN_EXPONENT <= exponent <= DYNAMODB_MAX_EXPONENT
    ):
        return (len(written) + 1) // 2 + 2  # an upper bound: zeros not stripped
    digits = "".join(map(str, written)).strip("0")
    if len(digits) > DYNAMODB_MAX_SIGNIFICANT_DIGITS:
        problems.add(
            index, path, f"has more than {DYNAMODB_MAX_SIGNIFICANT_DIGITS} significant digits"
        )
    if exponent > DYNAMODB_MAX_EXPONENT:
        problems.add(index, path, "is larger than DynamoDB can store (1E+126 and beyond)")
    elif exponent < DYNAMODB_MIN_EXPONENT:
        problems.add(index, path, "is smaller than DynamoDB can store (below 1E-130)")
    return (len(digits) + 1) // 2 + 2


def _kind(value: Any) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        int: "a number",
        Decimal: "a number",
        type(None): "null",
    }[type(value)]
