"""A body's measure (`event_body_bytes`) is at least what it takes in API Gateway's event,
whichever JSON encoder writes that event: so a body within the limit always reaches the
handler, and is answered by it."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from domain.orders import event_body_bytes

# Text as clients send it, and as they should not: control characters, quotes and
# backslashes, the characters HTML-safe encoders escape, and all of Unicode but lone
# surrogates (which no UTF-8 body can carry).
bodies = st.text(
    st.one_of(
        st.sampled_from("\"\\\b\f\n\r\t\x00\x1f\x7f<>&='/"),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=200,
)

_SHORT = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def jackson_like(text: str) -> bytes:
    """Java's usual encoder: short escapes, other controls as \\u00XX, the rest as UTF-8."""
    return "".join(
        _SHORT.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 else c) for c in text
    ).encode()


def html_safe(text: str) -> bytes:
    """Gson's and Go's default: also <, >, &, = and ' as \\u00XX (Go: \\u2028, \\u2029)."""
    escaped = set("<>&='\u2028\u2029")
    return "".join(
        _SHORT.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in escaped else c) for c in text
    ).encode()


def python_ascii(text: str) -> bytes:
    return json.dumps(text)[1:-1].encode()


def python_utf8(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False)[1:-1].encode()


def everything_escaped_but_printable_ascii(text: str) -> bytes:
    """The most an encoder writes that escapes only what it must or may for safety: `"` and
    `\\` as two bytes, every other character outside printable ASCII, and those HTML-safe
    encoders escape, as \\uXXXX (two of them beyond U+FFFF)."""
    out = []
    for c in text:
        if c in '"\\':
            out.append(_SHORT[c])
        elif not (0x20 <= ord(c) < 0x7F) or c in "<>&='":
            units = c.encode("utf-16-be")
            out += [f"\\u{int.from_bytes(units[i : i + 2]):04x}" for i in range(0, len(units), 2)]
        else:
            out.append(c)
    return "".join(out).encode()


ENCODERS = (jackson_like, html_safe, python_ascii, python_utf8,
            everything_escaped_but_printable_ascii)  # fmt: skip


@given(bodies)
def test_no_encoder_writes_a_body_longer_than_its_measure(body):
    assert all(len(encode(body)) <= event_body_bytes(body) for encode in ENCODERS)


@given(bodies)
def test_the_measure_is_what_the_most_cautious_encoder_writes(body):
    # So the limit refuses no more than it must.
    assert event_body_bytes(body) == len(everything_escaped_but_printable_ascii(body))


@given(st.binary(max_size=200))
def test_bytes_are_measured_as_the_base64_the_event_carries(body):
    assert event_body_bytes(body) == len(base64.b64encode(body))
