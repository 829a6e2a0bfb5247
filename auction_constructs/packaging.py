"""Lambda code and dependency layer, built without Docker.

The code asset holds `handlers/` and `domain/` only. A layer holds pinned third-party
packages, installed by pip for the Lambda's platform from binary wheels, so any machine
with pip builds the same bytes; a built layer is cached under `.build/` by a hash of
everything that determines it. There is one layer per tracing adapter, so that a function
carries its own adapter's packages and not the other's (`LAYER_REQUIREMENTS`).

Both carry bytecode when an interpreter of the Lambda's Python version is at hand: a
Lambda's file system is read-only, so sources alone are compiled again at every cold
start (about 50 ms for these handlers, as `make bench` shows). Bytecode must come from
that exact version; with none found, the packages hold sources only and synthesis says so.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import attrs

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = PROJECT_ROOT / ".build"
CODE_PACKAGES = ("handlers", "domain")
# Each layer's pins: the whole closure, installed with --no-deps.
XRAY_SDK_REQUIREMENTS = PROJECT_ROOT / "layer" / "requirements.txt"
OPENTELEMETRY_REQUIREMENTS = PROJECT_ROOT / "layer" / "requirements-opentelemetry.txt"
LAYER_REQUIREMENTS = (XRAY_SDK_REQUIREMENTS, OPENTELEMETRY_REQUIREMENTS)

# The Lambda platform the layer is built for; must match the functions' runtime.
LAMBDA_PYTHON_VERSION = "3.14"
LAMBDA_PLATFORM = "manylinux2014_aarch64"
# Where Lambda puts the function's code and a layer's `python/` folder.
CODE_ROOT = "/var/task"
LAYER_ROOT = "/opt/python"
# An interpreter to compile with; without it, `python3.14` is looked for on the PATH.
COMPILER_VARIABLE = "LAMBDA_BYTECODE_PYTHON"


class PackagingError(Exception):
    """The packages cannot be built as configured."""


@attrs.frozen
class BytecodeCompiler:
    """A Python interpreter that compiles a package folder for where Lambda installs it."""

    python: Path
    version: str

    def compile(self, folder: Path, installed_at: str) -> None:
        """Write bytecode beside each source, naming the source by its path in Lambda.

        Unchecked-hash bytecode is never compared with its source's time stamp (a
        read-only file system cannot go stale) and is the same bytes on every build.
        """
        subprocess.run(  # noqa: S603  (a fixed compileall command line)
            [
                str(self.python), "-m", "compileall", "-q", "-s", str(folder), "-p", installed_at,
                "--invalidation-mode", "unchecked-hash", str(folder),
            ],
            check=True,
        )  # fmt: skip


def find_bytecode_compiler(version: str = LAMBDA_PYTHON_VERSION) -> BytecodeCompiler | None:
    """The interpreter of `version` to compile with: $LAMBDA_BYTECODE_PYTHON or `pythonX.Y`.

    A configured interpreter of another version is an error, never silently used.
    """
    configured = os.environ.get(COMPILER_VARIABLE)
    if not configured:
        on_path = shutil.which(f"python{version}")
        found = on_path and _python_version(on_path)  # a version manager's shim may not run
        return BytecodeCompiler(Path(on_path), version) if found == version else None
    found = _python_version(configured)
    if found != version:
        raise PackagingError(
            f"{COMPILER_VARIABLE}={configured} is Python {found or '(does not run)'}; the "
            f"functions run Python {version}, whose bytecode only that version can write"
        )
    return BytecodeCompiler(Path(configured), version)


@functools.cache
def lambda_bytecode_compiler() -> BytecodeCompiler | None:
    """The compiler for this synthesis, found once; says so when there is none."""
    compiler = find_bytecode_compiler()
    if compiler is None:
        print(
            f"note: no Python {LAMBDA_PYTHON_VERSION} found (set {COMPILER_VARIABLE}); the "
            "Lambda packages hold sources only and each cold start compiles them",
            file=sys.stderr,
        )
    return compiler


def _python_version(python: str) -> str | None:
    """`X.Y` of the interpreter at `python`, or None if it does not run."""
    try:
        run = subprocess.run(  # noqa: S603  (asks an interpreter its version)
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return run.stdout.strip()


def build_code_asset(
    target: Path = BUILD_DIR / "lambda-code", compiler: BytecodeCompiler | None = None
) -> Path:
    """Copy the handler and domain packages into `target`, compiled when a compiler is given."""
    if target.exists():
        shutil.rmtree(target)
    for package in CODE_PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package,
            target / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    if compiler is not None:
        compiler.compile(target, installed_at=CODE_ROOT)
    return target


def layer_fingerprint(requirements: Path, compiler: BytecodeCompiler | None = None) -> str:
    """What determines the layer's content: the pins, the platform, the Python, bytecode."""
    digest = hashlib.sha256(requirements.read_bytes())
    bytecode = compiler.version if compiler else "none"
    digest.update(f"{LAMBDA_PLATFORM}/{LAMBDA_PYTHON_VERSION}/bytecode-{bytecode}".encode())
    return digest.hexdigest()[:16]


def build_layer_asset(
    requirements: Path,
    build_dir: Path = BUILD_DIR,
    compiler: BytecodeCompiler | None = None,
) -> Path:
    """The layer folder (`python/` inside, as Lambda expects), built once per fingerprint.

    Built aside, then renamed into place: two builds at once (a synthesis and a test) each
    build their own, and the first to finish is kept.
    """
    target = build_dir / f"layer-{layer_fingerprint(requirements, compiler)}"
    if (target / "python").is_dir():
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=build_dir))
    staging.chmod(0o755)
    subprocess.run(  # noqa: S603  (a fixed pip command line)
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
            "--only-binary=:all:", "--implementation", "cp",
            "--platform", LAMBDA_PLATFORM, "--python-version", LAMBDA_PYTHON_VERSION,
            "--target", str(staging / "python"), "--requirement", str(requirements),
        ],
        check=True,
    )  # fmt: skip
    if compiler is not None:
        compiler.compile(staging / "python", installed_at=LAYER_ROOT)
    try:
        staging.rename(target)
    except OSError:  # another build of the same fingerprint finished first
        shutil.rmtree(staging)
    return target
