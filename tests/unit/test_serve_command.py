"""`make serve` takes its interval: `make serve EVERY=600`."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]


def planned(*arguments: str) -> str:
    """The commands make would run (`make -n`), run none."""
    return subprocess.run(  # noqa: S603  (make, on this repository's Makefile)
        ["make", "--no-print-directory", "-n", "serve", *arguments],  # noqa: S607
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_make_serve_passes_every_to_the_loop():
    assert "-m emulator.serve --every 600\n" in planned("EVERY=600")
    assert "-m emulator.serve\n" in planned()  # serve's own default, 60 s
