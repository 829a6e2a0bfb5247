"""The hourly trigger of the auction workflow."""

from __future__ import annotations

from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


class HourlyAuctionSchedule(Construct):
    """EventBridge Scheduler starts one workflow run at the top of every hour."""

    def __init__(
        self, scope: Construct, id_: str, *, state_machine: sfn.IStateMachine, enabled: bool = True
    ) -> None:
        super().__init__(scope, id_)
        self.schedule = scheduler.Schedule(
            self,
            "Hourly",
            description="Starts the auction run every hour",
            schedule=scheduler.ScheduleExpression.cron(minute="0"),
            target=targets.StepFunctionsStartExecution(
                state_machine,
                input=scheduler.ScheduleTargetInput.from_object({"trigger": "hourly"}),
                retry_attempts=3,
            ),
            enabled=enabled,
        )
