"""One truth for where an accepted order's document is: every key the README and the docs
write is the one `domain.results.result_key` makes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from domain.results import result_key

ROOT = Path(__file__).parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MENTION = re.compile(r"orders/[^\s`'\")]*\.json")
CONCRETE = re.compile(r"orders/(\d{4})/(\d{2})/(\d{2})/(.+)-(\d+)\.json")
# The placeholders the docs write, each standing for a value result_key is given.
PLACEHOLDERS = {
    "<yyyy>": "1999", "<mm>": "08", "<dd>": "07",
    "<record_id, percent-encoded>": "id%2F1", "<posted_at>": "1795739511802",
}  # fmt: skip


def mentions() -> list[tuple[str, str]]:
    found = [(path.name, key) for path in DOCUMENTS for key in MENTION.findall(path.read_text())]
    return [(name, key) for name, key in found if not key.startswith("orders/order_")]


@pytest.mark.parametrize(("document", "key"), mentions())
def test_every_document_key_written_is_the_one_the_code_makes(document, key):
    for placeholder, value in PLACEHOLDERS.items():
        key = key.replace(placeholder, value)
    parts = CONCRETE.fullmatch(key)

    assert parts, f"{document}: {key} is not orders/<yyyy>/<mm>/<dd>/<record_id>-<posted_at>.json"
    year, month, day, record_id, posted_at = parts.groups()
    day_of_run = datetime(int(year), int(month), int(day), 12, tzinfo=UTC)
    assert key == result_key(unquote(record_id), day=day_of_run, posted_at=int(posted_at))


def test_the_readme_and_the_api_docs_both_say_it():
    named = {document for document, _ in mentions()}

    assert {"README.md", "api.md"} <= named
