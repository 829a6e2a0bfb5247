"""Every feature flag aws-cdk-lib recommends is set as recommended, or left unset for a reason.

The recommendations come from the installed aws-cdk-lib itself, so an upgrade that adds
flags fails here until someone decides each one (docs/feature-flags.md).
"""

from __future__ import annotations

import json
import re
import tarfile
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REVIEW = ROOT / "docs" / "feature-flags.md"
UNSET_ROW = re.compile(r"^\| `(@[^`]+)` \| (.+) \|$", re.MULTILINE)


@pytest.fixture(scope="module")
def recommended() -> dict[str, Any]:
    """aws-cdk-lib's recommended values, read from its package without starting jsii."""
    (package_dir,) = find_spec("aws_cdk").submodule_search_locations
    tarball = Path(package_dir) / "_jsii" / f"aws-cdk-lib@{version('aws-cdk-lib')}.jsii.tgz"
    with tarfile.open(tarball) as package:
        return json.load(package.extractfile("package/recommended-feature-flags.json"))


@pytest.fixture(scope="module")
def configured() -> dict[str, Any]:
    return json.loads((ROOT / "cdk.json").read_text())["context"]


@pytest.fixture(scope="module")
def left_unset() -> dict[str, str]:
    """The flags docs/feature-flags.md leaves unset, with the reason written for each."""
    review = REVIEW.read_text().split("## Left unset", 1)[1]
    return dict(UNSET_ROW.findall(review))


def test_every_recommended_flag_is_set_as_recommended_or_left_unset_with_a_reason(
    recommended, configured, left_unset
):
    undecided = {
        flag: value
        for flag, value in recommended.items()
        if flag not in left_unset and configured.get(flag) != value
    }

    assert undecided == {}, "set these in cdk.json, or say in docs/feature-flags.md why not"


def test_the_flags_said_to_be_unset_are_unset_and_still_exist(recommended, configured, left_unset):
    assert left_unset, "the review's table of unset flags was not found"
    assert all(reason.strip() for reason in left_unset.values())
    assert set(left_unset) <= set(recommended)
    assert not set(left_unset) & set(configured)


# What cdk.json sets under `@aws-cdk/...` that is a setting of this app, not a flag.
SETTINGS = {"@aws-cdk/core:permissionsBoundary"}


def test_cdk_json_sets_no_flag_but_the_recommended_ones(recommended, configured):
    """A flag outside the recommended list is one of v1's, whose v2 default already holds
    (aws-cdk-lib's FEATURE_FLAGS.md), or one aws-cdk-lib no longer reads: noise either way."""
    flags = {key for key in configured if key.startswith("@aws-cdk")}

    assert flags - SETTINGS - set(recommended) == set()
