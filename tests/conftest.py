"""Fixtures shared by every kind of test: a fake AWS account, and the app synthesized once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs
import pytest
from filelock import FileLock
from hypothesis import HealthCheck, settings

from emulator.template import stage_template_path

# Timing is `make bench`'s business, never a pass/fail threshold: a loaded CI machine must
# not fail a property because an example, or generating one, was slow.
settings.register_profile("untimed", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("untimed")

# Before boto3 or the CDK is first imported (by a test module or a fixture): no real AWS
# credentials can be used, and jsii keeps quiet about Node's age.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",  # pragma: allowlist secret (moto's public fake)
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
    JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
)
for variable in ("AWS_PROFILE", "AWS_XRAY_DAEMON_ADDRESS", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)


# cdk.json's settings, but staging alerts by e-mail and Slack, and traces each group of
# functions with the other adapter than dev, so that one synthesis shows both of each. Its
# accounts, as cdk.json's placeholders: the pipeline's (tooling) account and one per stage,
# four in all (tests/unit/test_accounts.py).
TEST_AUCTION_CONTEXT = json.loads((Path(__file__).parents[1] / "cdk.json").read_text())["context"][
    "auction"
]
TEST_AUCTION_CONTEXT["stages"]["staging"].update(
    alert_email="auction-oncall@example.com",
    slack={"workspace_id": "T0123456789", "channel_id": "C0123456789"},
    tracing={"api": "opentelemetry", "scheduled": "xray-sdk"},
)


@attrs.frozen
class SynthesizedStack:
    """One stack of the synthesized app, and the account it deploys to."""

    name: str  # as `cdk ls` displays it: EnergyAuctionPipeline/Dev/Auction
    stack_name: str
    account: str
    template_path: Path
    dependencies: tuple[str, ...]

    def template(self) -> dict[str, Any]:
        return json.loads(self.template_path.read_text())


class SynthesizedApp:
    """The synthesized app read back: the pipeline's template and each stage's."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir

    def stacks(self) -> list[SynthesizedStack]:
        """Every stack of the app, the stages' nested ones included, in manifest order."""
        found = []
        for directory in (self.outdir, *sorted(self.outdir.glob("assembly-*"))):
            manifest = json.loads((directory / "manifest.json").read_text())
            for artifact_id, artifact in manifest["artifacts"].items():
                if artifact["type"] != "aws:cloudformation:stack":
                    continue
                found.append(
                    SynthesizedStack(
                        name=artifact.get("displayName", artifact_id),
                        stack_name=artifact["properties"].get("stackName", artifact_id),
                        account=artifact["environment"].split("/")[2],
                        template_path=directory / artifact["properties"]["templateFile"],
                        dependencies=tuple(artifact.get("dependencies", ())),
                    )
                )
        return found

    def pipeline_template(self) -> dict[str, Any]:
        return json.loads((self.outdir / "EnergyAuctionPipeline.template.json").read_text())

    def stage_template_path(self, stage: str) -> Path:
        return stage_template_path(self.outdir, stage)

    def stage_template(self, stage: str) -> dict[str, Any]:
        return json.loads(self.stage_template_path(stage).read_text())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that need no synthesis first: while one process synthesizes the app, the
    others run those instead of waiting for it (pytest-xdist takes files in this order)."""
    items.sort(key=lambda item: "synthesized" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> SynthesizedApp:
    """The whole CDK app, synthesized once per test session (it takes seconds).

    With tests spread over processes (pytest-xdist), the first to need it synthesizes into
    the session's shared directory and the others wait for it and read it.
    """
    from pipeline_app import build_app

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    outdir = shared / "cdk.out"
    with FileLock(shared / "cdk.out.lock"):
        if not outdir.exists():
            partial = shared / "cdk.out.partial"
            build_app(auction_context=TEST_AUCTION_CONTEXT, outdir=str(partial)).synth()
            partial.rename(outdir)
    return SynthesizedApp(outdir)
