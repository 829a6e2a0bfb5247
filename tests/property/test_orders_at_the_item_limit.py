"""An order accepted at DynamoDB's item limit can be decided.

POST /orders keeps room on each item for what the service adds later
(`service_attribute_bytes`, measured by domain/service_room.py). Orders posted at the
limit, with the longest record_ids (256 bytes, each percent-encoded to 3 in the accepted
document's key), are decided by Lambda B's own code with the longest run id and power,
on moto refusing any item over 409,600 bytes as DynamoDB counts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import orders
from domain.orders import DEFAULT_LIMITS, DYNAMODB_MAX_ITEM_BYTES, OUTCOME, item_bytes
from domain.service_room import LARGEST_POWER, MAX_RUN_ID_CHARACTERS
from emulator.moto_fidelity import item_bytes as stored_bytes
from tests.property.moto_stage import MotoStage, moto_stage

LONGEST_RUN_ID = "\U00020000" * MAX_RUN_ID_CHARACTERS  # 320 bytes of UTF-8
FILLER = "filler"


@st.composite
def longest_record_ids(draw: st.DrawFn) -> str:
    """256 bytes of characters that are all percent-encoded in a key (1 to 4 bytes each)."""
    chars = draw(st.lists(st.sampled_from("/?#% &=+é€😀"), max_size=80))
    record_id = ""
    for char in chars:
        if len((record_id + char).encode()) <= DEFAULT_LIMITS.max_record_id_bytes:
            record_id += char
    return record_id + "/" * (DEFAULT_LIMITS.max_record_id_bytes - len(record_id.encode()))


attribute_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**37), max_value=10**37)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**6)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1), inner),
    max_leaves=8,
)


@st.composite
def records_at_the_limit(draw: st.DrawFn, room: int) -> dict[str, Any]:
    """A record that, with `room` kept for the service, is exactly DynamoDB's limit."""
    names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(
        lambda name: name not in orders.RESERVED_ATTRIBUTES | {"record_id", FILLER}
    )
    record = {
        "record_id": draw(longest_record_ids()),
        **draw(st.dictionaries(names, attribute_values, max_size=4)),
    }
    record[FILLER] = ""
    record[FILLER] = "x" * (DYNAMODB_MAX_ITEM_BYTES - room - item_bytes(record))
    return record


@pytest.fixture(scope="module")
def stage() -> Iterator[MotoStage]:
    with moto_stage() as stage:
        yield stage


def decision(stage: MotoStage, record_id: str) -> dict[str, Any]:
    """The auction's acceptance of the order as posted, with the largest power there is."""
    posted_at = int(stage.item(record_id)["posted_at"]["N"])
    return {"record_id": record_id, "status": "accepted", "power": LARGEST_POWER,
            "posted_at": posted_at}  # fmt: skip


@settings(max_examples=8)
@given(data=st.data())
def test_an_order_accepted_at_the_limit_is_decided_and_stays_within_it(stage, data):
    record = data.draw(records_at_the_limit(orders.service_attribute_bytes()))
    one_byte_more = {**record, FILLER: record[FILLER] + "x"}
    stage.forget(record["record_id"])  # an id an earlier example decided

    assert stage.post([one_byte_more])[0] == 400
    assert stage.post([record])[0] == 201
    recorded = stage.decide([decision(stage, record["record_id"])], LONGEST_RUN_ID)

    assert (recorded["stored"], recorded["failed"]) == (1, 0), recorded
    item = stage.item(record["record_id"])
    assert OUTCOME in item
    assert stored_bytes(item) <= DYNAMODB_MAX_ITEM_BYTES


def test_with_the_room_once_guessed_an_order_at_the_limit_cannot_be_decided(stage, monkeypatch):
    # 1,024 bytes were kept before they were measured: an order posted at that limit was
    # taken, then its outcome could not be recorded (DynamoDB refuses the UpdateItem).
    monkeypatch.setattr(orders, "service_attribute_bytes", lambda _max_id_bytes: 1024)
    record = {"record_id": "/" * 256, FILLER: ""}
    record[FILLER] = "x" * (DYNAMODB_MAX_ITEM_BYTES - 1024 - item_bytes(record))

    stage.forget(record["record_id"])

    assert stage.post([record])[0] == 201
    recorded = stage.decide([decision(stage, record["record_id"])], LONGEST_RUN_ID)

    assert (recorded["stored"], recorded["failed"]) == (0, 1)
    assert OUTCOME not in stage.item(record["record_id"])
    assert Decimal(LARGEST_POWER).adjusted() == 125  # the largest DynamoDB holds
