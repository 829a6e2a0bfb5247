"""The files Lambda A and B exchange stay readable across a release, in both directions.

In a release the two functions shift at once but not atomically, and a rollback runs the
previous release on files this one wrote. The examples below are the files as each
format is written, kept verbatim: a writer that changes what it writes without a new
format fails here, and a format stays readable as long as it is listed.
"""

from __future__ import annotations

import pytest

from domain.auction import OrderResult, OrderStatus
from domain.results import Decision
from domain.runs import FORMAT, READABLE_FORMATS, ChunkOutcome, ChunkRef, Failure

WRITTEN = {
    1: {
        "manifest entry": {"format": 1, "chunk": 3, "key": "runs/r/chunks/00003.json", "count": 2},
        "decision": {"record_id": "a", "status": "accepted", "power": 1, "posted_at": 1700},
        "outcome": {
            "format": 1,
            "chunk": 3,
            "stored": 1,
            "rejected": ["b"],
            "gone": ["c"],
            "failed": [{"record_id": "d", "reason": "S3 refused"}],
        },
    }
}
MANIFEST_ENTRY = ChunkRef(chunk=3, key="runs/r/chunks/00003.json", count=2)
DECISION = Decision(OrderResult(OrderStatus.ACCEPTED, 1, record_id="a"), posted_at=1700)
OUTCOME = ChunkOutcome(
    chunk=3, stored=1, rejected=("b",), gone=("c",), failed=(Failure("d", "S3 refused"),)
)


def test_this_release_writes_its_format_exactly_as_the_example_shows():
    example = WRITTEN[FORMAT]

    assert MANIFEST_ENTRY.to_payload() == example["manifest entry"]
    assert DECISION.to_payload() == example["decision"]
    assert OUTCOME.to_payload() == example["outcome"]


def test_the_previous_format_stays_readable_for_the_release_that_writes_a_new_one():
    # Written formats step by one; the previous stays readable for the release after.
    assert FORMAT in READABLE_FORMATS
    assert FORMAT == 1 or FORMAT - 1 in READABLE_FORMATS
    assert set(WRITTEN) >= READABLE_FORMATS


@pytest.mark.parametrize("version", sorted(READABLE_FORMATS))
def test_every_readable_format_is_read(version):
    example = WRITTEN[version]

    assert ChunkRef.from_payload(example["manifest entry"]) == MANIFEST_ENTRY
    assert Decision.from_payload(example["decision"]) == DECISION
    assert ChunkOutcome.from_payload(example["outcome"]) == OUTCOME


@pytest.mark.parametrize("version", [None, 0, max(READABLE_FORMATS) + 1, "1"])
def test_a_format_it_does_not_know_is_refused_by_name(version):
    entry = {**WRITTEN[FORMAT]["manifest entry"], "format": version}
    outcome = {**WRITTEN[FORMAT]["outcome"], "format": version}

    with pytest.raises(ValueError, match="a chunk reference of format 1 was expected"):
        ChunkRef.from_payload(entry)
    with pytest.raises(ValueError, match="a chunk's outcome of format 1 was expected"):
        ChunkOutcome.from_payload(outcome)
