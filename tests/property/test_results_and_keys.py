"""Properties of expiry, the auction platform, order decisions, object keys and the
order lifecycle's write plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.auction import (
    OrderResult,
    OrderStatus,
    SimulatedAuctionPlatform,
    check_results,
)
from domain.errors import DecidedOrderChangedError, OrderRejectedError
from domain.expiry import expires_at
from domain.lifecycle import StoredOrder, plan_writes, record_digest
from domain.orders import parse_order_batch
from domain.results import RunRef, StoreRequest, accepted_document, decide, result_key
from tests.property.strategies import (
    open_orders,
    order_batches,
    record_ids,
    storable_numbers,
    to_json,
)

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


@given(st.integers(), st.floats(min_value=0, max_value=1), open_orders)
def test_the_simulated_platform_always_meets_the_contract(seed, probability, orders):
    platform = SimulatedAuctionPlatform(seed=seed, ready_probability=probability)
    for _ in range(5):
        results = platform.results("run", orders)
        check_results(orders, results)  # every submitted order decided exactly once
        payload = results.to_payload()
        if payload["results"] is False:
            assert payload == {"results": False}
            continue
        assert [o["record_id"] for o in payload["orders"]] == [o.record_id for o in orders]
        for order in payload["orders"]:
            assert order["status"] in {"accepted", "rejected"}
            assert isinstance(order["power"], int | float)


@given(st.integers(), open_orders)
def test_a_seed_replays_every_decision_whatever_the_other_orders(seed, orders):
    alone = {order.record_id: SimulatedAuctionPlatform(seed=seed).decide(order) for order in orders}
    together = SimulatedAuctionPlatform(seed=seed, ready_probability=1).results("r", orders)

    assert {result.record_id: result for result in together.orders} == alone


@given(st.lists(st.tuples(record_ids, instants), max_size=30))
def test_keys_are_equal_only_for_the_same_record_id_and_day(decisions):
    keys = {result_key(record_id, day=day) for record_id, day in decisions}

    assert len(keys) == len({(record_id, day.date()) for record_id, day in decisions})
    assert all(key.startswith("orders/") and key.count("/") == 4 for key in keys)


@given(record_ids, run_ids, instants, st.integers(1, 1000))
def test_an_accepted_document_names_its_order_and_run(record_id, run_id, started, power):
    stored = accepted_document(
        OrderResult(OrderStatus.ACCEPTED, power, record_id), RunRef(run_id, started)
    )

    assert stored.document["record_id"] == record_id
    assert stored.document["run_id"] == run_id
    assert stored.key == result_key(record_id, day=started)


@given(st.lists(st.uuids().map(lambda u: u.hex), unique=True, max_size=50), instants)
def test_bare_orders_never_collide_even_in_the_same_millisecond(unique_ids, now):
    request = StoreRequest(OrderResult(OrderStatus.ACCEPTED, 1))
    keys = [decide(request, now=now, unique_id=unique_id).key for unique_id in unique_ids]

    assert len(set(keys)) == len(keys)
    assert all(key.startswith(f"orders/{now:%Y/%m/%d}/") for key in keys)


@given(st.sampled_from(OrderStatus), st.integers(0, 1000), instants)
def test_one_order_handed_over_alone_is_stored_or_raises_as_the_seed_said(status, power, now):
    request = StoreRequest(OrderResult(status, power), RunRef("run", now))
    if status is OrderStatus.ACCEPTED:
        decision = decide(request, now=now + timedelta(hours=1), unique_id="u")
        assert decision.document == {"status": "accepted", "power": power}
        assert decision.key.startswith("orders/")
    else:
        with pytest.raises(OrderRejectedError) as raised:
            decide(request, now=now, unique_id="u")
        assert raised.value.order == request.order


# -- resending a batch ---------------------------------------------------------------------

NOW = 1_800_000_000.0
TTL = expires_at(NOW)
held_states = st.sampled_from(["absent", "expired", "open-same", "open-changed", "decided-same"])


@given(order_batches(), st.data())
def test_a_resent_batch_writes_only_what_is_new_or_changed_and_keeps_outcomes(records, data):
    batch = parse_order_batch(to_json(records))
    states = {r["record_id"]: data.draw(held_states) for r in batch.records}
    held = {
        record["record_id"]: StoredOrder(
            digest=record_digest(record) if states[record["record_id"]] != "open-changed"
            else "something else",
            ttl=TTL - 1 if states[record["record_id"]] != "expired" else int(NOW) - 1,
            decided=states[record["record_id"]] == "decided-same",
        )
        for record in batch.records
        if states[record["record_id"]] != "absent"
    }  # fmt: skip

    plan = plan_writes(batch, held, now=NOW, ttl=TTL)

    written = {item["record_id"] for item in plan.new + plan.amended}
    assert written == {i for i, s in states.items() if s in ("absent", "expired", "open-changed")}
    assert set(plan.amended_ids) == {i for i, s in states.items() if s == "open-changed"}
    assert set(plan.unchanged) == {i for i, s in states.items() if s == "open-same"}
    assert set(plan.already_decided) == {i for i, s in states.items() if s == "decided-same"}


@given(storable_numbers, st.integers(min_value=1, max_value=37))
def test_numbers_that_differ_in_any_digit_have_different_digests(number, place):
    digits = list(number.as_tuple().digits)
    if len(digits) <= place:
        digits += [0] * (place + 1 - len(digits))
    changed = list(digits)
    changed[place] = (changed[place] + 1) % 10
    sign, _, exponent = number.as_tuple()

    first = Decimal((sign, tuple(digits), exponent))
    second = Decimal((sign, tuple(changed), exponent))

    assert first != second
    assert record_digest({"x": first}) != record_digest({"x": second})


@given(order_batches(), st.data())
def test_changing_a_decided_order_is_refused_and_nothing_planned(records, data):
    batch = parse_order_batch(to_json(records))
    changed = data.draw(st.sampled_from(batch.record_ids))
    held = {changed: StoredOrder(digest="another", ttl=TTL, decided=True)}

    with pytest.raises(DecidedOrderChangedError) as raised:
        plan_writes(batch, held, now=NOW, ttl=TTL)

    assert raised.value.record_ids == (changed,)
