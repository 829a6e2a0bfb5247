"""The synthetic check asks again only while the API is unreachable, refuses the
signature (a new role's permission still propagating) or is throttled; any other answer
is final, and a throttle that lasts gives no verdict rather than an error."""

from __future__ import annotations

import pytest

from domain.api_probes import REFUSED_PROBLEM
from tests.unit.conftest import fresh

URL = "https://api.example/v1/orders"
REFUSED = (400, {"problems": [REFUSED_PROBLEM]})


@pytest.fixture
def check(monkeypatch):
    module = fresh("handlers.synthetic_check")
    monkeypatch.setattr(module, "RETRY_WAITS", (0, 0))
    return module


def answering(monkeypatch, check, *answers):
    sent = []

    def send(url):
        sent.append(url)
        return answers[len(sent) - 1]

    monkeypatch.setattr(check, "_send", send)
    return sent


def test_the_documented_400_passes_at_once(check, monkeypatch, context):
    sent = answering(monkeypatch, check, REFUSED)

    assert check.handler({"orders_url": URL}, context) == {"status": 400}
    assert sent == [URL]


@pytest.mark.parametrize("first", [(403, {"message": "not yet"}), (None, {"error": "refused"})])
def test_a_refused_signature_or_no_connection_is_asked_again(check, monkeypatch, context, first):
    sent = answering(monkeypatch, check, first, REFUSED)

    assert check.handler({"orders_url": URL}, context) == {"status": 400}
    assert len(sent) == 2


def test_three_refusals_in_a_row_fail_the_check(check, monkeypatch, context):
    sent = answering(monkeypatch, check, *[(403, {"message": "Forbidden"})] * 3)

    with pytest.raises(check.SyntheticCheckError, match="answered 403"):
        check.handler({"orders_url": URL}, context)
    assert len(sent) == 3


@pytest.mark.parametrize(
    "answer",
    [(500, {"message": "Internal server error"}), (201, {"stored": 1}), (400, {"problems": []})],
)
def test_any_other_answer_fails_the_check_at_once(check, monkeypatch, context, answer):
    sent = answering(monkeypatch, check, answer)

    with pytest.raises(check.SyntheticCheckError, match=f"answered {answer[0]}"):
        check.handler({"orders_url": URL}, context)
    assert len(sent) == 1


def test_a_throttled_check_asks_again_and_gives_no_verdict_rather_than_an_error(
    check, monkeypatch, context
):
    # Any caller can fill the stage's throttle: its 429 must not set off the alarm that
    # rolls a release back.
    sent = answering(monkeypatch, check, *[(429, {"message": "Too Many Requests"})] * 3)

    assert check.handler({"orders_url": URL}, context)["status"] == 429
    assert len(sent) == 3


def test_a_throttle_that_passes_still_gets_the_verdict(check, monkeypatch, context):
    sent = answering(monkeypatch, check, (429, {"message": "Too Many Requests"}), REFUSED)

    assert check.handler({"orders_url": URL}, context) == {"status": 400}
    assert len(sent) == 2
