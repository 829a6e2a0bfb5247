"""The Lambda packages are built without Docker, and the same inputs give the same bytes."""

from __future__ import annotations

import configparser
import hashlib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from auction_constructs.packaging import (
    LAYER_REQUIREMENTS,
    PROJECT_ROOT,
    build_code_asset,
    build_layer_asset,
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
