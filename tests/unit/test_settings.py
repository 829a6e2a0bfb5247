"""Per-stage settings from cdk.json: who is alerted, what traces, and what is refused
before synthesis."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from aws_cdk import Duration

from auction_constructs.alerts import AlertTargets, FromParameter, SlackChannel
from auction_constructs.auction_functions import TracingChoice
from auction_constructs.schedule import latest_useful_start
from handlers.observability import TracingAdapter
from stages.settings import load_pipeline_settings, load_stage_settings

CDK_JSON = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]["auction"]


def configured(**changes) -> dict:
    """cdk.json's `auction` settings with `changes` applied to stages or the pipeline."""
    auction = copy.deepcopy(CDK_JSON)
    for where, values in changes.items():
        target = auction["pipeline"] if where == "pipeline" else auction["stages"][where]
        target.update(values)
    return auction


def test_cdk_json_names_an_ssm_parameter_for_each_alert_target():
    stages = {s.name: s for s in load_stage_settings(CDK_JSON)}
    pipeline = load_pipeline_settings(CDK_JSON)

    assert stages["prod"].alerts == AlertTargets(
        slack=SlackChannel(
            workspace_id=FromParameter("/energy-auction/slack-workspace-id"),
            channel_id=FromParameter("/energy-auction/prod/slack-channel-id"),
        )
    )
    assert pipeline.alerts.slack.channel_id == FromParameter(
        "/energy-auction/pipeline/slack-channel-id"
    )


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_a_stage_that_must_alert_is_refused_with_nobody_to_alert(stage):
    auction = configured(**{stage: {"alert_email": None, "slack": None}})

    expected = (
        rf"stages\.{stage}: nobody would be alerted; set auction\.stages\.{stage}\.alert_email "
        rf"or auction\.stages\.{stage}\.slack"
    )
    with pytest.raises(ValueError, match=expected):
        load_stage_settings(auction)


def test_the_pipeline_is_refused_with_nobody_to_alert():
    auction = configured(pipeline={"alert_email": None, "slack": None})

    with pytest.raises(
        ValueError, match=r"auction\.pipeline\.alert_email or auction\.pipeline\.slack"
    ):
        load_pipeline_settings(auction)


def test_dev_may_alert_nobody():
    (dev, *_) = load_stage_settings(configured(dev={"alert_email": None, "slack": None}))

    assert not dev.alerts.anyone


def test_an_alert_target_is_a_literal_or_an_ssm_parameter():
    auction = configured(prod={"alert_email": "oncall@example.com", "slack": None},
                         staging={"alert_email": {"ssm": "/team/staging-email"}})  # fmt: skip
    stages = {s.name: s for s in load_stage_settings(auction)}

    assert stages["prod"].alerts.email == "oncall@example.com"
    assert stages["staging"].alerts.email == FromParameter("/team/staging-email")


@pytest.mark.parametrize("value", [{"ssm": ""}, {"parameter": "/x"}, 42, {"ssm": "/a b"}])
def test_a_malformed_alert_target_is_refused_naming_the_setting(value):
    with pytest.raises(ValueError, match=r"stages\.prod\.alert_email|'name' must match"):
        load_stage_settings(configured(prod={"alert_email": value}))


def test_a_slack_channel_needs_both_its_ids():
    with pytest.raises(ValueError, match=r"stages\.prod\.slack needs exactly"):
        load_stage_settings(configured(prod={"slack": {"channel_id": "C1"}}))


def test_a_late_hourly_start_must_end_before_the_next_one_starts():
    assert latest_useful_start(Duration.minutes(50)).to_seconds() == 600
    assert latest_useful_start(Duration.minutes(55)).to_seconds() == 300
    with pytest.raises(ValueError, match="leaves no time to start late"):
        latest_useful_start(Duration.seconds(3590))


def test_the_api_keeps_the_x_ray_sdk_and_only_dev_traces_the_scheduled_with_opentelemetry():
    """The dated decision (stages/settings.py), until cdk.json says otherwise for a stage."""
    stages = {stage.name: stage.tracing for stage in load_stage_settings(CDK_JSON)}

    assert stages == {
        "dev": TracingChoice(api=TracingAdapter.XRAY_SDK, scheduled=TracingAdapter.OPENTELEMETRY),
        "staging": TracingChoice(api=TracingAdapter.XRAY_SDK, scheduled=TracingAdapter.XRAY_SDK),
        "prod": TracingChoice(api=TracingAdapter.XRAY_SDK, scheduled=TracingAdapter.XRAY_SDK),
    }


def test_cdk_json_may_trace_a_group_of_a_stage_with_the_other_adapter():
    auction = configured(prod={"tracing": {"scheduled": "opentelemetry"}})

    stages = {s.name: s for s in load_stage_settings(auction)}

    assert stages["prod"].tracing.scheduled is TracingAdapter.OPENTELEMETRY
    assert stages["prod"].tracing.api is TracingAdapter.XRAY_SDK  # the other group as it was
    assert stages["staging"].tracing.scheduled is TracingAdapter.XRAY_SDK


@pytest.mark.parametrize(
    ("tracing", "expected"),
    [
        ({"api": "otel"}, r"stages\.dev\.tracing: each group's adapter is one of "
                          r"\['xray-sdk', 'opentelemetry'\]"),
        ({"hourly": "xray-sdk"}, r"stages\.dev\.tracing may name \['api', 'scheduled'\] only"),
        ("opentelemetry", r"stages\.dev\.tracing may name \['api', 'scheduled'\] only"),
    ],
)  # fmt: skip
def test_an_unknown_adapter_or_group_is_refused_naming_the_setting(tracing, expected):
    with pytest.raises(ValueError, match=expected):
        load_stage_settings(configured(dev={"tracing": tracing}))
