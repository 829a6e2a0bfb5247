"""`make demo`: the whole auction flow on the local emulation, with a readable report.

Synthesizes the CDK app, builds the Dev stage on moto from its template, posts the
README's example request, the seed's example batch (which resends it) and a generated
batch over signed HTTP, runs the workflow on those orders as the hourly schedule would
(Lambda A seeded to be late once), reads outcomes back over signed HTTP, reports what
each part did and the numbers it wrote for CloudWatch, and writes the run's HTML report.
Exit status 0 only when the flow ran end to end, every posted order got exactly one
outcome, and the run's numbers agree with its summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3

from emulator.report.record import RunRecord
from emulator.report.render import REPORTS, write_report
from emulator.report.summary import counts_line, numbers_line
from emulator.scenarios import seed_for_late_results
from emulator.system import LocalAuctionSystem
from ops.smoke_test import signed_get, signed_post

# The README's curl example, then the seed's example batch, which holds it again.
README_EXAMPLE = [{"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4}]
SEED_BATCH = [
    {"record_id": "unique_id_1", "parameter_1": "abc", "parameter_2": 4},
    {"record_id": "unique_id_2", "parameter_1": "def", "parameter_2": 2.1},
]


def generated_batch(size: int) -> list[dict]:
    return [
        {"record_id": f"generated-{n:05d}", "parameter_1": f"bid-{n}", "parameter_2": n % 97 + 0.5}
        for n in range(size)
    ]


# The Dev stage alone, apart from `make synth`'s whole app in cdk.out/.
DEV_ASSEMBLY = Path(".build/dev.out")


def synthesize(outdir: Path) -> None:
    """The Dev stage alone, as the pipeline deploys it (`make synth` makes the whole app)."""
    from pipeline_app import build_stage_app  # the CDK (and jsii) only when synthesizing

    build_stage_app("dev", outdir=str(outdir)).synth()


def run_demo(
    assembly: Path,
    say: Callable[[str], None],
    generated: int = 250,
    reports: Path = REPORTS,
) -> list[str]:
    """Run the flow and report it through `say`; every failure found (none: it worked)."""
    lambda_a = {"AUCTION_SIMULATION_SEED": str(seed_for_late_results(not_ready_attempts=1))}
    environment = {"handlers.fetch_results": lambda_a}
    with LocalAuctionSystem(assembly, function_environment=environment) as system:
        say(f"Stage template: {system.template_path}")
        say("Everything below lives in this process's memory: nothing is sent to AWS")
        url = system.serve_api()
        failures = _submit_orders(system, url, say, generated)
        record, run_failures = _run_auction(system, say)
        failures += run_failures + _read_outcomes(system, url, say) + _report_traces(system, say)
        report = write_report(record, reports)
        say(f"Report of the run (open it in a browser): {report}")
        return failures


def _submit_orders(
    system: LocalAuctionSystem, url: str, say: Callable[[str], None], generated: int
) -> list[str]:
    failures = []
    say(f"The orders API served at {url} (SigV4 required, as in AWS)")
    session = boto3.Session()
    batches = (
        ("the README's example", README_EXAMPLE),
        ("seed example (resends unique_id_1)", SEED_BATCH),
        ("generated", generated_batch(generated)),
    )
    for label, batch in batches:
        status, answer = signed_post(session, url, json.dumps(batch).encode())
        say(f"  {label} batch of {len(batch)} records -> {status} {answer}")
        if status != 201:
            failures.append(f"{label} batch answered {status}")
    status, answer = signed_post(session, url, b'[{"record_id": "x", "ttl": 1}]')
    say(f"  a bad batch -> {status} {answer['problems'][0]}")
    if status != 400:
        failures.append(f"a bad batch answered {status}")
    posted = system.metrics.totals().get("OrdersPosted", 0)
    say(f"  OrdersPosted (CloudWatch metric, 201 answers only): {posted:g}")
    orders = system.stored_orders()
    expiry = sorted({int(item["ttl"]) for item in orders})
    say(f"Orders table: {len(orders)} open orders, expiring at "
        + ", ".join(datetime.fromtimestamp(t, UTC).isoformat() for t in expiry))  # fmt: skip
    if len(orders) != len(SEED_BATCH) + generated:
        failures.append(f"{len(orders)} records stored")
    return failures


def _run_auction(
    system: LocalAuctionSystem, say: Callable[[str], None]
) -> tuple[RunRecord, list[str]]:
    """Run the auction and tell what it did; the run's record, and every failure found."""
    failures = []
    say("Auction run started, as the hourly schedule would ...")
    run = system.wait_for(system.start_run())
    record = system.record_of(run)
    attempts = run.entered("Fetch auction results")
    say(f"  {run.status}; Lambda A asked {attempts} time(s), waits requested: {record.waits} s "
        "(passed at once locally)")  # fmt: skip
    if run.status != "SUCCEEDED" or attempts < 2:
        return record, [f"run {run.status} after {attempts} attempt(s)"]
    summary = run.output["summary"]
    say(f"  {counts_line(summary)}, in "
        f"{run.output['auction']['chunks']['key'].rsplit('/', 1)[0]}/ "
        f"({len(run.events)} events in the run's history)")  # fmt: skip
    say(f"  its numbers (CloudWatch metrics, EMF): {numbers_line(record.numbers)}")
    failures += _check_numbers(record.numbers, summary, attempts)
    stored = len(system.result_keys("orders/"))
    say(f"Results bucket: {stored} document(s), one per accepted order, e.g.")
    for key, document in list(record.documents.items())[:2]:
        say(f"  s3://{system.results_bucket}/{key} {document}")
    alerts = record.alerts
    say(f"Alerts topic: {len(alerts)} message(s) for the run (Slack via AWS Chatbot)")
    for alert in alerts:
        say(f"  {alert['content']['title']}")
        for line in alert["content"]["description"].splitlines():
            say(f"    {line}")
    outcomes = [item.get("outcome") for item in system.stored_orders()]
    if None in outcomes or len(outcomes) != summary["orders"]:
        failures.append(f"{outcomes.count(None)} posted order(s) got no outcome")
    if not stored == record.documents_stored == summary["stored"]:
        failures.append("the stored documents do not match the run's summary")
    if len(alerts) != (1 if summary["rejected"] else 0):
        failures.append("the alerts do not match the run's summary")
    return record, failures


def _check_numbers(numbers: dict[str, list[float]], summary: dict, attempts: int) -> list[str]:
    """The run's metrics against its summary: what CloudWatch would be told."""
    expected = {
        "OpenOrders": [summary["orders"]] * attempts,
        "PlatformAsks": [attempts],
        "OrdersTaken": [summary["orders"]],
        "OrdersDecided": [summary["stored"] + summary["rejected"]],
        "OrdersFailed": [summary["failed"]],
    }
    found = {name: numbers.get(name) for name in expected}
    failures = [] if found == expected else [f"the run's numbers {found} are not {expected}"]
    if len(numbers.get("DecisionAge", [])) != summary["stored"] + summary["rejected"]:
        failures.append("not every decided order's age was written")
    return failures


def _read_outcomes(system: LocalAuctionSystem, url: str, say: Callable[[str], None]) -> list[str]:
    say("Each order's outcome, as a client reads it (GET /orders/{record_id}, signed):")
    failures = []
    session = boto3.Session()
    for record in SEED_BATCH:
        status, answer = signed_get(session, f"{url}/{record['record_id']}")
        outcome = answer.get("outcome") or {}
        say(f"  {record['record_id']} -> {status} {answer.get('status')}, "
            f"power {outcome.get('power')}, run {outcome.get('run_id')}")  # fmt: skip
        if status != 200 or answer.get("status") not in ("accepted", "rejected"):
            failures.append(f"GET {record['record_id']} answered {status} {answer}")
    return failures


def _report_traces(system: LocalAuctionSystem, say: Callable[[str], None]) -> list[str]:
    say("X-Ray subsegments sent, per function:")
    failures = []
    for module, names in system.traced_subsegments().items():
        if not system.functions[module].invocations:
            continue  # not called in the demo (the scheduled synthetic check)
        say(f"  {module}: {', '.join(sorted(set(names))) or 'none'}")
        if not names:
            failures.append(f"{module} sent no trace")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assembly", type=Path, default=DEV_ASSEMBLY)
    parser.add_argument("--skip-synth", action="store_true", help="use the assembly as it is")
    options = parser.parse_args(argv)
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:5.1f}s] {line}", flush=True)

    if not options.skip_synth:
        say("Synthesizing the Dev stage, as the pipeline deploys it ...")
        synthesize(options.assembly)
    say("Starting the Dev stage on moto, from its synthesized template")
    failures = run_demo(options.assembly, say)
    for failure in failures:
        say(f"FAILED: {failure}")
    say("The whole flow ran end to end." if not failures else "The flow did not complete.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
