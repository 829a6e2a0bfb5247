"""`make serve`: the local auction system kept running for manual use.

The orders API is served on loopback, signed with SigV4 as in AWS, with the local
account's credentials (`testing` / `testing`, session token `testing`; see the README).
The emulated AWS APIs are served on loopback too, for the AWS CLI
(`aws --endpoint-url ... --region eu-west-1`). An auction run starts every `--every`
seconds, as the hourly schedule would, and at once on `kill -USR1 <pid>`; each run's
outcome, its numbers (the metrics it wrote), alerts and report are told when it ends. A
run takes the time it needs (10,000 orders take minutes) while both endpoints keep
serving; one that fails, or cannot be followed, is told, and the system stays up with its
data.
"""

from __future__ import annotations

import argparse
import math
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from emulator.demo import DEV_ASSEMBLY, synthesize
from emulator.report.render import REPORTS, write_report
from emulator.report.summary import cause_line, counts_line, numbers_line
from emulator.system import ENDED, LocalAuctionSystem, RunOutcome
from emulator.template import REGION

Wait = Callable[..., RunOutcome]  # (execution_arn, timeout_seconds=...) -> the ended run


class AuctionLoop:
    """Starts runs as the schedule would, one at a time, and tells each when it ends.

    The run's wait is asked for at most `poll_seconds` at a time (`wait` raises
    `TimeoutError` while the run goes on, as `LocalAuctionSystem.wait_for` does): a run
    still going is asked again on the next turn. A run is over only when its status says
    it ended: a wait that fails says nothing of the run, which goes on and is asked about
    again. A start asked for while a run goes on waits for it to end, so that each report
    holds one run's traces alone.
    """

    def __init__(
        self,
        system: LocalAuctionSystem,
        *,
        say: Callable[[str], None],
        wait: Wait | None = None,
        reports: Path = REPORTS,
        poll_seconds: float = 1.0,
    ) -> None:
        self.system = system
        self.running: str | None = None  # the execution ARN of the run going on
        self.last_run: RunOutcome | None = None  # the last run that ended
        self._say = say
        self._wait = wait or system.wait_for
        self._reports = reports
        self.poll_seconds = poll_seconds
        self._asked = False  # a start asked for while a run went on
        self._told_still_running = False
        self._told_failed_wait = ""  # the last failure of the wait told, said once

    def start(self) -> None:
        """Start a run now, or as soon as the one going on ends."""
        if self.running:
            self._asked = True
            self._say(f"run {_name(self.running)} still going: the next starts when it ends")
            return
        try:
            self.running = self.system.start_run()
        except Exception as error:  # the system stays up: say it, try again next time
            self._say(f"a run could not start: {_one_line(error)}")
            return
        self._told_still_running = False
        self._told_failed_wait = ""
        self._say(f"run {_name(self.running)} started")

    def follow(self) -> None:
        """Wait up to `poll_seconds` for the run going on; tell it if it ended."""
        if not self.running:
            return
        arn = self.running
        try:
            run = self._wait(arn, timeout_seconds=self.poll_seconds)
        except TimeoutError:
            if not self._told_still_running:
                self._say(f"run {_name(arn)} still running; the API and AWS endpoint serve on")
                self._told_still_running = True
            return
        except Exception as error:  # the run goes on all the same: ask again next turn
            told = _one_line(error)
            if told != self._told_failed_wait:
                self._say(f"run {_name(arn)} could not be followed: {told}; asking again")
                self._told_failed_wait = told
            return
        if run.status not in ENDED:
            return
        self.running = None
        self.tell(run)
        if self._asked:
            self._asked = False
            self.start()

    def tell(self, run: RunOutcome) -> None:
        """The run's outcome, its alerts and its report, a line each."""
        self.last_run = run
        say = self._say
        if run.status == "SUCCEEDED":
            summary = (run.output or {}).get("summary")
            say(
                f"run {run.name}: SUCCEEDED, "
                + (counts_line(summary) if summary else "no open orders")
            )
        else:
            say(f"run {run.name}: {run.status}, {cause_line(run.error, run.cause)}")
        try:
            orders = self.system.stored_orders()
            still_open = sum(1 for order in orders if "outcome" not in order)
            say(f"  orders in the table: {len(orders)}, {still_open} open")
            record = self.system.record_of(run)
            say(f"  numbers (CloudWatch metrics): {numbers_line(record.numbers) or 'none'}")
            for alert in record.alerts:
                say(f"  alert: {alert['content']['title']}")
            say(f"  report: {write_report(record, self._reports)}")
        except Exception as error:
            say(f"  the run's report could not be written: {_one_line(error)}")


def _name(execution_arn: str) -> str:
    return execution_arn.rsplit(":", 1)[-1]


def _one_line(error: Exception) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= 300 else text[:300] + "..."


def banner(system: LocalAuctionSystem, api_url: str, aws_url: str, pid: int) -> str:
    """What `make serve` prints first: where everything is, and commands that work as
    printed (tests/integration/test_serve.py runs them)."""
    aws = f"aws --endpoint-url {aws_url} --region {REGION}"
    return "\n".join(
        [
            f"The orders API: {api_url} (POST) and {api_url}/<record_id> (GET), signed with "
            "SigV4 as in AWS: access key testing, secret key testing, session token testing",
            "AWS APIs for the AWS CLI (open to anyone on this machine), with any credentials:",
            f"  {aws} dynamodb scan --table-name {system.orders_table}",
            f"  {aws} s3 ls s3://{system.results_bucket}/orders/ --recursive",
            f"  {aws} sqs receive-message --queue-url {system.alert_subscriber_queue_url} "
            "--max-number-of-messages 10",
            f"Process {pid}: `kill -USR1 {pid}` runs the auction now; Ctrl-C stops. "
            "Everything is in memory only.",
        ]
    )


class RunRequests:
    """`kill -USR1 <pid>` asks for a run, and wakes the loop at once.

    The interpreter writes each signal's number to a socket (`signal.set_wakeup_fd`) from
    its C-level handler; the Python handler does nothing. So no lock is taken inside a
    signal handler (one the interrupted loop holds, as `threading.Event` takes, would
    deadlock it), and the loop, asleep in `select` on that socket, wakes when one comes.
    Use as a context manager, from the main thread; it restores what it replaced.
    """

    def __init__(self, signum: int = signal.SIGUSR1) -> None:
        self.signum = signum
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = -1
        self._previous_handler: Any = signal.SIG_DFL

    def __enter__(self) -> RunRequests:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous_handler = signal.signal(self.signum, _noted)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        signal.signal(self.signum, self._previous_handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, less if a signal comes; whether a run was asked for since
        the last call (signals that came together ask for one run)."""
        select.select([self._reader], [], [], seconds)
        received = b""
        while True:
            try:
                chunk = self._reader.recv(4096)
            except (BlockingIOError, InterruptedError):
                break
            if not chunk:
                break
            received += chunk
        return self.signum in received


def _noted(*_: object) -> None:
    """SIGUSR1's Python handler: the signal is read from the wakeup socket instead."""


def serve(loop: AuctionLoop, every: float, asked: Callable[[float], bool]) -> None:
    """Start a run every `every` seconds and when one is `asked` for; follow the one going on.

    `asked(seconds)` sleeps up to `seconds` and says whether a run was asked for
    (`RunRequests.wait`).
    """
    due = time.monotonic() + every
    while True:
        pause = loop.poll_seconds if loop.running else max(0.0, due - time.monotonic())
        if asked(pause):
            loop.start()
        if time.monotonic() >= due:
            due = time.monotonic() + every
            loop.start()
        loop.follow()


def _stop(*_: object) -> None:
    raise KeyboardInterrupt


def seconds(text: str) -> float:
    """A number of seconds above 0, for `--every` (0 or less would start runs unceasingly)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds above 0, not {text}")
    return value


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line read; a bad one ends the process with argparse's usage and error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assembly", type=Path, default=DEV_ASSEMBLY)
    parser.add_argument("--every", type=seconds, default=60.0, help="seconds between runs (> 0)")
    parser.add_argument("--skip-synth", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    chosen = options(argv)
    if not chosen.skip_synth:
        synthesize(chosen.assembly)
    signal.signal(signal.SIGTERM, _stop)  # as Ctrl-C: the endpoints closed on the way out

    def say(line: str) -> None:
        print(line, flush=True)

    with RunRequests() as requests, LocalAuctionSystem(chosen.assembly) as system:
        say(banner(system, system.serve_api(), system.serve_aws(), os.getpid()))
        say(f"An auction run every {chosen.every:g} s (make serve EVERY=<seconds>)")
        try:
            serve(AuctionLoop(system, say=say), chosen.every, requests.wait)
        except KeyboardInterrupt:
            say("stopping: the run going on, if any, is stopped and waited for")
    return 0


if __name__ == "__main__":
    sys.exit(main())
