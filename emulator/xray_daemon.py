"""A stand-in for the X-Ray daemon: keeps the segment documents either tracing adapter
sends it over UDP.

A datagram is a JSON header line, then one segment document (AWS's "Sending segment
documents to the X-Ray daemon") or OTLP spans (emulator/otlp.py). `parse_datagram` is the
one place that reads one; a datagram it cannot read is counted and dropped, never fatal to
the daemon.
"""

from __future__ import annotations

import binascii
import json
import select
import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from google.protobuf.message import DecodeError

from emulator import otlp

MAX_DATAGRAM = 65_535
# Datagrams one drain takes off the socket at most, before it stores them: the daemon's
# lock is never kept waiting behind a stream that does not stop.
MAX_DRAIN = 256


def parse_datagram(datagram: bytes) -> list[dict[str, Any]] | None:
    """The segment documents a datagram carries, or None if it cannot be read.

    The X-Ray SDK sends one segment document; OpenTelemetry's exporter sends OTLP spans,
    which `emulator.otlp` turns into the documents X-Ray would make of them (none for
    unsampled spans).

    >>> parse_datagram(b'{"format": "json", "version": 1}\\n{"trace_id": "1-a", "id": "b"}')
    [{'trace_id': '1-a', 'id': 'b'}]
    >>> parse_datagram(b"not a segment") is None
    True
    """
    header, newline, body = datagram.partition(b"\n")
    if not newline:
        return None
    try:
        if json.loads(header).get("format") != "json":
            return None
        if body.startswith((otlp.SAMPLED, otlp.UNSAMPLED)):
            return otlp.documents_in(datagram)
        document = json.loads(body)
    except (ValueError, AttributeError, KeyError, binascii.Error, DecodeError):
        return None  # not JSON (UnicodeDecodeError is a ValueError), or not OTLP
    return [document] if isinstance(document, dict) and "trace_id" in document else None


def _wait_readable(sock: socket.socket, seconds: float) -> None:
    select.select([sock], [], [], seconds)


class XRayDaemon:
    """Listens on a loopback UDP port, where `AWS_XRAY_DAEMON_ADDRESS` points the SDK.

    A thread waits for datagrams with no lock held, then drains the socket, `MAX_DRAIN`
    datagrams at most at a time: it receives and parses them holding only the drain lock
    (one drain at a time), and takes the documents' lock just to store what it parsed. A
    reader drains what is left first, until the socket is empty, then reads under the
    documents' lock. No lock is held across a blocking wait, nor for more than one capped
    drain, so the socket is emptied while readers read, and a reader waits for at most one
    batch. The SDK sends each document before the traced call returns, so what a finished
    invocation sent is always read (a drain under way is stored before a reader's begins).
    Documents are kept by trace, so reading some traces costs what they hold, not what the
    daemon holds.
    """

    def __init__(
        self, *, wait_readable: Callable[[socket.socket, float], None] = _wait_readable
    ) -> None:
        """`wait_readable(socket, seconds)` blocks until a datagram may be there (select)."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Room for a burst of documents while the thread waits for the GIL (the kernel
        # caps it at net.core.rmem_max).
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.setblocking(False)
        self._wait_readable = wait_readable
        self._by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.received = 0
        self.dropped = 0  # datagrams that held no segment document
        self._lock = threading.Lock()  # the documents and counts
        self._drain_lock = threading.Lock()  # one drain at a time
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="xray-daemon", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._socket.getsockname()
        return f"{host}:{port}"

    def start(self) -> XRayDaemon:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._socket.close()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _receive(self) -> None:
        while not self._stopping.is_set():
            self._wait_readable(self._socket, 0.05)  # no lock held; stop waits for it
            self._drain()

    def _drain(self) -> int:
        """Keep up to `MAX_DRAIN` datagrams already waiting; how many it took. Never blocks."""
        with self._drain_lock:
            reads = []
            taken = 0
            while taken < MAX_DRAIN:
                try:
                    datagram = self._socket.recv(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # closed while stopping
                    break
                taken += 1
                reads.append(parse_datagram(datagram))
            with self._lock:
                for read in reads:
                    if read is None:
                        self.dropped += 1
                        continue
                    self.received += 1
                    for document in read:
                        self._by_trace[str(document["trace_id"])].append(document)
            return taken

    def _drain_all(self) -> None:
        """Keep every datagram waiting, a capped drain at a time, until none is left."""
        while self._drain() == MAX_DRAIN:
            pass

    def traces(self, trace_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Each of these traces' documents, as received (a trace with none is left out)."""
        self._drain_all()
        with self._lock:
            return {
                trace: list(self._by_trace[trace]) for trace in trace_ids if trace in self._by_trace
            }

    def documents_of(self, trace_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Every document received for these traces."""
        return [document for found in self.traces(trace_ids).values() for document in found]

    def subsegment_names(self, trace_ids: Iterable[str]) -> list[str]:
        """The names of the (sub)segments of these traces, nested ones included."""
        names: list[str] = []

        def walk(document: dict[str, Any]) -> None:
            names.append(document["name"])
            for child in document.get("subsegments", []):
                walk(child)

        for document in self.documents_of(trace_ids):
            walk(document)
        return names
