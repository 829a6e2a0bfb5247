"""JSON text whose numbers are exact: what is written is what was sent."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def exact_json(value: Any) -> str:
    """JSON text with every Decimal written with its own digits (the json module would
    write it as a float, or not at all)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {exact_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(exact_json(element) for element in value) + "]"
    return json.dumps(value)


def exact_loads(text: str | bytes) -> Any:
    """JSON text read back with numbers that are not integers as `Decimal`."""
    return json.loads(text, parse_float=Decimal)
