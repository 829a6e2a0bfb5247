"""Every synthesized template passes cdk-nag (AwsSolutions) and cfn-lint, with no finding."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.synth
PROJECT_ROOT = Path(__file__).parents[2]


def test_every_stack_was_checked_by_cdk_nag_and_nothing_is_left_unsuppressed(synthesized):
    reports = sorted(synthesized.outdir.glob("AwsSolutions-*-NagReport.csv"))
    # One report per stack: the pipeline's, and each stage's stacks.
    assert len(reports) == len(synthesized.stacks())
    for report in reports:
        rows = list(csv.DictReader(report.open()))
        assert rows, f"cdk-nag did not check {report.name}"
        unsuppressed = [r for r in rows if r["Compliance"] == "Non-Compliant"]
        assert unsuppressed == [], unsuppressed
        suppressed = [r for r in rows if r["Compliance"] == "Suppressed"]
        assert all(r["Exception Reason"].strip() for r in suppressed)


def test_no_construct_carries_an_error_annotation(synthesized):
    errors = [
        (path, entry["data"])
        for metadata_file in synthesized.outdir.rglob("*.metadata.json")
        for path, entries in json.loads(metadata_file.read_text()).items()
        for entry in entries
        if entry["type"] == "aws:cdk:error"
    ]

    assert errors == []


def test_cfn_lint_finds_nothing_in_any_template(synthesized):
    templates = sorted(str(path) for path in synthesized.outdir.rglob("*.template.json"))
    assert len(templates) >= 3
    # ... and the ones shipped beside the app: the CDK bootstrap and its execution policy.
    shipped = sorted(str(path) for path in (PROJECT_ROOT / "bootstrap").glob("*.yaml"))
    assert len(shipped) == 2
    templates += shipped

    result = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
        cwd=PROJECT_ROOT,  # reads .cfnlintrc.yaml
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.stdout == "", result.stdout
    assert result.returncode == 0, result.stderr


def test_every_check_checkov_skips_says_why(synthesized):
    skips = [
        (stack.name, logical_id, entry)
        for stack in synthesized.stacks()
        for logical_id, resource in stack.template()["Resources"].items()
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skips, "no skip found: the walk no longer reads checkov's metadata"
    assert [s for s in skips if len(s[2].get("comment", "").strip()) < 20] == []
    assert {s[2]["id"] for s in skips} <= {
        "CKV_AWS_18", "CKV_AWS_21", "CKV_AWS_27", "CKV_AWS_111", "CKV_AWS_115",
        "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_119", "CKV_AWS_120", "CKV_AWS_158",
        "CKV_AWS_173",
    }  # fmt: skip
