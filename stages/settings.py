"""Per-stage settings in one typed, validated place.

Defaults live here; `cdk.json` (context key `auction`) supplies what differs per
installation: accounts and alert targets. An unknown stage or setting is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
from aws_cdk import aws_logs as logs

from auction_constructs.alerts import SlackChannel
from auction_constructs.auction_workflow import worst_task_seconds
from domain.polling import PollingPolicy

REGION = "eu-west-1"
STAGE_ORDER = ("dev", "staging", "prod")
_ACCOUNT = re.compile(r"^\d{12}$")


def _account(_instance: Any, _attribute: attrs.Attribute, value: str) -> None:
    if not _ACCOUNT.match(value):
        raise ValueError(f"account must be 12 digits, not {value!r}")


@attrs.frozen
class StageSettings:
    """Everything that differs between dev, staging and prod."""

    name: str = attrs.field(validator=attrs.validators.in_(STAGE_ORDER))
    account: str = attrs.field(validator=_account)
    api_rate_limit: float
    api_burst_limit: int
    polling: PollingPolicy
    order_concurrency: int
    run_timeout_minutes: int
    log_retention: logs.RetentionDays
    retain_data: bool
    region: str = REGION
    alert_email: str | None = None
    slack: SlackChannel | None = None

    def __attrs_post_init__(self) -> None:
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
        "order_concurrency": 5,
        "run_timeout_minutes": 50,
        "log_retention": logs.RetentionDays.ONE_WEEK,
        "retain_data": False,
    },
    "staging": {
        "api_rate_limit": 50,
        "api_burst_limit": 100,
        "polling": PollingPolicy(first_delay_seconds=30, max_delay_seconds=300, max_attempts=8),
        "order_concurrency": 10,
        "run_timeout_minutes": 55,
        "log_retention": logs.RetentionDays.ONE_MONTH,
        "retain_data": False,
    },
    "prod": {
        "api_rate_limit": 100,
        "api_burst_limit": 200,
        "polling": PollingPolicy(first_delay_seconds=30, max_delay_seconds=300, max_attempts=8),
        "order_concurrency": 10,
        "run_timeout_minutes": 55,
        "log_retention": logs.RetentionDays.THREE_MONTHS,
        "retain_data": True,
    },
}

_CONFIGURABLE = frozenset({"account", "alert_email", "slack"})


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
    alert_email: str | None = None
    slack: SlackChannel | None = None


def load_pipeline_settings(context: Mapping[str, Any]) -> PipelineSettings:
    """The pipeline's settings, from `cdk.json`'s `auction.pipeline`."""
    configured = dict(context["pipeline"])
    slack = configured.pop("slack", None)
    configured["alert_email"] = configured.get("alert_email") or None
    return PipelineSettings(slack=SlackChannel(**slack) if slack else None, **configured)


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
    slack = configured.get("slack")
    return StageSettings(
        name=name,
        account=str(configured["account"]),
        alert_email=configured.get("alert_email") or None,
        slack=SlackChannel(**slack) if slack else None,
        **_DEFAULTS[name],
    )
