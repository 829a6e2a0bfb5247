"""The Lambda packages are built without Docker, and the same inputs give the same bytes."""

from __future__ import annotations

import configparser
import email
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
    LAMBDA_PLATFORM,
    LAMBDA_PYTHON_VERSION,
    LAYER_REQUIREMENTS,
    LAYER_ROOT,
    PROJECT_ROOT,
    XRAY_SDK_REQUIREMENTS,
    BytecodeCompiler,
    PackagingError,
    build_code_asset,
    build_layer_asset,
    find_bytecode_compiler,
    layer_fingerprint,
)
from handlers.observability import TracingAdapter


def content_hash(folder: Path) -> str:
    """A hash of every file's relative path and bytes, as an asset hash depends on them."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pins(requirements: Path) -> dict[str, str]:
    """A requirements file's pins: each package's canonical name to its exact version."""
    found = {}
    for line in requirements.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pin = Requirement(line)
            (version,) = (spec.version for spec in pin.specifier if spec.operator == "==")
            found[canonicalize_name(pin.name)] = version
    return found


def test_the_layer_built_twice_from_scratch_is_byte_for_byte_the_same(tmp_path):
    first = build_layer_asset(XRAY_SDK_REQUIREMENTS, build_dir=tmp_path / "one")
    second = build_layer_asset(XRAY_SDK_REQUIREMENTS, build_dir=tmp_path / "two")

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
    """The tests import what setup.cfg allows; Lambda imports the layers' pins."""
    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / "setup.cfg")
    ranges = {
        canonicalize_name(requirement.name): requirement.specifier
        for line in config["options"]["install_requires"].splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for requirement in [Requirement(line)]
    }
    layers = [pins(requirements) for requirements in LAYER_REQUIREMENTS]

    assert set().union(*layers) == set(ranges)
    for layer in layers:
        for name, version in layer.items():
            assert ranges[name].contains(version, prereleases=True), (name, version)


# The Lambda runtime's own packages: boto3 and botocore, and what they need.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "urllib3", "six"}
)
# What pip would evaluate a requirement's markers with, in the functions' runtime.
LAMBDA_MARKERS = {
    "python_version": LAMBDA_PYTHON_VERSION,
    "python_full_version": f"{LAMBDA_PYTHON_VERSION}.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": LAMBDA_PLATFORM.rsplit("_", 1)[-1],
    "os_name": "posix",
    "extra": "",
}


@pytest.mark.parametrize("requirements", LAYER_REQUIREMENTS, ids=lambda path: path.name)
def test_each_layer_holds_its_pins_and_they_are_the_whole_closure(requirements):
    """pip installs the layers with --no-deps: a dependency missing from the pins, or pinned
    outside what a package requires, would only fail in Lambda, at import. (boto3, botocore
    and theirs come with the runtime.)"""
    layer = build_layer_asset(requirements) / "python"  # cached, as synthesis builds it
    pinned = pins(requirements)
    installed = {}
    for metadata in layer.glob("*.dist-info/METADATA"):
        message = email.message_from_string(metadata.read_text())
        installed[canonicalize_name(message["Name"])] = message
        for line in message.get_all("Requires-Dist") or []:
            needed = Requirement(line)
            name = canonicalize_name(needed.name)
            if name in RUNTIME_PROVIDED:
                continue
            if needed.marker is None or needed.marker.evaluate(LAMBDA_MARKERS):
                assert name in pinned, f"{message['Name']} needs {line}: not pinned"
                assert needed.specifier.contains(pinned[name], prereleases=True), (line, pinned)

    assert {name: message["Version"] for name, message in installed.items()} == pinned


def test_neither_tracing_adapter_s_layer_carries_the_other_s_packages():
    xray_sdk, opentelemetry = (set(pins(requirements)) for requirements in LAYER_REQUIREMENTS)

    assert "aws-xray-sdk" in xray_sdk - opentelemetry
    assert {"opentelemetry-sdk", "protobuf"} <= opentelemetry - xray_sdk


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
    layer = build_layer_asset(XRAY_SDK_REQUIREMENTS, build_dir=tmp_path, compiler=HERE) / "python"

    assert compiled_filename(layer / "attrs" / "__init__.py") == f"{LAYER_ROOT}/attrs/__init__.py"
    assert layer_fingerprint(XRAY_SDK_REQUIREMENTS, compiler=HERE) != layer_fingerprint(
        XRAY_SDK_REQUIREMENTS, compiler=None
    )


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
        lambda requirements, compiler: build_layer_asset(
            requirements, build_dir=tmp_path, compiler=compiler
        ),
    )

    code = functions.FunctionCode(Stack(App(outdir=str(tmp_path / "out")), "S"), "Code")
    code.layer(TracingAdapter.XRAY_SDK)

    handler = Path(code.code.path) / "handlers" / "post_orders.py"
    assert compiled_filename(handler) == f"{CODE_ROOT}/handlers/post_orders.py"
    layer = next(tmp_path.glob("layer-*")) / "python"
    assert compiled_filename(layer / "attrs" / "__init__.py") == f"{LAYER_ROOT}/attrs/__init__.py"


def test_every_layer_s_pins_are_audited_and_listed_in_an_sbom():
    """`make audit-layer` (the pipeline's build runs it), the pre-commit hook, `make sbom`."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    audit = makefile.split("\naudit-layer:", 1)[1].split("\n\n", 1)[0]
    sbom = makefile.split("\nsbom:", 1)[1].split("\n\n", 1)[0]
    hooks = (PROJECT_ROOT / ".pre-commit-config.yaml").read_text()

    for requirements in LAYER_REQUIREMENTS:
        path = str(requirements.relative_to(PROJECT_ROOT))
        assert f"--requirement {path}" in audit, path
        assert f"--requirement {path}" in hooks, path
        assert f"requirements {path} " in sbom, path
