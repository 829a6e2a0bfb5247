"""`make serve`'s command: it takes its interval (`make serve EVERY=600`), refuses one that
is not a number of seconds above 0, and takes `kill -USR1` without taking a lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.serve import RunRequests, options

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


@pytest.mark.parametrize("every", ["0", "-5", "nan", "inf", "soon"])
def test_every_must_be_a_number_of_seconds_above_0(every, capsys):
    with pytest.raises(SystemExit) as refused:
        options(["--every", every, "--skip-synth"])

    assert refused.value.code == 2  # argparse's usage error, before anything starts
    error = capsys.readouterr().err
    assert "argument --every:" in error
    assert every in error


def test_every_takes_a_fraction_of_a_second():
    assert options(["--every", "0.5"]).every == 0.5


# Run in a child process: it installs signal handlers, and a deadlock would hang it.
SIGNAL_AT_EVERY_LINE = """
import signal, sys
from emulator.serve import RunRequests

with RunRequests() as requests:
    handler = signal.getsignal(signal.SIGUSR1)
    raised = []

    def tracer(frame, event, arg):
        # A SIGUSR1 at each line the wait runs (the first 200): its handler runs there,
        # wherever that is, as a signal from `kill` may arrive. A handler that took a lock
        # the wait holds (threading.Event's) would never return.
        inside_handler = any(f.f_code is handler.__code__ for f in _frames(frame))
        if event == "line" and not inside_handler and len(raised) < 200:
            raised.append(frame.f_code.co_name)
            signal.raise_signal(signal.SIGUSR1)
        return tracer

    def _frames(frame):
        while frame is not None:
            yield frame
            frame = frame.f_back

    sys.settrace(tracer)
    first = requests.wait(0)
    sys.settrace(None)
    second = requests.wait(0)
print(first, second, "wait" in raised)
"""


def test_a_signal_at_any_point_of_the_wait_asks_for_one_run_and_never_blocks_it():
    finished = subprocess.run(  # noqa: S603  (this interpreter, on the code above)
        [sys.executable, "-c", SIGNAL_AT_EVERY_LINE],
        cwd=ROOT, capture_output=True, text=True, timeout=300,  # only if it hangs
    )  # fmt: skip

    assert finished.returncode == 0, finished.stderr
    # Asked for once, then not again; and signals did come inside the wait.
    assert finished.stdout.split() == ["True", "False", "True"]


def test_a_signal_wakes_the_wait_and_is_told_once():
    with RunRequests() as requests:
        assert requests.wait(0) is False
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR1)

        assert requests.wait(600) is True  # at once: the signal is already there
        assert requests.wait(0) is False
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL  # what it replaced
