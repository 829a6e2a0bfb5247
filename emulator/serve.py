"""`make serve`: the local auction system kept running for manual use.

POST /orders is served on loopback (SigV4, any local credentials: see the README for
curl). An auction run starts every `--every` seconds, as the hourly schedule would, and
at once on `kill -USR1 <pid>`; each run's stored results and alerts are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from emulator.demo import synthesize
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
        url = system.serve_api()
        print(f"POST /orders at {url}  (process {os.getpid()}; `kill -USR1 {os.getpid()}` runs the "
              f"auction now; Ctrl-C stops)", flush=True)  # fmt: skip
        seen: set[str] = set()
        try:
            while True:
                run_now.wait(options.every)
                run_now.clear()
                run = system.wait_for(system.start_run())
                print(f"run {run.execution_arn.rsplit(':', 1)[-1]}: {run.status} {run.error or ''}")
                for key, document in system.stored_results().items():
                    if key not in seen:
                        seen.add(key)
                        print(f"  stored s3://{system.results_bucket}/{key} {json.dumps(document)}")
                print(f"  orders in the table: {len(system.stored_orders())}", flush=True)
                for alert in system.new_alerts():
                    print(f"  alert: {alert['content']['title']}", flush=True)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
