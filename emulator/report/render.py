"""Writing a run's report: one self-contained HTML page, no network needed to view it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.report.graph import workflow_dot
from emulator.report.timeline import spans
from handlers.json_text import exact_json

if TYPE_CHECKING:
    from emulator.system import LocalAuctionSystem, RunOutcome

HERE = Path(__file__).parent
PROJECT_ROOT = HERE.parents[1]
VIZ = PROJECT_ROOT / "node_modules" / "@viz-js" / "viz" / "dist" / "viz-global.js"
REPORTS = PROJECT_ROOT / "reports"
SAMPLE = 5


def write_report(
    system: LocalAuctionSystem,
    run: RunOutcome,
    *,
    template_path: Path,
    posted: Sequence[str] = (),
    directory: Path = REPORTS,
) -> Path:
    """The run's report as an HTML file under `directory`; its path."""
    data = report_data(system, run, template_path=template_path, posted=posted)
    if not VIZ.exists():
        raise FileNotFoundError(f"{VIZ} is missing: `make install` installs package.json's pins")
    page = (HERE / "template.html").read_text()
    parts = {
        "<!--TITLE-->": data["title"],
        "<!--STYLE-->": (HERE / "report.css").read_text(),
        "<!--ERRORS-->": (HERE / "errors.js").read_text(),
        "<!--DATA-->": "window.REPORT = " + _script_json(data) + ";",
        "<!--VIZ-->": VIZ.read_text(),
        "<!--SCRIPT-->": (HERE / "report.js").read_text(),
    }
    for placeholder, content in parts.items():
        page = page.replace(placeholder, content)
    directory.mkdir(exist_ok=True)
    path = directory / f"run-{run.execution_arn.rsplit(':', 1)[-1]}.html"
    path.write_text(page)
    return path


def report_data(
    system: LocalAuctionSystem, run: RunOutcome, *, template_path: Path, posted: Sequence[str]
) -> dict[str, Any]:
    """What the page shows, as plain JSON."""
    name = run.execution_arn.rsplit(":", 1)[-1]
    entered = _entered(run)
    functions = []
    for module, function in system.functions.items():
        invocations = [spans(system.xray.documents_of({trace}) if system.xray else [])
                       for trace in sorted(function.trace_ids)]  # fmt: skip
        invocations = sorted((bars for bars in invocations if bars), key=lambda b: b[0]["start"])
        if invocations:
            functions.append({"name": module, "invocations": invocations})
    entered["Record chunk"] = system.functions["handlers.store_result"].invocations
    documents = system.stored_results("orders/")
    summary = (run.output or {}).get("summary") or {}
    return {
        "title": f"Auction run {name}: {run.status}",
        "summary": (
            f"{len(posted)} order(s) posted; "
            + (
                f"{summary.get('orders', 0)} decided: {summary.get('stored', 0)} stored, "
                f"{summary.get('rejected', 0)} rejected, {summary.get('failed', 0)} failed. "
                if summary
                else f"{run.error or 'nothing decided'}. "
            )
            + f"Template: {template_path}. Data in memory only; the report written "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC."
        ),
        "graph": workflow_dot(json.loads(system.definition), entered),
        "waits": list(system.virtual_time.waits),
        "functions": functions,
        "facts": {
            "Orders posted": [[record_id] for record_id in posted[:SAMPLE]]
            + ([[f"... and {len(posted) - SAMPLE} more"]] if len(posted) > SAMPLE else []),
            "Documents stored (results bucket)": [
                [key, exact_json(document)] for key, document in list(documents.items())[:SAMPLE]
            ]
            + [[f"{len(documents)} in all", ""]],
            "Alerts sent": [
                [alert["content"]["title"], alert["content"]["description"]]
                for alert in system.alerts()
            ],
        },
    }


def _entered(run: RunOutcome) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in run.events:
        name = event.get("stateEnteredEventDetails", {}).get("name")
        if name:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data).replace("</", "<\\/")
