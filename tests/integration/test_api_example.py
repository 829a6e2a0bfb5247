"""docs/api.md's Python example, run as it is printed, against the local API."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.synth
DOCS = Path(__file__).parents[2] / "docs" / "api.md"


def python_example() -> str:
    section = DOCS.read_text().split("### From Python", 1)[1].split("\n### ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return code


def test_the_python_example_posts_and_reads_an_order_with_a_percent_encoded_id(
    dev_system, monkeypatch
):
    monkeypatch.setenv("ORDERS_URL", dev_system.serve_api())  # the local stage's OrdersUrl
    printed = io.StringIO()

    with contextlib.redirect_stdout(printed):
        exec(compile(python_example(), str(DOCS), "exec"), {"__name__": "example"})  # noqa: S102

    posted, read = [ast.literal_eval(line) for line in printed.getvalue().splitlines()]
    assert posted == (201, {"stored": 1, "unchanged": 0, "already_decided": 0,
                            "expires_at": posted[1]["expires_at"]})  # fmt: skip
    status, order = read
    assert (status, order["record_id"], order["status"]) == (200, "unique id/1", "open")
