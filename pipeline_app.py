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

from stages.delivery_pipeline import DeliveryPipelineStack
from stages.settings import load_pipeline_settings, load_stage_settings

CDK_JSON = Path(__file__).with_name("cdk.json")


def build_app(*, auction_context: dict[str, Any] | None = None, **app_options: Any) -> cdk.App:
    """The app, with `cdk.json`'s context even when run without the CDK CLI.

    Context the CLI passes (`-c key=value`) still takes precedence; `auction_context`
    replaces `cdk.json`'s `auction` settings (tests use it).
    """
    context = json.loads(CDK_JSON.read_text())["context"]
    if auction_context is not None:
        context["auction"] = auction_context
    if "CDK_OUTDIR" not in os.environ:  # run as `python pipeline_app.py`, not by the CLI
        app_options.setdefault("outdir", "cdk.out")
    app = cdk.App(context=context, **app_options)
    auction = app.node.try_get_context("auction")
    pipeline = load_pipeline_settings(auction)
    DeliveryPipelineStack(
        app,
        "EnergyAuctionPipeline",
        pipeline=pipeline,
        stages=load_stage_settings(auction),
        env=cdk.Environment(account=pipeline.account, region=pipeline.region),
        stack_name="energy-auction-pipeline",
    )
    return app


if __name__ == "__main__":
    build_app().synth()
