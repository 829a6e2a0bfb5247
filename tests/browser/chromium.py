"""Headless Chromium driven over the DevTools protocol, on a pipe: a page is read once its
own scripts say it is drawn, however long a loaded machine takes to get there.

(`--dump-dom` with a virtual-time budget reads the page when the budget runs out, and the
graph's WebAssembly compiles outside virtual time: on a busy machine, before it is drawn.)
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import itertools
import json
import os
import select
import shutil
import subprocess
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, offline: no sandbox (CI runs as root), nothing fetched from Google's hosts.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-pipe",
)  # fmt: skip
# Resolves when the report says it is drawn (or that it failed): its body's data.
DRAWN = """new Promise((resolve) => {
  const check = () => {
    const data = document.body ? document.body.dataset : {};
    if (data.graph || data.errors) resolve({...data, dom: document.documentElement.outerHTML});
    else setTimeout(check, 50);
  };
  check();
})"""


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class Chromium:
    """One headless browser; `with Chromium(path, profile) as browser: browser.open(page)`."""

    def __init__(self, executable: str, profile: Path, timeout_seconds: float = 120) -> None:
        self._executable = executable
        self._profile = profile
        self._timeout = timeout_seconds
        self._ids = itertools.count(1)
        self._buffer = b""

    def __enter__(self) -> Chromium:
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()

        def protocol_pipes() -> None:
            """In the browser's process: the protocol is read on fd 3 and written on 4."""
            reading = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self._process = subprocess.Popen(  # noqa: S603  (a browser on pages the tests wrote)
            [self._executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=protocol_pipes,
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):  # gone already
            self._send("Browser.close")
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
        os.close(self._to_browser)
        os.close(self._from_browser)

    def open(self, page: Path, width: int = 1400, height: int = 1000) -> dict[str, Any]:
        """Load `page` and wait until it is drawn: its body's data attributes, and `dom`."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.call("Page.enable", session)
        self.call("Page.navigate", session, url=page.as_uri())
        result = self.call("Runtime.evaluate", session, expression=DRAWN, awaitPromise=True,
                           returnByValue=True)  # fmt: skip
        self._session = session
        return result["result"]["value"]

    def screenshot(self) -> bytes:
        """The whole page last opened, as PNG."""
        shot = self.call("Page.captureScreenshot", self._session, format="png",
                         captureBeyondViewport=True)  # fmt: skip
        return base64.b64decode(shot["data"])

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        number = self._send(method, session, **params)
        while True:
            message = self._receive()
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def _send(self, method: str, session: str | None = None, **params: Any) -> int:
        number = next(self._ids)
        message = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return number

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], self._timeout)
            if not ready:
                raise TimeoutError(f"Chromium said nothing for {self._timeout} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise OSError("Chromium closed its pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)
