"""The CDK app: the self-mutating delivery pipeline, which deploys dev, staging and prod.

`python pipeline_app.py` (or `npx cdk synth`) synthesizes it offline: no AWS credentials
and no Docker. Settings come from `cdk.json` (context key `auction`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from stages.delivery_pipeline import DeliveryPipelineStack, deployed_stage
from stages.settings import load_pipeline_settings, load_stage_settings

CDK_JSON = Path(__file__).with_name("cdk.json")
PIPELINE_ID = "EnergyAuctionPipeline"


def build_app(*, auction_context: dict[str, Any] | None = None, **app_options: Any) -> cdk.App:
    """The app, with `cdk.json`'s context even when run without the CDK CLI.

    Context the CLI passes (`-c key=value`) still takes precedence; `auction_context`
    replaces `cdk.json`'s `auction` settings (tests use it).
    """
    app = _app_with_context(auction_context, app_options)
    auction = app.node.try_get_context("auction")
    pipeline = load_pipeline_settings(auction)
    DeliveryPipelineStack(
        app,
        PIPELINE_ID,
        pipeline=pipeline,
        stages=load_stage_settings(auction),
        env=cdk.Environment(account=pipeline.account, region=pipeline.region),
        stack_name="energy-auction-pipeline",
    )
    return app


def build_stage_app(
    stage: str, *, auction_context: dict[str, Any] | None = None, **app_options: Any
) -> cdk.App:
    """One stage alone, built as the pipeline builds it, in about half the time of the
    whole app: what the local emulation runs (`make demo`, `make serve`)."""
    app = _app_with_context(auction_context, app_options)
    auction = app.node.try_get_context("auction")
    stages = load_stage_settings(auction)
    (settings,) = [s for s in stages if s.name == stage]
    # At the construct path it has in the pipeline: some logical IDs are derived from it.
    in_place = Construct(app, PIPELINE_ID)
    deployed_stage(in_place, settings, load_pipeline_settings(auction), stages)
    return app


def _app_with_context(auction_context: dict[str, Any] | None, app_options: Any) -> cdk.App:
    context = json.loads(CDK_JSON.read_text())["context"]
    if auction_context is not None:
        context["auction"] = auction_context
    if "CDK_OUTDIR" not in os.environ:  # run as `python pipeline_app.py`, not by the CLI
        app_options.setdefault("outdir", "cdk.out")
    return cdk.App(context=context, **app_options)


if __name__ == "__main__":
    build_app().synth()
