"""Lambda code and dependency layer, built without Docker.

The code asset holds `handlers/` and `domain/` only. The layer holds the pinned
third-party packages, installed by pip for the Lambda's platform from binary wheels, so
any machine with pip builds the same bytes; a built layer is cached under `.build/` by a
hash of everything that determines it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = PROJECT_ROOT / ".build"
CODE_PACKAGES = ("handlers", "domain")
LAYER_REQUIREMENTS = PROJECT_ROOT / "layer" / "requirements.txt"

# The Lambda platform the layer is built for; must match the functions' runtime.
LAMBDA_PYTHON_VERSION = "3.14"
LAMBDA_PLATFORM = "manylinux2014_aarch64"


def build_code_asset(target: Path = BUILD_DIR / "lambda-code") -> Path:
    """Copy the handler and domain packages (sources only) into `target`."""
    if target.exists():
        shutil.rmtree(target)
    for package in CODE_PACKAGES:
        shutil.copytree(
            PROJECT_ROOT / package,
            target / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    return target


def layer_fingerprint(requirements: Path = LAYER_REQUIREMENTS) -> str:
    """What determines the layer's content: the pins, the platform, the Python version."""
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{LAMBDA_PLATFORM}/{LAMBDA_PYTHON_VERSION}".encode())
    return digest.hexdigest()[:16]


def build_layer_asset(requirements: Path = LAYER_REQUIREMENTS, build_dir: Path = BUILD_DIR) -> Path:
    """The layer folder (`python/` inside, as Lambda expects), built once per fingerprint."""
    target = build_dir / f"layer-{layer_fingerprint(requirements)}"
    if (target / "python").is_dir():
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run(  # noqa: S603  (a fixed pip command line)
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
            "--only-binary=:all:", "--implementation", "cp",
            "--platform", LAMBDA_PLATFORM, "--python-version", LAMBDA_PYTHON_VERSION,
            "--target", str(staging / "python"), "--requirement", str(requirements),
        ],
        check=True,
    )  # fmt: skip
    staging.rename(target)
    return target
