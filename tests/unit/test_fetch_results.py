"""Lambda A: the contract's two shapes, through the simulated platform."""

from __future__ import annotations

import pytest

from tests.unit.conftest import fresh


def run_lambda_a(monkeypatch, context, **env: str) -> list[dict]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fetch_results = fresh("handlers.fetch_results")
    return [fetch_results.handler({}, context) for _ in range(20)]


def test_results_are_either_not_ready_or_the_seeds_orders(monkeypatch, context):
    answers = run_lambda_a(monkeypatch, context, AUCTION_SIMULATION_SEED="7")

    assert {"results": False} in answers
    ready = [answer for answer in answers if answer["results"]]
    assert ready
    for answer in ready:
        assert answer == {
            "results": True,
            "orders": [{"status": "accepted", "power": 1}, {"status": "rejected", "power": 2}],
        }


def test_a_seed_replays_the_same_sequence(monkeypatch, context):
    first = run_lambda_a(monkeypatch, context, AUCTION_SIMULATION_SEED="42")
    second = run_lambda_a(monkeypatch, context, AUCTION_SIMULATION_SEED="42")

    assert first == second


@pytest.mark.parametrize(("probability", "ready"), [("0", False), ("1", True)])
def test_the_ready_probability_is_honoured(monkeypatch, context, probability, ready):
    answers = run_lambda_a(monkeypatch, context, AUCTION_READY_PROBABILITY=probability)

    assert {answer["results"] for answer in answers} == {ready}
