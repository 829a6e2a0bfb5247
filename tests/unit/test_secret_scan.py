"""The build's secret scan looks at the files git would track, even without `.git`.

The repository itself is scanned by `make secrets`, which the pipeline's build, GitHub
Actions and `.ci/run` run beside `make test`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ops.secret_scan import NothingToScanError, files_to_scan, main

REPOSITORY = Path(__file__).parents[2]
# Put together here, so that this file holds no secret for the scanner to find.
LEAKED = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow\n-----END " + "RSA PRIVATE KEY-----\n"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A source tree as the pipeline gets it: a zip's content, no `.git`."""
    (tmp_path / ".gitignore").write_text(".venv/\n")
    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "installed.py").write_text(LEAKED)
    return tmp_path


def test_without_git_it_lists_what_gitignore_does_not_exclude(source):
    assert sorted(files_to_scan(source)) == [".gitignore", "app.py"]


def test_a_committed_secret_fails_the_scan_and_an_ignored_one_does_not(source, capfd):
    assert main([str(source)]) == 0

    (source / "settings.py").write_text(LEAKED)

    assert main([str(source)]) != 0
    assert "settings.py" in capfd.readouterr().out


def test_nothing_to_scan_is_an_error_not_a_pass(tmp_path):
    with pytest.raises(NothingToScanError, match="no file to scan"):
        files_to_scan(tmp_path)


@pytest.mark.skipif(not (REPOSITORY / ".git").exists(), reason="not a git checkout")
def test_in_a_checkout_it_scans_at_least_every_tracked_file():
    git = shutil.which("git")
    assert git is not None
    tracked = subprocess.run(  # noqa: S603  (git, listing this repository)
        [git, "ls-files"], cwd=REPOSITORY, check=True, capture_output=True, text=True
    ).stdout.split()

    assert set(tracked) <= set(files_to_scan(REPOSITORY))
