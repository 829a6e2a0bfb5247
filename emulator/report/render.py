"""Writing a run's report: one self-contained HTML page, no network needed to view it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulator.report.graph import workflow_dot
from emulator.report.record import RunRecord
from emulator.report.summary import cause_line, counts_line, number_text
from emulator.report.timeline import EXPECTED_REFUSALS, function_timeline
from handlers.json_text import exact_json

HERE = Path(__file__).parent
PROJECT_ROOT = HERE.parents[1]
VIZ = PROJECT_ROOT / "node_modules" / "@viz-js" / "viz" / "dist" / "viz-global.js"
REPORTS = PROJECT_ROOT / "reports"
SAMPLE = 5


def write_report(record: RunRecord, directory: Path = REPORTS) -> Path:
    """The run's report as an HTML file under `directory`; its path."""
    if not VIZ.exists():
        raise FileNotFoundError(f"{VIZ} is missing: `make install` installs package.json's pins")
    page = (HERE / "template.html").read_text()
    parts = {
        "<!--TITLE-->": f"Auction run {record.name}: {record.status}",
        "<!--STYLE-->": (HERE / "report.css").read_text(),
        "<!--ERRORS-->": (HERE / "errors.js").read_text(),
        "<!--DATA-->": "window.REPORT = " + _script_json(report_data(record)) + ";",
        "<!--VIZ-->": VIZ.read_text(),
        "<!--SCRIPT-->": (HERE / "report.js").read_text(),
    }
    for placeholder, content in parts.items():
        page = page.replace(placeholder, content)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"run-{record.name}.html"
    path.write_text(page)
    return path


def report_data(record: RunRecord) -> dict[str, Any]:
    """What the page shows, as plain JSON."""
    functions = [
        function_timeline(name, invocations) for name, invocations in record.traces.items()
    ]
    functions = [function for function in functions if function["invocations"]]
    ends = [lane["end"] for function in functions for lane in function["lanes"]]
    outcome = (
        counts_line(record.summary)
        if record.summary
        else cause_line(record.error, record.cause)
        if record.status != "SUCCEEDED"
        else "no open orders"
    )
    return {
        "title": f"Auction run {record.name}: {record.status}",
        "summary": (
            f"{outcome}. Template: {record.template_path}. Data in memory only; the report "
            f"written {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC."
        ),
        "graph": workflow_dot(json.loads(record.definition), record.entered),
        "waits": record.waits,
        "retries": record.retry_intervals,
        "axis": {"start": record.started, "end": max([record.stopped, *ends])},
        "functions": functions,
        "refusals": EXPECTED_REFUSALS,
        "facts": _facts(record),
    }


def _facts(record: RunRecord) -> dict[str, list[list[str]]]:
    facts: dict[str, list[list[str]]] = {}
    if record.status != "SUCCEEDED":
        facts["Why it failed"] = [[record.error or "", record.cause or ""]] + [
            ["the engine said", line] for line in record.engine_errors
        ]
    statuses = Counter(decision.get("status") for decision in record.decisions)
    facts["Orders the run decided"] = [
        [str(d.get("record_id")), str(d.get("status")), str(d.get("power"))]
        for d in record.decisions[:SAMPLE]
    ] + [
        [
            f"{len(record.decisions)} in all",
            ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())),
            "",
        ]
    ]
    facts["Documents stored (results bucket)"] = [
        [key, exact_json(document)] for key, document in list(record.documents.items())[:SAMPLE]
    ] + [[f"{record.documents_stored} in all", ""]]
    facts["The run's numbers (CloudWatch metrics, written as EMF)"] = [
        [name, number_text(name, values)] for name, values in record.numbers.items()
    ] or [["none written", ""]]
    facts["Alerts sent"] = [
        [alert["content"]["title"], alert["content"]["description"]] for alert in record.alerts
    ] or [["none", ""]]
    return facts


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data).replace("</", "<\\/")
