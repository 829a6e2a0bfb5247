"""The tools the pipeline runs, run here on the synthesized assembly, with the pinned versions.

The pipeline's Assets stage runs `cdk-assets` on every asset manifest and its
self-mutation runs the CDK CLI on the assembly; a tool that cannot read the schema the
pinned aws-cdk-lib writes stops the first deployment. Here it stops a test instead.
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest

from stages.delivery_pipeline import npm_pin

pytestmark = pytest.mark.synth
PROJECT_ROOT = Path(__file__).parents[2]
NODE_BIN = PROJECT_ROOT / "node_modules" / ".bin"


def run(tool: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """A tool installed from package.json's pins (`make test` runs `npm ci` first)."""
    executable = NODE_BIN / tool
    assert executable.exists(), f"{executable} is missing: `make test` installs the npm pins"
    return subprocess.run(  # noqa: S603  (a pinned tool on the synthesized assembly)
        [str(executable), *arguments], capture_output=True, text=True, check=False, timeout=120
    )


def test_the_pinned_cdk_assets_reads_every_asset_manifest_of_the_app(synthesized):
    manifests = sorted(synthesized.outdir.rglob("*.assets.json"))
    assert len(manifests) == len(synthesized.stacks())  # one per stack

    with ThreadPoolExecutor(max_workers=4) as pool:
        listings = dict(zip(manifests, pool.map(
            lambda path: run("cdk-assets", "ls", "--path", str(path)), manifests
        ), strict=True))  # fmt: skip

    for path, listing in listings.items():
        assert listing.returncode == 0, f"{path.name}: {listing.stderr}"
        declared = json.loads(path.read_text())["files"]
        assert declared, path.name
        for asset_id in declared:
            assert asset_id in listing.stdout, f"{path.name}: {asset_id} not listed"


def test_the_pinned_cli_lists_every_stack_of_the_app(synthesized):
    listing = run("cdk", "ls", "--app", str(synthesized.outdir))

    assert listing.returncode == 0, listing.stderr
    listed = set(re.findall(r"^(\S+) \((\S+)\)$", listing.stdout, re.MULTILINE))
    assert listed == {(stack.name, stack.stack_name) for stack in synthesized.stacks()}


def test_the_pipeline_installs_the_very_tools_pinned_here(synthesized):
    projects = [
        json.loads(resource["Properties"]["Source"]["BuildSpec"])
        for resource in synthesized.pipeline_template()["Resources"].values()
        if resource["Type"] == "AWS::CodeBuild::Project"
    ]
    installs = [
        command
        for spec in projects
        for command in spec["phases"].get("install", {}).get("commands", [])
        if command.startswith("npm install -g")
    ]

    asset_installs = [c for c in installs if "cdk-assets" in c]
    assert asset_installs, "the pipeline publishes no asset"
    assert set(asset_installs) == {f"npm install -g cdk-assets@{npm_pin('cdk-assets')}"}
    assert f"npm install -g aws-cdk@{npm_pin('aws-cdk')}" in installs


def test_the_pins_agree_with_what_is_installed_and_locked():
    setup = configparser.ConfigParser()
    setup.read(PROJECT_ROOT / "setup.cfg")
    (cdk_lib,) = [
        line.strip()
        for line in setup["options.extras_require"]["dev"].splitlines()
        if line.strip().startswith("aws-cdk-lib")
    ]
    lock = json.loads((PROJECT_ROOT / "package-lock.json").read_text())["packages"]

    assert cdk_lib == f"aws-cdk-lib=={metadata.version('aws-cdk-lib')}"
    for package in ("aws-cdk", "cdk-assets"):
        installed = json.loads(
            (PROJECT_ROOT / "node_modules" / package / "package.json").read_text()
        )["version"]
        assert npm_pin(package) == lock[f"node_modules/{package}"]["version"] == installed


def test_the_docs_deploy_a_stack_the_cli_knows(synthesized):
    docs = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    deployed = [
        stack for doc in docs for stack in re.findall(r"npx cdk deploy ([\w/-]+)", doc.read_text())
    ]
    known = {stack.name for stack in synthesized.stacks()}

    assert deployed
    assert set(deployed) <= known, f"{deployed} are not among {sorted(known)}"
