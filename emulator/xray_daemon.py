"""A stand-in for the X-Ray daemon: keeps the segment documents the SDK sends it over UDP."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any


class XRayDaemon:
    """Listens on a loopback UDP port, where `AWS_XRAY_DAEMON_ADDRESS` points the SDK."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.documents: list[dict[str, Any]] = []
        self._last_received = time.monotonic()
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
            try:
                datagram = self._socket.recv(65_535)
            except TimeoutError:
                continue
            # A datagram is a JSON header line, then the segment document.
            _header, _, document = datagram.partition(b"\n")
            self.documents.append(json.loads(document))
            self._last_received = time.monotonic()

    def settled(self, quiet_seconds: float = 0.2, at_most_seconds: float = 3.0) -> None:
        """Wait until no datagram has come for `quiet_seconds`: what was sent has arrived."""
        deadline = time.monotonic() + at_most_seconds
        while time.monotonic() - self._last_received < quiet_seconds:
            if time.monotonic() > deadline:
                return
            time.sleep(quiet_seconds / 4)

    def subsegment_names(self, trace_ids: set[str]) -> list[str]:
        """The names of the (sub)segments of these traces, nested ones included."""
        self.settled()
        names: list[str] = []

        def walk(document: dict[str, Any]) -> None:
            names.append(document["name"])
            for child in document.get("subsegments", []):
                walk(child)

        for document in list(self.documents):
            if document.get("trace_id") in trace_ids:
                walk(document)
        return names
