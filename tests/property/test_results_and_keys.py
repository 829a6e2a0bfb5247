"""Properties of expiry, the auction platform, order decisions and object keys."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.auction import OrderResult, OrderStatus, SimulatedAuctionPlatform
from domain.errors import OrderRejectedError
from domain.expiry import expires_at
from domain.results import RunPosition, StoreRequest, decide, result_key

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
run_ids = st.text(min_size=1, max_size=80)


@given(st.integers(min_value=0, max_value=2**40))
def test_expiry_is_exactly_one_day_after_a_whole_second(seconds):
    assert expires_at(seconds) == seconds + 86_400


@given(st.floats(min_value=0, max_value=2**40, allow_nan=False))
def test_expiry_counts_from_the_second_the_order_arrived(moment):
    assert expires_at(moment) - 86_400 <= moment < expires_at(moment) - 86_400 + 1


@given(st.integers(), st.floats(min_value=0, max_value=1))
def test_the_simulated_platform_always_meets_the_contract(seed, probability):
    platform = SimulatedAuctionPlatform(random.Random(seed), ready_probability=probability)
    for _ in range(5):
        payload = platform.results().to_payload()
        if payload["results"] is False:
            assert payload == {"results": False}
        else:
            assert payload["results"] is True
            assert payload["orders"]
            for order in payload["orders"]:
                assert order["status"] in {"accepted", "rejected"}
                assert isinstance(order["power"], int | float)


@given(st.lists(st.tuples(run_ids, instants, st.integers(0, 10_000)), max_size=30))
def test_keys_are_equal_only_for_the_same_run_day_and_position(places):
    keys = {
        result_key(RunPosition(run, started, position), now=started, unique_id="unused")
        for run, started, position in places
    }

    assert len(keys) == len({(run, started.date(), position) for run, started, position in places})


@given(run_ids, instants, st.integers(0, 10_000), instants, instants)
def test_a_key_repeats_for_the_same_run_and_position_whenever_stored(
    run, started, position, first_try, retry
):
    where = RunPosition(run, started, position)

    assert result_key(where, now=first_try, unique_id="a") == result_key(
        where, now=retry, unique_id="b"
    )


@given(st.lists(st.uuids().map(lambda u: u.hex), unique=True, max_size=50), instants)
def test_keys_without_a_run_never_collide_even_in_the_same_millisecond(unique_ids, now):
    keys = [result_key(None, now=now, unique_id=unique_id) for unique_id in unique_ids]

    assert len(set(keys)) == len(keys)
    assert all(key.startswith(f"orders/{now:%Y/%m/%d}/") for key in keys)


@given(st.sampled_from(OrderStatus), st.integers(0, 1000), instants)
def test_accepted_is_stored_and_rejected_raises(status, power, now):
    request = StoreRequest(OrderResult(status, power), RunPosition("run", now, 0))
    if status is OrderStatus.ACCEPTED:
        decision = decide(request, now=now + timedelta(hours=1), unique_id="u")
        assert decision.document == {"status": "accepted", "power": power}
        assert decision.key.startswith("orders/")
    else:
        with pytest.raises(OrderRejectedError) as raised:
            decide(request, now=now, unique_id="u")
        assert raised.value.order == request.order
