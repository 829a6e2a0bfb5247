"""Run reports in a real browser: headless Chromium loads them with no error, and the graph
and the timeline are drawn, for a real local run and for a generated 10,000-order one.

Chromium comes from Debian's packages (`.ci/run` installs it) or is the runner's Chrome
(GitHub Actions). Where none is found, as in the pipeline's CodeBuild image, the test
skips and says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.report.render import write_report
from tests.browser.chromium import Chromium, find_browser
from tests.browser.large_run import large_run_record

pytestmark = [pytest.mark.synth, pytest.mark.browser]
# The page a 10,000-order run makes stays a page: at 1400 px wide, the graph and one lane
# per invocation (23), summaries and facts (the report of issue 20 was 6,300 px tall).
LARGE_RUN_PAGE_PX = 3_500


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Chromium]:
    found = find_browser()
    if found is None:
        pytest.skip("no Chromium or Chrome on this machine; .ci/run installs Debian's chromium")
    with Chromium(found, tmp_path_factory.mktemp("profile")) as browser:
        yield browser


@pytest.fixture(scope="module")
def report(synthesized, tmp_path_factory) -> Path:
    from emulator.system import LocalAuctionSystem

    lambda_a = {"handlers.fetch_results": {"AUCTION_READY_PROBABILITY": "1"}}
    with LocalAuctionSystem(synthesized.outdir, function_environment=lambda_a) as system:
        batch = [{"record_id": f"browser-{n}", "power": 3} for n in range(12)]
        assert system.post_orders(json.dumps(batch))["statusCode"] == 201
        run = system.wait_for(system.start_run(name="in-a-browser"))
        return write_report(system.record_of(run), tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def large_report(synthesized, tmp_path_factory) -> Path:
    from emulator.system import LocalAuctionSystem

    local = LocalAuctionSystem(synthesized.outdir)  # its definition only: nothing started
    record = large_run_record(local.definition, local.template_path, orders=10_000)
    return write_report(record, tmp_path_factory.mktemp("large"))


def rendered(browser: Chromium, page: Path) -> tuple[dict[str, str], str]:
    """The page once drawn: its body's data attributes, and its DOM."""
    data = browser.open(page)
    dom = data.pop("dom")
    assert "errors" not in data, re.search(r'<pre id="errors"[^>]*>(.*?)</pre>', dom, re.S)
    assert data.get("graph") == "drawn"
    return data, dom


def test_a_run_s_report_loads_with_no_error_and_draws_the_graph_and_the_timeline(browser, report):
    data, dom = rendered(browser, report)

    assert int(data["timeline"]) >= 3  # Lambda A, each chunk's Lambda B, Lambda C
    graph = dom.split('id="workflow-graph"', 1)[1].split("</svg>", 1)[0]
    for state in ("Fetch auction results", "Record each chunk", "Summarize run"):
        assert state in graph, state
    assert "12 orders: 12 decided" in dom


def test_a_10000_order_run_s_report_stays_readable(browser, large_report):
    data, dom = rendered(browser, large_report)

    assert int(data["timeline"]) == 2 + 20 + 1  # a lane per invocation, not per call
    assert int(data["height"]) < LARGE_RUN_PAGE_PX
    rows = re.findall(r'<tr class="(\w*)"><td>([^<]+)</td><td>(\d+)</td>', dom)
    calls = {name: (kind, int(count)) for kind, name, count in rows}
    assert calls["dynamodb UpdateItem"][1] == 10_000  # summarised in one row
    assert calls["dynamodb UpdateItem"][0] == "refused"  # expected, and not drawn as errors
    assert not any(kind == "error" for kind, _ in calls.values())
    assert "10000 orders: 10000 decided" in dom


def test_a_screenshot_shows_the_10000_order_page(browser, large_report, tmp_path):
    browser.open(large_report)

    shot = browser.screenshot()

    (tmp_path / "report.png").write_bytes(shot)  # to look at
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(shot) > 50_000  # a blank page of this size is a few kilobytes
