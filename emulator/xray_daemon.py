"""A stand-in for the X-Ray daemon: keeps the segment documents the SDK sends it over UDP."""

from __future__ import annotations

import socket
import threading
from typing import Any

from emulator.otlp import documents_in


class XRayDaemon:
    """Listens on a loopback UDP port, where `AWS_XRAY_DAEMON_ADDRESS` points the SDK.

    A thread keeps the socket's buffer drained; a reader drains what is left first. The
    SDK sends each document before the traced call returns, so what a finished
    invocation sent is always read.
    """

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Room for a burst of documents while the thread waits for the GIL (the kernel
        # caps it at net.core.rmem_max).
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._socket.bind(("127.0.0.1", 0))
        self.documents: list[dict[str, Any]] = []
        self._lock = threading.Lock()
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

    def _receive(self) -> None:
        while not self._stopping.is_set():
            self._drain(wait_seconds=0.2)

    def _drain(self, wait_seconds: float = 0) -> None:
        """Keep every datagram waiting, after waiting `wait_seconds` for the first."""
        with self._lock:
            if wait_seconds:
                self._socket.settimeout(wait_seconds)
            else:
                self._socket.setblocking(False)
            while True:
                try:
                    datagram = self._socket.recv(65_535)
                except (TimeoutError, BlockingIOError):
                    return
                # A JSON header line, then a segment document or OTLP spans.
                self.documents.extend(documents_in(datagram))
                self._socket.setblocking(False)  # then take only what is there already

    def documents_of(self, trace_ids: set[str]) -> list[dict[str, Any]]:
        """Every document received for these traces."""
        self._drain()
        return [d for d in list(self.documents) if d.get("trace_id") in trace_ids]

    def subsegment_names(self, trace_ids: set[str]) -> list[str]:
        """The names of the (sub)segments of these traces, nested ones included."""
        names: list[str] = []

        def walk(document: dict[str, Any]) -> None:
            names.append(document["name"])
            for child in document.get("subsegments", []):
                walk(child)

        for document in self.documents_of(trace_ids):
            walk(document)
        return names
