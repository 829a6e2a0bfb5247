"""Secret scan of the repository's files with detect-secrets, with or without `.git`.

The pipeline's build gets the source as a zip without `.git` (CodePipeline's default
artifact), where `git ls-files` would list nothing and a scan of nothing would pass. The
files are listed instead as git would track them in a fresh repository: every file that
`.gitignore` does not exclude, in a checkout or not. No files at all is an error.

Usage: `python -m ops.secret_scan [directory]`; the exit status is detect-secrets-hook's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class NothingToScanError(Exception):
    """The directory holds no file to scan: the scan would pass without looking."""


def files_to_scan(directory: Path) -> list[str]:
    """Every file under `directory` that `.gitignore` does not exclude."""
    executable = shutil.which("git")
    if executable is None:
        raise SystemExit("git is needed to read .gitignore")
    with tempfile.TemporaryDirectory() as empty_repository:
        git = [executable, f"--git-dir={empty_repository}", f"--work-tree={directory}"]
        subprocess.run(  # noqa: S603  (a fixed git command line)
            [executable, "init", "--quiet", "--bare", empty_repository], check=True
        )
        listed = subprocess.run(  # noqa: S603  (a fixed git command line)
            [*git, "ls-files", "--others", "--exclude-standard", "-z"],
            check=True,
            capture_output=True,
            cwd=directory,
        ).stdout
    files = [name for name in listed.decode().split("\0") if name]
    if not files:
        raise NothingToScanError(f"no file to scan under {directory}")
    return files


def main(argv: list[str]) -> int:
    directory = Path(argv[0] if argv else ".").resolve()
    hook = shutil.which("detect-secrets-hook", path=str(Path(sys.executable).parent))
    if hook is None:
        raise SystemExit("detect-secrets-hook is not installed beside this Python")
    files = files_to_scan(directory)
    print(f"detect-secrets: scanning {len(files)} files under {directory}")
    scan = subprocess.run([hook, *files], cwd=directory, check=False)  # noqa: S603  (our files)
    return scan.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
