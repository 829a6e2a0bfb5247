"""docs/api.md's table of answers is what POST /orders answers, row by row."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.conftest import fresh

DOCS = Path(__file__).parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| `(?P<sent>[^`]+)` \| (?P<status>\d{3}) \| `(?P<answer>[^`]+)`", re.MULTILINE)


def documented_answers() -> list[tuple[str, int, dict[str, Any]]]:
    answers = DOCS.read_text().split("### Answers", 1)[1].split("\n## ", 1)[0]
    rows = [(m["sent"], int(m["status"]), json.loads(m["answer"])) for m in ROW.finditer(answers)]
    assert len(rows) >= 10, "the table of answers was not found"
    return rows


@pytest.mark.parametrize(("sent", "status", "excerpt"), documented_answers())
def test_the_api_answers_as_documented(orders_table, context, sent, status, excerpt):
    post_orders = fresh("handlers.post_orders")

    response = post_orders.handler({"httpMethod": "POST", "body": sent}, context)

    assert response["statusCode"] == status
    answer = json.loads(response["body"])
    if "reason" in excerpt:  # a problem of a 400
        assert excerpt in answer["problems"], answer["problems"]
    else:
        assert {key: answer[key] for key in excerpt} == excerpt
