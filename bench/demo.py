"""`make demo` as a newcomer runs it once installed: synthesis included, timed whole.

Its own lines say when synthesis ended (`Starting the Dev stage ...`), which splits the
figure in two.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import Figure

PROJECT_ROOT = Path(__file__).parents[1]
DEMO_BUDGET_SECONDS = 30
_STARTED = re.compile(r"^\[\s*([\d.]+)s\] Starting the Dev stage", re.MULTILINE)


def figures() -> list[Figure]:
    started = time.perf_counter()
    demo = subprocess.run(
        ["make", "--no-print-directory", "demo"],  # noqa: S607  (make, as the README says)
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if demo.returncode:
        sys.exit(f"make demo failed, so its time is no figure:\n{demo.stdout[-4000:]}")
    synthesis = _STARTED.search(demo.stdout)
    results = [Figure("make demo, synthesis included (installed)", seconds, "s",
                      budget=DEMO_BUDGET_SECONDS)]  # fmt: skip
    if synthesis:
        results.append(Figure("make demo: of which synthesis", float(synthesis[1]), "s"))
    return results
