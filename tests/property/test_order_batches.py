"""Properties of parsing and validating order batches."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import BatchTooLargeError, InvalidBatchError
from domain.lifecycle import OPEN_SHARDS, order_item
from domain.orders import RESERVED_ATTRIBUTES, OrderBatch, parse_order_batch
from tests.property.strategies import order_batches, to_json

json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
).map(json.dumps)


@settings(max_examples=100)
@given(st.text() | st.binary() | json_documents | order_batches().map(to_json))
def test_any_body_gives_a_batch_or_the_domains_own_error(body):
    try:
        batch = parse_order_batch(body)
    except (InvalidBatchError, BatchTooLargeError):
        return  # the domain's own error, which the API answers with a 4xx
    assert isinstance(batch, OrderBatch)
    assert batch.records


@given(order_batches())
def test_a_valid_batch_round_trips_exactly(records):
    batch = parse_order_batch(to_json(records))

    assert list(batch.records) == records  # Decimal equality: every digit kept


@given(order_batches())
def test_bytes_and_text_bodies_parse_alike(records):
    text = to_json(records)

    assert parse_order_batch(text.encode("utf-8")) == parse_order_batch(text)


@given(order_batches(), st.integers(min_value=0, max_value=2**31))
def test_items_carry_every_attribute_and_the_service_s_own(records, ttl):
    batch = parse_order_batch(to_json(records))
    items = [order_item(record, ttl=ttl, posted_at=ttl * 1000) for record in batch.records]

    assert [{k: v for k, v in i.items() if k not in RESERVED_ATTRIBUTES} for i in items] == records
    assert {item["ttl"] for item in items} == {ttl}
    assert all(0 <= item["open_shard"] < OPEN_SHARDS for item in items)


@given(order_batches().filter(lambda records: len(records) > 1), st.data())
def test_a_repeated_record_id_is_named_with_the_record_it_repeats(records, data):
    index = data.draw(st.integers(min_value=1, max_value=len(records) - 1))
    records[index]["record_id"] = records[0]["record_id"]
    with pytest.raises(InvalidBatchError) as raised:
        parse_order_batch(to_json(records))

    assert any(
        p.record == index and p.field == "record_id" and "record 0" in p.reason
        for p in raised.value.problems
    )
