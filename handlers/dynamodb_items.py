"""DynamoDB items in the low-level client's wire format, written and read exactly.

The handlers use botocore's low-level clients (see aws_clients.py), which speak DynamoDB's
typed JSON (`{"S": ...}`, `{"N": ...}`). Numbers are read as `int` when integral and as
`Decimal` otherwise, never through a binary float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any

from domain.orders import DYNAMODB_MAX_SIGNIFICANT_DIGITS


def to_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A validated record (`domain.orders`), or any item made of JSON values, in DynamoDB's
    wire format."""
    return {name: to_attribute_value(value) for name, value in item.items()}


def to_attribute_value(value: Any) -> dict[str, Any]:
    """One value (a JSON value, numbers as int or Decimal) in DynamoDB's wire format."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is int:
        text = str(value)
        fits = len(text) <= DYNAMODB_MAX_SIGNIFICANT_DIGITS  # most do: no Decimal needed
        return {"N": text if fits else _number(Decimal(value))}
    if kind is Decimal:
        return {"N": _number(value)}
    if kind is bool:
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if kind is list:
        return {"L": [to_attribute_value(element) for element in value]}
    if kind is dict:
        return {"M": {name: to_attribute_value(element) for name, element in value.items()}}
    raise TypeError(f"{kind.__name__} is not a value JSON parses to")


def _number(value: Decimal) -> str:
    """The number as sent, unless only its zeros take it past DynamoDB's 38 digits.

    Validation counts significant digits, as DynamoDB does, so 1.000... (50 zeros) is
    valid; it goes as 1. Exact: the context holds every digit, so nothing is rounded.
    """
    if value.is_zero():
        return "0"  # whatever its sign or exponent, as DynamoDB keeps it
    digits = len(value.as_tuple().digits)
    if digits <= DYNAMODB_MAX_SIGNIFICANT_DIGITS:
        return str(value)
    return str(value.normalize(Context(prec=digits)))


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as the client returned it, as plain values."""
    return {name: _plain(value) for name, value in item.items()}


def _plain(value: Mapping[str, Any]) -> Any:
    ((kind, content),) = value.items()
    if kind == "S":
        return content
    if kind == "N":
        return int(content) if content.lstrip("-").isdigit() else Decimal(content)
    if kind == "BOOL":
        return content
    if kind == "NULL":
        return None
    if kind == "L":
        return [_plain(element) for element in content]
    if kind == "M":
        return {name: _plain(element) for name, element in content.items()}
    raise TypeError(f"{kind} is not a type this service writes")
