"""One rule for a record_id, at POST and at GET: GET answers 404 for any id POST would
refuse, without asking DynamoDB, which refuses a key over 2,048 bytes with an error
(the emulation does too). Any id POST takes, GET finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.property.moto_stage import MotoStage, moto_stage

# Ids of every kind: ordinary, around the 256-byte limit in 1- to 4-byte characters,
# with control characters or lone surrogates, empty, and beyond DynamoDB's 2,048 bytes.
record_ids = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from("a/é€😀"), min_size=60, max_size=260),
    st.text(st.characters(codec="utf-8"), min_size=500, max_size=2100),
    st.text(st.sampled_from("ab\x00\n\x7f"), min_size=1, max_size=5),
)


@pytest.fixture(scope="module")
def stage() -> Iterator[tuple[MotoStage, list[str]]]:
    """The stage, and the GetItem calls get_order made (their record_ids)."""
    with moto_stage() as stage:
        asked: list[str] = []
        client, _ = stage.get_order._orders_table()
        client.meta.events.register(
            "before-parameter-build.dynamodb.GetItem",
            lambda params, **_: asked.append(params["Key"]["record_id"]["S"]),
        )
        yield stage, asked


@settings(max_examples=60)
@given(record_id=record_ids)
@example(record_id="a" * 2049)  # DynamoDB refuses the key: GET raised, a 5xx
@example(record_id="a" * 257)  # DynamoDB would hold it, POST refuses it
@example(record_id="\U0001f600" * 64)  # 256 bytes
@example(record_id="\ud800")
def test_get_answers_404_without_dynamodb_for_exactly_the_ids_post_refuses(stage, record_id):
    moto, asked = stage
    asked.clear()

    posted, answer = moto.post([{"record_id": record_id}])
    status, _ = moto.get(record_id)

    refused = posted == 400 and {p["field"] for p in answer["problems"]} == {"record_id"}
    assert refused or posted == 201, answer
    if refused:
        assert (status, asked) == (404, [])
    else:
        assert (status, asked) == (200, [record_id])
