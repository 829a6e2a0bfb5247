"""The CDK app. Until the delivery pipeline lands, it synthesizes the three stages directly."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from stages.auction_stage import AuctionStage
from stages.settings import load_stage_settings

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
    for settings in load_stage_settings(app.node.try_get_context("auction")):
        AuctionStage(app, settings.name.title(), settings=settings)
    return app


if __name__ == "__main__":
    build_app().synth()
