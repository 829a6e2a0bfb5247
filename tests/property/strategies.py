"""Hypothesis strategies for order batches, and an exact JSON writer for them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from domain.orders import RESERVED_ATTRIBUTES

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

record_ids = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn")),
    min_size=1,
    max_size=40,
)


@st.composite
def order_batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(record_ids, min_size=1, max_size=8, unique=True))
    return [
        {"record_id": record_id, **draw(st.dictionaries(attribute_names, attribute_values))}
        for record_id in ids
    ]


def to_json(value: Any) -> str:
    """JSON text with every Decimal written exactly (the json module would need floats)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(to_json(element) for element in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)
