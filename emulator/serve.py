"""`make serve`: the local auction system kept running for manual use.

The orders API is served on loopback, signed with SigV4 as in AWS, with the local
account's credentials (`testing` / `testing`, session token `testing`; see the README for
curl). The emulated AWS APIs are served on loopback too, for the AWS CLI
(`aws --endpoint-url ...`). An auction run starts every `--every` seconds, as the hourly
schedule would, and at once on `kill -USR1 <pid>`; each run's outcome is printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from emulator.demo import synthesize
from emulator.report.render import write_report
from emulator.system import LocalAuctionSystem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"))
    parser.add_argument("--every", type=float, default=60.0, help="seconds between runs")
    parser.add_argument("--skip-synth", action="store_true")
    options = parser.parse_args(argv)
    if not options.skip_synth:
        synthesize(options.assembly)
    run_now = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: run_now.set())
    with LocalAuctionSystem(options.assembly) as system:
        url, aws = system.serve_api(), system.serve_aws()
        print(f"The orders API: {url} (POST) and {url}/<record_id> (GET), signed with SigV4 "
              f"as in AWS, credentials testing / testing, session token testing\n"
              f"AWS APIs for the AWS CLI: aws --endpoint-url {aws} dynamodb scan --table-name "
              f"{system.orders_table}  (open to anyone on this machine)\n"
              f"Process {os.getpid()}: `kill -USR1 {os.getpid()}` runs the auction now; Ctrl-C "
              f"stops. Everything is in memory only.", flush=True)  # fmt: skip
        try:
            while True:
                run_now.wait(options.every)
                run_now.clear()
                run = system.wait_for(system.start_run())
                print(f"run {run.execution_arn.rsplit(':', 1)[-1]}: {run.status} {run.error or ''}")
                summary = (run.output or {}).get("summary")
                if summary:
                    kinds = ("stored", "rejected", "failed")
                    counts = ", ".join(f"{summary[kind]} {kind}" for kind in kinds)
                    print(f"  {summary['orders']} orders: {counts}")
                orders = system.stored_orders()
                open_orders = sum(1 for order in orders if "outcome" not in order)
                print(f"  orders in the table: {len(orders)}, {open_orders} open", flush=True)
                report = write_report(system, run, template_path=system.template_path,
                                      posted=[order["record_id"] for order in orders])  # fmt: skip
                print(f"  report: {report}", flush=True)
                for alert in system.new_alerts():
                    print(f"  alert: {alert['content']['title']}", flush=True)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
