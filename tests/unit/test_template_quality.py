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


def test_each_stage_was_checked_by_cdk_nag_and_nothing_is_left_unsuppressed(synthesized):
    reports = {path.name: path for path in synthesized.outdir.glob("AwsSolutions-*-NagReport.csv")}
    for stage in ("Dev", "Staging", "Prod"):
        (report,) = [
            path for name, path in reports.items() if name.startswith(f"AwsSolutions-{stage}-")
        ]
        rows = list(csv.DictReader(report.open()))
        assert rows, f"cdk-nag did not check {stage}"
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

    result = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
        cwd=PROJECT_ROOT,  # reads .cfnlintrc.yaml
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.stdout == "", result.stdout
    assert result.returncode == 0, result.stderr
