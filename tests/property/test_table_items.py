"""Properties of the items sent to the orders table: every valid record, exactly."""

from __future__ import annotations

from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer
from hypothesis import given
from hypothesis import strategies as st

from domain.lifecycle import order_item
from domain.orders import parse_order_batch
from handlers.dynamodb_items import from_item, to_item
from tests.property.strategies import order_batches, storable_numbers, to_json

_DESERIALIZER = TypeDeserializer()  # boto3's reader, which refuses what DynamoDB would


def read_back(item: dict) -> dict:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


@given(order_batches(), st.integers(min_value=0, max_value=2**31))
def test_every_valid_record_reads_back_as_it_was_sent(records, ttl):
    for record in parse_order_batch(to_json(records)).records:
        item = order_item(record, ttl=ttl, posted_at=ttl)
        assert read_back(to_item(item)) == item
        assert from_item(to_item(item)) == item  # and through the handlers' own reader


def with_trailing_zeros(number: Decimal, zeros: int) -> Decimal:
    """The same number written with more digits, none of them significant."""
    if number.is_zero():
        return number
    sign, digits, exponent = number.as_tuple()
    return Decimal((sign, digits + (0,) * zeros, exponent - zeros))


zero_padded_numbers = st.builds(
    with_trailing_zeros, storable_numbers, st.integers(min_value=1, max_value=60)
)


@given(zero_padded_numbers)
def test_a_number_padded_with_zeros_is_stored_as_the_same_number(number):
    (record,) = parse_order_batch(to_json([{"record_id": "r", "power": number}])).records

    assert read_back(to_item(record))["power"] == number
