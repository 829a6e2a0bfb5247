"""Properties at the limits docs/api.md documents: batches up to 10,000 records, record_ids
up to 256 bytes of any script, orders posted at any moment."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidBatchError
from domain.lifecycle import order_item
from domain.orders import DEFAULT_LIMITS, RESERVED_ATTRIBUTES, parse_order_batch
from handlers.dynamodb_items import from_item, to_item
from tests.property.strategies import full_batches, posted_at, record_ids, to_json

LIMIT = DEFAULT_LIMITS.max_record_id_bytes


@settings(max_examples=6)  # each up to 10,000 records
@given(full_batches(), posted_at)
def test_a_batch_up_to_the_maximum_round_trips_and_reads_back_from_its_items(records, at):
    batch = parse_order_batch(to_json(records))

    assert list(batch.records) == records
    items = [order_item(record, ttl=at // 1000 + 86_400, posted_at=at) for record in batch.records]
    assert [from_item(to_item(item)) for item in items] == items
    assert [{k: v for k, v in i.items() if k not in RESERVED_ATTRIBUTES} for i in items] == records


@given(record_ids)
def test_any_record_id_up_to_256_bytes_is_taken_and_one_byte_more_is_not(record_id):
    assert len(record_id.encode()) <= LIMIT
    assert parse_order_batch(to_json([{"record_id": record_id}])).record_ids == (record_id,)

    longer = record_id + "x" * (LIMIT + 1 - len(record_id.encode()))
    with pytest.raises(InvalidBatchError) as refused:
        parse_order_batch(to_json([{"record_id": longer}]))
    assert refused.value.problems[0].reason == f"must be at most {LIMIT} bytes"


@given(st.lists(record_ids, min_size=2, max_size=50, unique=True))
def test_record_ids_at_the_limit_stay_distinct_in_a_batch(ids):
    batch = parse_order_batch(to_json([{"record_id": record_id} for record_id in ids]))

    assert batch.record_ids == tuple(ids)
