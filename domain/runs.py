"""An auction run's files, and what a run tells people when it ends.

A run's decisions can be far larger than a Step Functions state may carry (256 KiB), so
Lambda A writes them to S3 in chunks, each a JSON array of decisions, and a manifest that
lists the chunks (a top-level JSON array, which the workflow's Distributed Map reads).
Lambda B handles one chunk per call and writes the chunk's outcome beside it; the run's
summary is made from those outcomes, and its one alert from the summary.

    runs/<run>/chunks.json          the manifest: [{"chunk": 0, "key": ..., "count": n}, ...]
    runs/<run>/chunks/00000.json    decisions: [{"record_id", "status", "power", "posted_at"}]
    runs/<run>/outcomes/00000.json  what became of each: stored, rejected, failed, gone
    runs/<run>/report.json          the run's summary, with every rejected and failed order

Lambda A's answer names the manifest: `{"results": true, "count": n, "chunks":
{"bucket": ..., "key": "runs/<run>/chunks.json"}}` (`FORMAT` versions these files).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import attrs

RUNS_PREFIX = "runs/"
# The format this release writes, and those it reads. During a release Lambda A and B
# shift at once but not atomically, and a rollback runs the previous release on what
# this one wrote: so a new format is first released as readable only, and written one
# release later (docs/auction.md). A reader refuses a format it does not know.
FORMAT = 1
READABLE_FORMATS = frozenset({1})
CHUNK_SIZE = 500  # decisions per chunk: one Lambda B call stores them in a few seconds
ALERT_SAMPLE = 10  # record_ids an alert names; the report lists all

T = TypeVar("T")


def run_prefix(run_id: str) -> str:
    """`runs/<run>/`, the run id made one key segment."""
    return f"{RUNS_PREFIX}{quote(run_id, safe='')}/"


def manifest_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}chunks.json"


def chunk_key(run_id: str, index: int) -> str:
    return f"{run_prefix(run_id)}chunks/{index:05d}.json"


def outcome_key(run_id: str, index: int) -> str:
    return f"{run_prefix(run_id)}outcomes/{index:05d}.json"


def report_key(run_id: str) -> str:
    return f"{run_prefix(run_id)}report.json"


def _readable(what: str, payload: Any) -> None:
    if not isinstance(payload, dict) or payload.get("format") not in READABLE_FORMATS:
        formats = ", ".join(map(str, sorted(READABLE_FORMATS)))
        raise ValueError(f"{what} of format {formats} was expected: {payload!r}")


def chunked(items: Sequence[T], size: int = CHUNK_SIZE) -> list[Sequence[T]]:
    """`items` in consecutive chunks of at most `size`.

    >>> chunked([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
    return [items[start : start + size] for start in range(0, len(items), size)]


@attrs.frozen
class ChunkRef:
    """One entry of the manifest: the Distributed Map hands one to each Lambda B call."""

    chunk: int
    key: str
    count: int

    def to_payload(self) -> dict[str, Any]:
        return {"format": FORMAT, "chunk": self.chunk, "key": self.key, "count": self.count}

    @classmethod
    def from_payload(cls, payload: Any) -> ChunkRef:
        _readable("a chunk reference", payload)
        return cls(
            chunk=int(payload["chunk"]), key=str(payload["key"]), count=int(payload["count"])
        )


@attrs.frozen
class Failure:
    """An order whose decision could not be recorded, and why."""

    record_id: str
    reason: str


@attrs.frozen
class ChunkOutcome:
    """What became of each decision of one chunk.

    `stored`: accepted, its document stored and its outcome recorded. `rejected`: its
    outcome recorded. `gone`: expired, deleted or posted anew before the decision could be
    recorded on it (an accepted one's document is stored all the same). `failed`: the
    decision could not be recorded (it stays in the chunk; the order stays open).
    """

    chunk: int
    stored: int = 0
    rejected: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()
    failed: tuple[Failure, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "chunk": self.chunk,
            "stored": self.stored,
            "rejected": list(self.rejected),
            "gone": list(self.gone),
            "failed": [attrs.asdict(failure) for failure in self.failed],
        }

    @classmethod
    def from_payload(cls, payload: Any) -> ChunkOutcome:
        _readable("a chunk's outcome", payload)
        return cls(
            chunk=int(payload["chunk"]),
            stored=int(payload["stored"]),
            rejected=tuple(payload["rejected"]),
            gone=tuple(payload["gone"]),
            failed=tuple(Failure(**failure) for failure in payload["failed"]),
        )


@attrs.frozen
class RunSummary:
    """A whole run, from its chunks' outcomes; chunks without one count as failed."""

    run_id: str
    orders: int
    stored: int
    rejected: tuple[str, ...]
    gone: tuple[str, ...]
    failed: tuple[Failure, ...]

    @classmethod
    def of(
        cls,
        run_id: str,
        chunks: Sequence[ChunkRef],
        outcomes: Iterable[ChunkOutcome],
        unrecorded: dict[int, Sequence[str]],
    ) -> RunSummary:
        """`unrecorded`: for each chunk with no outcome, the record_ids it holds."""
        found = {outcome.chunk: outcome for outcome in outcomes}
        missing = [
            Failure(record_id, "no outcome was recorded for its chunk")
            for chunk in chunks
            if chunk.chunk not in found
            for record_id in unrecorded.get(chunk.chunk, ())
        ]
        ordered = [found[chunk.chunk] for chunk in chunks if chunk.chunk in found]
        return cls(
            run_id=run_id,
            orders=sum(chunk.count for chunk in chunks),
            stored=sum(outcome.stored for outcome in ordered),
            rejected=tuple(sorted(r for outcome in ordered for r in outcome.rejected)),
            gone=tuple(sorted(g for outcome in ordered for g in outcome.gone)),
            failed=tuple(
                sorted([f for o in ordered for f in o.failed] + missing, key=_by_record_id)
            ),
        )

    @property
    def needs_attention(self) -> bool:
        return bool(self.rejected or self.failed)

    def to_payload(self) -> dict[str, Any]:
        """The run's report, every record_id included."""
        return {
            "format": FORMAT,
            "run_id": self.run_id,
            "orders": self.orders,
            "stored": self.stored,
            "rejected": list(self.rejected),
            "gone": list(self.gone),
            "failed": [attrs.asdict(failure) for failure in self.failed],
        }

    def alert(self, report_location: str) -> dict[str, str]:
        """The run's one alert: counts, the first record_ids, where the full list is.

        >>> summary = RunSummary("r-1", 4, 2, ("a",), (), (Failure("b", "S3 refused"),))
        >>> print(summary.alert("s3://bucket/runs/r-1/report.json")["description"])
        Rejected by the auction (1): a
        Could not be recorded (1): b (S3 refused)
        Every record_id: s3://bucket/runs/r-1/report.json
        """
        counts = []
        if self.rejected:
            counts.append(f"{len(self.rejected)} rejected")
        if self.failed:
            counts.append(f"{len(self.failed)} failed")
        lines = []
        if self.rejected:
            lines.append(f"Rejected by the auction ({len(self.rejected)}): "
                         + _sample(list(self.rejected)))  # fmt: skip
        if self.failed:
            named = [f"{failure.record_id} ({failure.reason})" for failure in self.failed]
            lines.append(f"Could not be recorded ({len(self.failed)}): {_sample(named)}")
        lines.append(f"Every record_id: {report_location}")
        return {
            "title": f"Auction run {self.run_id}: {', '.join(counts)} of {self.orders} orders",
            "description": "\n".join(lines),
        }


def _by_record_id(failure: Failure) -> str:
    return failure.record_id


def _sample(names: list[str]) -> str:
    shown = ", ".join(names[:ALERT_SAMPLE])
    rest = len(names) - ALERT_SAMPLE
    return f"{shown}, and {rest} more" if rest > 0 else shown
