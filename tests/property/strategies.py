"""Hypothesis strategies for order batches, and an exact JSON writer for them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from domain.auction import OpenOrder
from domain.orders import DEFAULT_LIMITS, RESERVED_ATTRIBUTES, event_body_bytes

# Numbers DynamoDB holds: up to 38 significant digits, magnitude 1E-130 .. <1E+126.
storable_numbers = st.builds(
    lambda digits, exponent, negative: Decimal(f"{'-' if negative else ''}{digits}E{exponent}"),
    st.integers(min_value=0, max_value=10**38 - 1),
    st.integers(min_value=-130, max_value=88),
    st.booleans(),
)

attribute_names = st.text(min_size=1, max_size=12).filter(
    lambda name: name not in RESERVED_ATTRIBUTES | {"record_id"}
)
utf8_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)

attribute_values = st.recursive(
    st.none() | st.booleans() | utf8_text | storable_numbers,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(attribute_names, children, max_size=4)
    ),
    max_leaves=12,
)

# What the API takes as a record_id (docs/api.md): 1 to 256 bytes of UTF-8, printable, so
# any script and the ASCII space, but no control or other separator characters.
_printable = st.characters(
    exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn")
) | st.just(" ")


def _at_most_bytes(text: str, limit: int = DEFAULT_LIMITS.max_record_id_bytes) -> str:
    """`text` cut to `limit` bytes of UTF-8, never inside a character."""
    return text.encode()[:limit].decode("utf-8", "ignore")


record_ids = (
    st.text(_printable, min_size=1, max_size=40)
    # at the limit: drawn text repeated to 256 bytes (drawing 256 characters is slow)
    | st.text(_printable, min_size=16, max_size=64).map(lambda text: _at_most_bytes(text * 16))
).filter(bool)

# When an order was posted (epoch milliseconds): any moment from 2020 to 2100.
posted_at = st.integers(min_value=1_577_836_800_000, max_value=4_102_444_800_000)

open_orders = st.lists(st.tuples(record_ids, posted_at), max_size=30, unique_by=lambda o: o[0]).map(
    lambda orders: [OpenOrder(record_id, at, {"record_id": record_id}) for record_id, at in orders]
)


@st.composite
def order_batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Batches of a few records, each with attributes of every kind."""
    ids = draw(st.lists(record_ids, min_size=1, max_size=8, unique=True))
    return [
        {"record_id": record_id, **draw(st.dictionaries(attribute_names, attribute_values))}
        for record_id in ids
    ]


@st.composite
def full_batches(draw: st.DrawFn, max_records: int = DEFAULT_LIMITS.max_records) -> list[dict]:
    """Batches up to the documented maxima, 10,000 records in a body whose event fits
    Lambda's payload, as the handler measures it: ids of any length up to the limit, made
    unique by a counter, and one drawn record's attributes on every one (drawing 10,000
    records apiece would not be affordable)."""
    stem = draw(st.text(_printable, max_size=240).map(lambda t: _at_most_bytes(t, 240)))
    attributes = draw(st.dictionaries(attribute_names, attribute_values, max_size=4))
    record = to_json({"record_id": f"{stem}00000", **attributes}) + ","
    record_bytes = event_body_bytes(record)
    fitting = min(max_records, (DEFAULT_LIMITS.max_event_body_bytes - 2) // record_bytes)
    size = draw(st.integers(1, fitting) | st.just(fitting))
    return [{"record_id": f"{stem}{n:05d}", **attributes} for n in range(size)]


def to_json(value: Any) -> str:
    """JSON text with every Decimal written exactly (the json module would need floats)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(to_json(element) for element in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)
