"""Every answer of POST /orders and GET /orders/{record_id} fits Lambda's 6 MB response.

A larger result fails the invocation: API Gateway answers 502, the function counts an
error, and the caller learns nothing of what went wrong (emulator/local_lambda.py). So an
answer lists at most 1,000 problems or record_ids, with a count of all, and shortens each
problem's field and reason; what GET shows is an order DynamoDB held. Each is measured as
Lambda's Python runtime writes it (`response_bytes`): the body is JSON inside JSON, so a
`"` of a name takes 4 bytes there, and a control character 7 (`\\\\u0001`).

`python -m tests.property.test_answer_sizes` prints the worst answers' sizes (docs/api.md).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.orders import (
    DEFAULT_LIMITS,
    DYNAMODB_MAX_ITEM_BYTES,
    LAMBDA_MAX_PAYLOAD_BYTES,
    MAX_PROBLEM_TEXT_BYTES,
    item_bytes,
    service_attribute_bytes,
)
from domain.service_room import largest_service_attributes
from emulator.lambda_runtime import LambdaContext, cold_start
from emulator.local_lambda import response_bytes
from handlers.dynamodb_items import to_item
from tests.property.moto_stage import MotoStage, moto_stage

BUDGET = LAMBDA_MAX_PAYLOAD_BYTES  # the documented 6 MB (Lambda's own check allows 100 more)
# Characters at their costliest in an answer, one to four bytes of UTF-8 each; a lone
# surrogate is what JSON's `\ud800` decodes to.
COSTLY = ('"', "\\", "\x01", "\x7f", "é", "€", "😀", "\ud800", "x")
# A record_id holds no control character (nor a lone surrogate): its costliest.
COSTLY_IN_IDS = ('"', "\\", "é", "€", "😀")
LISTED = DEFAULT_LIMITS.max_listed_record_ids


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def longest_ids(character: str, count: int) -> tuple[str, ...]:
    """`count` distinct record_ids of 256 bytes (or just under), mostly `character`."""
    ids = []
    for n in range(count):
        prefix = str(n)
        repeat = (DEFAULT_LIMITS.max_record_id_bytes - len(prefix)) // utf8_bytes(character)
        ids.append(prefix + character * repeat)
    return tuple(ids)


def list_of_bad_numbers(count: int) -> str:
    return "[" + ",".join(["1e400"] * count) + "]"  # each beyond DynamoDB's 1E+126


@st.composite
def refused_bodies(draw: st.DrawFn) -> str:
    """A batch the handler refuses with many problems on long paths: records whose
    attributes have names of up to 60,000 costly characters, over lists of numbers
    DynamoDB cannot hold, as attributes or nested in a map."""
    records = []
    for index in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(COSTLY)) * draw(st.integers(1, 60_000))
        numbers = list_of_bad_numbers(draw(st.integers(1, 1_200)))
        value = f"{{{json.dumps(name)}: {numbers}}}" if draw(st.booleans()) else numbers
        record_id = json.dumps(draw(st.just(f"r{index}") | st.text(min_size=300, max_size=400)))
        records.append(f'{{"record_id": {record_id}, {json.dumps(name)}: {value}}}')
    return "[" + ", ".join(records) + "]"


@pytest.fixture(scope="module")
def post_orders() -> Any:
    """The handler as its container runs it; refusing a batch reads no table."""
    return cold_start("handlers.post_orders")


@settings(max_examples=25)
@given(body=refused_bodies())
def test_any_refused_batch_is_answered_within_lambda_s_response(post_orders, body):
    response = post_orders.handler({"httpMethod": "POST", "body": body}, LambdaContext())

    assert response["statusCode"] == 400
    assert response_bytes(response) <= BUDGET
    answer = json.loads(response["body"])
    assert len(answer["problems"]) == min(answer["problem_count"], DEFAULT_LIMITS.max_problems)
    for problem in answer["problems"]:
        assert utf8_bytes(problem["field"] or "") <= MAX_PROBLEM_TEXT_BYTES
        assert utf8_bytes(problem["reason"]) <= MAX_PROBLEM_TEXT_BYTES
        # Shortened in the middle: the end still says which element is wrong.
        if problem["reason"].startswith("is larger"):
            assert problem["field"].endswith("]")


@settings(max_examples=25)
@given(
    character=st.sampled_from(COSTLY_IN_IDS),
    decided=st.integers(1, 10_000) | st.just(10_000),
    unconfirmed=st.integers(0, 10_000) | st.just(10_000),
)
def test_a_409_or_503_lists_the_first_record_ids_and_fits(
    post_orders, character, decided, unconfirmed
):
    ids = longest_ids(character, max(decided, unconfirmed))
    answers = {
        409: post_orders.decided_changed(ids[:decided], stored=0, unconfirmed=ids[:unconfirmed]),
        503: post_orders.not_confirmed(ids[:unconfirmed] or ids[:1]),
    }

    for status, response in answers.items():
        assert response["statusCode"] == status
        assert response_bytes(response) <= BUDGET
    answer_409 = json.loads(answers[409]["body"])
    assert answer_409["decided_count"] == decided
    assert answer_409["record_ids"] == list(ids[: min(decided, LISTED)])
    assert answer_409.get("unconfirmed_count", 0) == unconfirmed
    assert len(answer_409.get("unconfirmed_record_ids", [])) == min(unconfirmed, LISTED)


# -- GET: an order at DynamoDB's item limit, made of what costs most in an answer -----------


@pytest.fixture(scope="module")
def stage() -> Iterator[MotoStage]:
    with moto_stage() as stage:
        yield stage


def at_the_item_limit(record: dict[str, Any], filler: str) -> dict[str, Any]:
    """`record` filled up to the most POST accepts with a string of `filler`."""
    room = DYNAMODB_MAX_ITEM_BYTES - service_attribute_bytes() - item_bytes(record) - len("fill")
    return {**record, "fill": filler * (room // utf8_bytes(filler))}


def decided_and_read(stage: MotoStage, record: dict[str, Any]) -> dict[str, Any]:
    """POST the record, have the auction accept it, and GET it: GET's whole response."""
    stage.forget(record["record_id"])
    assert stage.post([record])[0] == 201
    posted_at = int(stage.item(record["record_id"])["posted_at"]["N"])
    decision = {"record_id": record["record_id"], "status": "accepted", "power": 1,
                "posted_at": posted_at}  # fmt: skip
    assert stage.decide([decision], "run-" + "9" * 300)["stored"] == 1
    event = {"httpMethod": "GET", "pathParameters": {"record_id": record["record_id"]}}
    response = stage.get_order.handler(event, LambdaContext())
    assert response["statusCode"] == 200
    return response


@settings(max_examples=6)
@given(
    id_character=st.sampled_from(COSTLY_IN_IDS),
    filler=st.sampled_from([c for c in COSTLY if c != "\ud800"]),
)
def test_an_order_at_the_item_limit_is_read_within_lambda_s_response(stage, id_character, filler):
    (record_id,) = longest_ids(id_character, 1)

    response = decided_and_read(stage, at_the_item_limit({"record_id": record_id}, filler))

    assert response_bytes(response) <= BUDGET


def costliest_order() -> dict[str, Any]:
    """The record whose GET answer is the largest we know: as many attributes as fit, each
    named with the fewest bytes that cost the most (control characters, 7 bytes each in
    the answer) over an empty string (0 bytes counted, 4 in the answer)."""
    controls = [chr(c) for c in (*range(1, 32), 127)]
    shortest_names = itertools.chain(
        (chr(c) for c in range(1, 128)),
        *(map("".join, itertools.product(controls, repeat=n)) for n in (2, 3, 4)),
    )
    record: dict[str, Any] = {"record_id": longest_ids('"', 1)[0]}
    room = DYNAMODB_MAX_ITEM_BYTES - service_attribute_bytes() - item_bytes(record)
    for name in shortest_names:
        if len(name) > room:
            break
        record[name] = ""
        room -= len(name)
    return record


class HoldingOne:
    """A DynamoDB client that holds one item. moto takes minutes to serve an item of
    100,000 attributes, so GET reads the costliest order from this one."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = to_item(item)

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": self.item}


def read_as_decided(record: dict[str, Any]) -> dict[str, Any]:
    """GET's whole response for `record` stored with the largest the service adds to it."""
    get_order = cold_start("handlers.get_order")
    item = {**record, **largest_service_attributes(DEFAULT_LIMITS.max_record_id_bytes)}
    get_order._orders_table = lambda: (HoldingOne(item), "orders")
    event = {"httpMethod": "GET", "pathParameters": {"record_id": record["record_id"]}}
    return get_order.handler(event, LambdaContext())


def test_the_costliest_order_we_know_is_read_within_lambda_s_response():
    record = costliest_order()
    assert item_bytes(record) + service_attribute_bytes() <= DYNAMODB_MAX_ITEM_BYTES

    response = read_as_decided(record)

    assert response["statusCode"] == 200
    assert response_bytes(response) <= BUDGET


def worst_sizes() -> dict[str, int]:
    """The worst answers we know, each as the runtime writes it."""
    post_orders = cold_start("handlers.post_orders")
    names = [json.dumps("\x01" * 300 + str(n)) for n in range(DEFAULT_LIMITS.max_problems)]
    refused = "[{" + ", ".join([*(f"{name}: 1e400" for name in names), '"record_id": "r"'])
    refused += "}]"
    ids = longest_ids('"', DEFAULT_LIMITS.max_records)
    return {
        "400": response_bytes(
            post_orders.handler({"httpMethod": "POST", "body": refused}, LambdaContext())
        ),
        "409": response_bytes(post_orders.decided_changed(ids, stored=0, unconfirmed=ids)),
        "503": response_bytes(post_orders.not_confirmed(ids)),
        "GET": response_bytes(read_as_decided(costliest_order())),
    }


if __name__ == "__main__":
    import tests.conftest  # noqa: F401  (the fake account's environment, as under pytest)

    for answer, size in worst_sizes().items():
        print(f"{answer}: {size:,} bytes ({size / BUDGET:.0%} of Lambda's 6 MB)")
