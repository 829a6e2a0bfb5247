"""Per-stage settings in one typed, validated place.

Defaults live here; `cdk.json` (context key `auction`) supplies what differs per
installation: accounts and alert targets, and may choose another tracing adapter for a
stage. An unknown stage or setting is an error, and so is a stage that must alert
(staging, prod, the pipeline) with nobody to alert.

An alert target is a literal (`"oncall@example.com"`) or the name of an SSM parameter
that CloudFormation reads when it deploys (`{"ssm": "/energy-auction/prod/alert-email"}`),
which keeps account-specific values out of git; nothing is looked up at synthesis.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
from aws_cdk import aws_logs as logs

from auction_constructs.alerts import AlertTargets, Configured, FromParameter, SlackChannel
from auction_constructs.auction_functions import TracingChoice
from auction_constructs.auction_workflow import worst_task_seconds
from domain.polling import PollingPolicy
from handlers.observability import TracingAdapter

REGION = "eu-west-1"
STAGE_ORDER = ("dev", "staging", "prod")
# Stages whose alarms and failed orders must reach someone before they may deploy.
MUST_ALERT = frozenset({"staging", "prod"})
_ACCOUNT = re.compile(r"^\d{12}$")


def _account(_instance: Any, _attribute: attrs.Attribute, value: str) -> None:
    if not _ACCOUNT.match(value):
        raise ValueError(f"account must be 12 digits, not {value!r}")


# Decided 2026-12-02 from `make bench` (README, "Tracing"): OpenTelemetry's imports cost the
# API's functions more than their cold-start budget leaves, so they keep the X-Ray SDK
# everywhere; review by 25 Feb 2027 (the SDK's end of support, by one AWS page), or sooner
# on a security advisory against aws-xray-sdk. The scheduled functions, where nobody
# waits, move to OpenTelemetry in dev first: that its spans reach X-Ray through Lambda's
# daemon (OTLP over UDP) without Transaction Search is what the ADOT exporter is built for,
# but no AWS page found says so. Staging and prod follow once dev's console shows them
# (docs/deploying.md, "Moving the scheduled functions to OpenTelemetry").
XRAY_SDK_ONLY = TracingChoice(api=TracingAdapter.XRAY_SDK, scheduled=TracingAdapter.XRAY_SDK)
TRACING = {
    "dev": TracingChoice(api=TracingAdapter.XRAY_SDK, scheduled=TracingAdapter.OPENTELEMETRY),
    "staging": XRAY_SDK_ONLY,
    "prod": XRAY_SDK_ONLY,
}


@attrs.frozen
class StageSettings:
    """Everything that differs between dev, staging and prod."""

    name: str = attrs.field(validator=attrs.validators.in_(STAGE_ORDER))
    account: str = attrs.field(validator=_account)
    api_rate_limit: float
    api_burst_limit: int
    polling: PollingPolicy
    chunk_concurrency: int
    run_timeout_minutes: int
    log_retention: logs.RetentionDays
    retain_data: bool
    # Prod: CodeDeploy shifts the functions' aliases (canary for the API's), rolling back on
    # alarms. Dev and staging shift at once: no client's traffic to protect there, and a
    # canary would add minutes to every push before staging's bake gate looks anyway.
    gradual_release: bool
    smoke_test: bool  # after it deploys, the pipeline posts a batch and runs the workflow
    bake_minutes: int  # after that, the pipeline watches its alarms this long (0: not)
    region: str = REGION
    alerts: AlertTargets = attrs.field(factory=AlertTargets)
    tracing: TracingChoice = XRAY_SDK_ONLY

    def __attrs_post_init__(self) -> None:
        if self.name in MUST_ALERT and not self.alerts.anyone:
            raise ValueError(_nobody_to_alert(f"stages.{self.name}"))
        # Every wait plus every attempt at Lambda A, each in its worst case, must end before
        # the run times out, or the run would time out instead of giving up and alerting.
        worst_case = (
            self.polling.total_wait_seconds() + self.polling.max_attempts * worst_task_seconds()
        )
        if worst_case >= self.run_timeout_minutes * 60:
            raise ValueError(
                f"{self.name}: polling may take {worst_case} s, beyond the "
                f"{self.run_timeout_minutes}-minute run timeout"
            )

    def resource_name(self, base: str) -> str:
        """`base` suffixed with the stage, so stages can share an account."""
        return f"{base}-{self.name}"


_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "api_rate_limit": 10,
        "api_burst_limit": 20,
        "polling": PollingPolicy(first_delay_seconds=30, max_delay_seconds=300, max_attempts=6),
        "chunk_concurrency": 5,
        "run_timeout_minutes": 50,
        "log_retention": logs.RetentionDays.ONE_WEEK,
        "retain_data": False,
        "gradual_release": False,
        "smoke_test": False,
        "bake_minutes": 0,  # every push deploys dev: nobody waits on it
    },
    "staging": {
        "api_rate_limit": 50,
        "api_burst_limit": 100,
        "polling": PollingPolicy(first_delay_seconds=30, max_delay_seconds=300, max_attempts=8),
        "chunk_concurrency": 10,
        "run_timeout_minutes": 55,
        "log_retention": logs.RetentionDays.ONE_MONTH,
        "retain_data": False,
        "gradual_release": False,
        "smoke_test": True,
        "bake_minutes": 10,  # two alarm periods, before anyone may approve prod
    },
    "prod": {
        "api_rate_limit": 100,
        "api_burst_limit": 200,
        "polling": PollingPolicy(first_delay_seconds=30, max_delay_seconds=300, max_attempts=8),
        "chunk_concurrency": 10,
        "run_timeout_minutes": 55,
        "log_retention": logs.RetentionDays.THREE_MONTHS,
        "retain_data": True,
        "gradual_release": True,
        "smoke_test": False,  # it would write to prod's table and run its auction
        "bake_minutes": 10,  # after the canary: a failure alerts and stops the pipeline
    },
}

_CONFIGURABLE = frozenset({"account", "alert_email", "slack", "tracing"})


@attrs.frozen
class PipelineSettings:
    """Where the delivery pipeline lives, what it watches, and whom it tells."""

    account: str = attrs.field(validator=_account)
    connection_arn: str = attrs.field(
        validator=attrs.validators.matches_re(
            r"^arn:aws:(codestar-connections|codeconnections):.+$"
        )
    )
    repository: str = attrs.field(validator=attrs.validators.matches_re(r"^[\w.-]+/[\w.-]+$"))
    branch: str = "master"
    region: str = REGION
    alerts: AlertTargets = attrs.field(factory=AlertTargets)

    def __attrs_post_init__(self) -> None:
        if not self.alerts.anyone:
            raise ValueError(_nobody_to_alert("pipeline"))


def _nobody_to_alert(where: str) -> str:
    return (
        f"{where}: nobody would be alerted; set auction.{where}.alert_email or "
        f'auction.{where}.slack in cdk.json (a literal, or {{"ssm": "<parameter name>"}})'
    )


def load_pipeline_settings(context: Mapping[str, Any]) -> PipelineSettings:
    """The pipeline's settings, from `cdk.json`'s `auction.pipeline`."""
    configured = dict(context["pipeline"])
    alerts = _alert_targets(
        "pipeline", configured.pop("alert_email", None), configured.pop("slack", None)
    )
    return PipelineSettings(alerts=alerts, **configured)


def load_stage_settings(context: Mapping[str, Any]) -> tuple[StageSettings, ...]:
    """The settings of dev, staging and prod, from `cdk.json`'s `auction.stages`."""
    configured = dict(context.get("stages", {}))
    unknown = set(configured) - set(STAGE_ORDER)
    if unknown:
        raise ValueError(f"unknown stage(s) in cdk.json: {sorted(unknown)}")
    return tuple(_stage(name, configured.get(name, {})) for name in STAGE_ORDER)


def _stage(name: str, configured: Mapping[str, Any]) -> StageSettings:
    unknown = set(configured) - _CONFIGURABLE
    if unknown:
        raise ValueError(f"{name}: unknown setting(s) in cdk.json: {sorted(unknown)}")
    if "account" not in configured:
        raise ValueError(f"{name}: cdk.json must give the stage's account")
    return StageSettings(
        name=name,
        account=str(configured["account"]),
        alerts=_alert_targets(
            f"stages.{name}", configured.get("alert_email"), configured.get("slack")
        ),
        tracing=_tracing(name, configured.get("tracing", {})),
        **_DEFAULTS[name],
    )


def _tracing(stage: str, configured: Mapping[str, str]) -> TracingChoice:
    """The stage's TRACING, with the groups `configured` names traced otherwise."""
    where = f"stages.{stage}.tracing"
    groups = {field.name for field in attrs.fields(TracingChoice)}
    if not isinstance(configured, Mapping) or set(configured) - groups:
        raise ValueError(f"{where} may name {sorted(groups)} only, not {configured!r}")
    try:
        return attrs.evolve(TRACING[stage], **configured)
    except ValueError:
        adapters = [adapter.value for adapter in TracingAdapter]
        raise ValueError(f"{where}: each group's adapter is one of {adapters}") from None


def _alert_targets(where: str, email: Any, slack: Any) -> AlertTargets:
    channel = None
    if slack:
        if set(slack) != {"workspace_id", "channel_id"}:
            raise ValueError(f"{where}.slack needs exactly workspace_id and channel_id")
        channel = SlackChannel(
            workspace_id=_configured(f"{where}.slack.workspace_id", slack["workspace_id"]),
            channel_id=_configured(f"{where}.slack.channel_id", slack["channel_id"]),
        )
    return AlertTargets(
        email=_configured(f"{where}.alert_email", email) if email else None, slack=channel
    )


def _configured(where: str, value: Any) -> Configured:
    """A literal string, or `{"ssm": name}` for a parameter read at deploy time."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and set(value) == {"ssm"}:
        return FromParameter(value["ssm"])
    raise ValueError(
        f'{where} must be a non-empty string or {{"ssm": "<parameter name>"}}, not {value!r}'
    )


def refuse_stages_in_the_pipeline_account(
    pipeline: PipelineSettings, stages: tuple[StageSettings, ...]
) -> None:
    """Each stage lives outside the pipeline's account, or synthesis stops, naming it.

    The pipeline's account holds what deploys every stage (its roles may act in each stage's
    account): a stage deployed there would share that account's trust and blast radius.
    """
    sharing = [s.name for s in stages if s.account == pipeline.account]
    if sharing:
        raise ValueError(
            "; ".join(
                f"stages.{name} shares the pipeline's account {pipeline.account}: give it an "
                f"account of its own (auction.stages.{name}.account in cdk.json)"
                for name in sharing
            )
        )
