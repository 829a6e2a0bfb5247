"""The local X-Ray daemon: readers are never kept waiting behind its receiver, it reads by
trace, and no datagram can stop it."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from emulator import xray_daemon
from emulator.xray_daemon import XRayDaemon, parse_datagram

HEADER = b'{"format":"json","version":1}\n'  # what the SDK's UDP emitter writes


def document(trace: str, name: str = "s3") -> dict:
    return {"trace_id": trace, "id": f"{trace}-{name}", "name": name, "start_time": 1.0}


def send(daemon: XRayDaemon, datagram: bytes) -> None:
    host, port = daemon.address.split(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(datagram, (host, int(port)))


@pytest.fixture
def daemon() -> Iterator[XRayDaemon]:
    started = XRayDaemon().start()
    yield started
    started.stop()


def test_a_reader_is_answered_while_the_receiver_is_blocked_waiting():
    # The receiver's blocking wait is replaced by one that blocks until released, and
    # notes whether the daemon's lock is held while it blocks.
    blocked, release, lock_held = threading.Event(), threading.Event(), []

    def wait_readable(_socket: socket.socket, _seconds: float) -> None:
        lock_held.append(daemon._lock.locked() or daemon._drain_lock.locked())
        blocked.set()
        release.wait(30)

    daemon = XRayDaemon(wait_readable=wait_readable)
    daemon.start()
    try:
        assert blocked.wait(30)
        send(daemon, HEADER + json.dumps(document("1-a")).encode())

        read = daemon.documents_of({"1-a"})  # the receiver is still blocked

        assert read == [document("1-a")]
        assert lock_held[0] is False
    finally:
        release.set()
        daemon.stop()


@pytest.fixture
def idle_daemon() -> Iterator[XRayDaemon]:
    """A daemon whose receiving thread waits until the test ends: the test drains it."""
    release = threading.Event()
    started = XRayDaemon(wait_readable=lambda *_: release.wait(30)).start()
    yield started
    release.set()
    started.stop()


def test_a_drain_takes_at_most_its_cap_and_parses_with_the_documents_unlocked(
    idle_daemon, monkeypatch
):
    daemon = idle_daemon
    parsed_while_locked = []

    def parse(datagram: bytes) -> dict | None:
        parsed_while_locked.append(daemon._lock.locked())
        return parse_datagram(datagram)

    monkeypatch.setattr(xray_daemon, "parse_datagram", parse)
    monkeypatch.setattr(xray_daemon, "MAX_DRAIN", 8)  # few: the socket's buffer holds them
    for n in range(8 + 3):
        send(daemon, HEADER + json.dumps(document(f"1-{n}")).encode())

    assert daemon._drain() == 8  # then it stores them, and lets readers in
    assert daemon.received == 8
    assert parsed_while_locked == [False] * 8
    # A reader drains what is left before it reads: nothing sent before is missed.
    assert len(daemon.documents_of({f"1-{n}" for n in range(8 + 3)})) == 8 + 3


def test_documents_are_kept_by_trace_and_read_for_the_traces_asked(daemon):
    for trace in ("1-a", "1-b", "1-c"):
        for name in ("dynamodb", "s3"):
            send(daemon, HEADER + json.dumps(document(trace, name)).encode())

    traces = daemon.traces(["1-b", "1-z"])

    assert traces == {"1-b": [document("1-b", "dynamodb"), document("1-b", "s3")]}
    assert daemon._by_trace.keys() == {"1-a", "1-b", "1-c"}  # what a read looks up


JUNK = {
    "not JSON": b"hello",
    "binary": bytes(range(256)),
    "invalid UTF-8 after a header": HEADER + b"\xff\xfe{",
    "a header and nothing": HEADER,
    "another format": b'{"format":"protobuf","version":1}\n' + json.dumps(document("1-x")).encode(),
    "a header that is not an object": b"[1]\n" + json.dumps(document("1-x")).encode(),
    "a document that is a list": HEADER + b"[1, 2]",
    "a document with no trace": HEADER + b'{"id": "x"}',
    "empty": b"",
    "OTLP spans that are not base64": HEADER + b"T1Sabc",
    "OTLP spans that are not protobuf": HEADER + b"T1S" + base64.b64encode(b"\xff" * 40),
    "as large as UDP carries": HEADER + b"x" * 65_000,
}


def test_the_daemon_survives_any_datagram_and_keeps_reading(daemon):
    for datagram in JUNK.values():
        send(daemon, datagram)
    send(daemon, HEADER + json.dumps(document("1-ok")).encode())

    assert daemon.documents_of({"1-ok"}) == [document("1-ok")]
    assert daemon.is_alive()
    assert daemon.dropped == len(JUNK)


def test_unsampled_spans_are_read_and_kept_out_of_every_trace(daemon):
    send(daemon, HEADER + b"T1U" + base64.b64encode(b""))
    send(daemon, HEADER + json.dumps(document("1-ok")).encode())

    assert daemon.documents_of({"1-ok"}) == [document("1-ok")]
    assert (daemon.received, daemon.dropped) == (2, 0)
    assert daemon._by_trace.keys() == {"1-ok"}


@pytest.mark.parametrize("datagram", JUNK.values(), ids=JUNK.keys())
def test_a_datagram_with_no_segment_document_reads_as_none(datagram):
    assert parse_datagram(datagram) is None
