"""The run report in a real browser: headless Chromium loads it with no error, and the graph
and the timeline are drawn.

Chromium comes from Debian's packages (`.ci/run` installs it) or is the runner's Chrome
(GitHub Actions). Where none is found, as in the pipeline's CodeBuild image, the test
skips and says so.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from emulator.report.render import write_report

pytestmark = [pytest.mark.synth, pytest.mark.browser]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, offline: no sandbox (CI runs as root), nothing fetched from Google's hosts.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=20000",
)  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        pytest.skip("no Chromium or Chrome on this machine; .ci/run installs Debian's chromium")
    return found


@pytest.fixture(scope="module")
def report(synthesized, tmp_path_factory) -> Path:
    from emulator.system import LocalAuctionSystem

    lambda_a = {"handlers.fetch_results": {"AUCTION_READY_PROBABILITY": "1"}}
    with LocalAuctionSystem(synthesized.outdir, function_environment=lambda_a) as system:
        batch = [{"record_id": f"browser-{n}", "power": 3} for n in range(12)]
        assert system.post_orders(json.dumps(batch))["statusCode"] == 201
        run = system.wait_for(system.start_run(name="in-a-browser"))
        return write_report(
            system, run, template_path=system.template_path,
            posted=[order["record_id"] for order in batch],
            directory=tmp_path_factory.mktemp("reports"),
        )  # fmt: skip


def open_in(browser: str, page: Path, *extra: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (a browser on a page this test wrote)
        [browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_report_loads_with_no_error_and_draws_the_graph_and_the_timeline(
    browser, report, tmp_path
):
    loaded = open_in(browser, report, "--dump-dom", profile=tmp_path / "profile")

    dom = loaded.stdout
    (body,) = re.findall(r"<body[^>]*>", dom)
    assert 'data-graph="drawn"' in body, loaded.stderr[-2000:]
    assert int(re.search(r'data-timeline="(\d+)"', body)[1]) > 5
    assert "data-errors" not in body, re.search(r'<pre id="errors"[^>]*>(.*?)</pre>', dom, re.S)
    graph = dom.split('id="workflow-graph"', 1)[1].split("</svg>", 1)[0]
    for state in ("Fetch auction results", "Record each chunk", "Summarize run"):
        assert state in graph, state


def test_a_screenshot_shows_the_page(browser, report, tmp_path):
    shot = tmp_path / "report.png"

    open_in(browser, report, f"--screenshot={shot}", "--window-size=1400,2400",
            profile=tmp_path / "profile")  # fmt: skip

    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a blank page of this size is a few kilobytes
