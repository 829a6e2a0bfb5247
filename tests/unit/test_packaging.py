"""The Lambda packages are built without Docker, and the same inputs give the same bytes."""

from __future__ import annotations

import configparser
import hashlib
import importlib.util
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from auction_constructs import functions
from auction_constructs.functions import RUNTIME
from auction_constructs.packaging import (
    CODE_ROOT,
    COMPILER_VARIABLE,
    LAMBDA_PYTHON_VERSION,
    LAYER_REQUIREMENTS,
    LAYER_ROOT,
    PROJECT_ROOT,
    BytecodeCompiler,
    PackagingError,
    build_code_asset,
    build_layer_asset,
    find_bytecode_compiler,
    layer_fingerprint,
)


def content_hash(folder: Path) -> str:
    """A hash of every file's relative path and bytes, as an asset hash depends on them."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_the_layer_built_twice_from_scratch_is_byte_for_byte_the_same(tmp_path):
    first = build_layer_asset(build_dir=tmp_path / "one")
    second = build_layer_asset(build_dir=tmp_path / "two")

    assert content_hash(first) == content_hash(second)
    installed = {p.name.split("-")[0] for p in (first / "python").glob("*.dist-info")}
    assert installed == {"attrs", "aws_xray_sdk", "wrapt"}
    assert not list(first.rglob("*.pyc"))


def test_the_layer_is_rebuilt_only_when_its_inputs_change(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("attrs==26.1.0\n")
    before = layer_fingerprint(requirements)
    requirements.write_text("attrs==25.4.0\n")

    assert layer_fingerprint(requirements) != before


def test_the_code_asset_is_the_same_for_the_same_sources(tmp_path):
    assert content_hash(build_code_asset(tmp_path / "a")) == content_hash(
        build_code_asset(tmp_path / "b")
    )


def test_every_layer_pin_is_within_the_range_the_tests_run_against():
    """The tests import what setup.cfg allows; Lambda imports the layer's pins."""
    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / "setup.cfg")
    ranges = {
        canonicalize_name(requirement.name): requirement.specifier
        for line in config["options"]["install_requires"].splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for requirement in [Requirement(line)]
    }
    pins = [
        Requirement(line)
        for line in LAYER_REQUIREMENTS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    assert {canonicalize_name(pin.name) for pin in pins} == set(ranges)
    for pin in pins:
        (version,) = (spec.version for spec in pin.specifier)
        assert ranges[canonicalize_name(pin.name)].contains(version), pin


# This machine's own Python stands in for the Lambda's: bytecode is the same mechanism
# for every version, and only an interpreter of the target version may write it.
HERE = BytecodeCompiler(Path(sys.executable), f"{sys.version_info.major}.{sys.version_info.minor}")


def compiled_filename(source: Path) -> str:
    """The file name a source's shipped bytecode gives in tracebacks."""
    compiled = Path(importlib.util.cache_from_source(str(source)))
    code = marshal.loads(compiled.read_bytes()[16:])  # noqa: S302  (our own build's output)
    return code.co_filename


def test_bytecode_names_each_source_by_its_path_in_lambda_and_is_reproducible(tmp_path):
    first = build_code_asset(tmp_path / "a", compiler=HERE)
    second = build_code_asset(tmp_path / "b", compiler=HERE)

    sources = sorted(first.rglob("*.py"))
    assert sources
    for source in sources:
        assert compiled_filename(source) == f"{CODE_ROOT}/{source.relative_to(first).as_posix()}"
    assert content_hash(first) == content_hash(second)


def test_a_cold_start_runs_the_shipped_bytecode_without_compiling_the_sources(tmp_path):
    asset = build_code_asset(tmp_path / "code", compiler=HERE)
    (asset / "domain" / "expiry.py").write_text("raise SystemExit('compiled at import')\n")

    imported = subprocess.run(
        [sys.executable, "-c", "import domain.expiry as m; print(m.RETENTION_SECONDS)"],
        env={**os.environ, "PYTHONPATH": str(asset), "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert (imported.returncode, imported.stdout.strip()) == (0, "86400")


def test_the_layer_is_compiled_for_where_lambda_mounts_it(tmp_path):
    layer = build_layer_asset(build_dir=tmp_path, compiler=HERE) / "python"

    assert compiled_filename(layer / "attrs" / "__init__.py") == f"{LAYER_ROOT}/attrs/__init__.py"
    assert layer_fingerprint(compiler=HERE) != layer_fingerprint(compiler=None)


def test_an_interpreter_of_another_python_version_is_refused(monkeypatch):
    monkeypatch.setenv(COMPILER_VARIABLE, sys.executable)

    with pytest.raises(PackagingError, match=r"is Python 3\.\d+; the functions run Python 2\.7"):
        find_bytecode_compiler(version="2.7")


def test_without_an_interpreter_of_that_version_none_is_found(monkeypatch):
    monkeypatch.delenv(COMPILER_VARIABLE, raising=False)

    assert find_bytecode_compiler(version="0.1") is None


def test_a_configured_interpreter_of_the_right_version_is_used(monkeypatch):
    monkeypatch.setenv(COMPILER_VARIABLE, sys.executable)

    assert find_bytecode_compiler(version=HERE.version) == HERE


def test_the_packages_are_built_for_the_python_the_functions_run():
    assert RUNTIME.name == f"python{LAMBDA_PYTHON_VERSION}"


def test_the_functions_code_and_layer_carry_the_bytecode_of_the_compiler_found(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(functions, "lambda_bytecode_compiler", lambda: HERE)
    monkeypatch.setattr(
        functions,
        "build_code_asset",
        lambda compiler: build_code_asset(tmp_path / "code", compiler),
    )
    monkeypatch.setattr(
        functions,
        "build_layer_asset",
        lambda compiler: build_layer_asset(build_dir=tmp_path, compiler=compiler),
    )

    code = functions.FunctionCode(Stack(App(outdir=str(tmp_path / "out")), "S"), "Code")

    handler = Path(code.code.path) / "handlers" / "post_orders.py"
    assert compiled_filename(handler) == f"{CODE_ROOT}/handlers/post_orders.py"
    layer = next(tmp_path.glob("layer-*")) / "python"
    assert compiled_filename(layer / "attrs" / "__init__.py") == f"{LAYER_ROOT}/attrs/__init__.py"
