"""The hourly trigger of the auction workflow, and where a start that failed goes."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagSuppressions
from constructs import Construct

RUN_INTERVAL = Duration.hours(1)
DELIVERY_RETRIES = 3
# What a dead letter is kept for: time enough for a person to read it after the alarm.
DEAD_LETTER_RETENTION = Duration.days(14)


def latest_useful_start(run_timeout: Duration) -> Duration:
    """How late a run may still start: late enough to end before the next one starts.

    EventBridge Scheduler retries a start that failed until the event is this old, then
    gives it to the dead-letter queue; its default (24 h) would start a run a day late.
    A start later than this could still be running when the next hour's run begins.
    """
    seconds = RUN_INTERVAL.to_seconds() - run_timeout.to_seconds()
    if seconds < 60:  # Scheduler's minimum MaximumEventAgeInSeconds
        raise ValueError(
            f"a run timeout of {run_timeout.to_seconds()} s leaves no time to start late"
        )
    return Duration.seconds(seconds)


class HourlyAuctionSchedule(Construct):
    """EventBridge Scheduler starts one workflow run at the top of every hour.

    A start that keeps failing lands, after bounded retries, in an encrypted, TLS-only
    dead-letter queue (`dead_letters`), which the observability construct alarms on.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        state_machine: sfn.IStateMachine,
        run_timeout: Duration,
        enabled: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        self.dead_letters = sqs.Queue(
            self,
            "FailedStarts",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        NagSuppressions.add_resource_suppressions(
            self.dead_letters,
            [
                {
                    "id": "AwsSolutions-SQS3",
                    "reason": "This queue is itself the dead-letter queue of the schedule's "
                    "target; what lands here is alarmed on and read by a person.",
                }
            ],
        )
        self.schedule = scheduler.Schedule(
            self,
            "Hourly",
            description="Starts the auction run every hour",
            schedule=scheduler.ScheduleExpression.cron(minute="0"),
            target=targets.StepFunctionsStartExecution(
                state_machine,
                input=scheduler.ScheduleTargetInput.from_object({"trigger": "hourly"}),
                retry_attempts=DELIVERY_RETRIES,
                max_event_age=latest_useful_start(run_timeout),
                dead_letter_queue=self.dead_letters,
            ),
            enabled=enabled,
        )


class SyntheticCheckSchedule(Construct):
    """Scheduler calls the synthetic check every few minutes, so that a broken API alarms
    within minutes, whoever calls it (a bake gate and prod's canary watch its alarm).

    A check that runs and fails is not run again, the next one comes in minutes. A call
    Scheduler could not make (throttled) is tried again within the interval; one it could
    not make at all (the function gone, its permission refused) counts as dropped in the
    schedule's own group, which `dropped` measures for an alarm.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        check: lambda_.IFunction,
        orders_url: str,
        every: Duration,
        group_name: str,
    ) -> None:
        super().__init__(scope, id_)
        group = scheduler.ScheduleGroup(
            self, "Group", schedule_group_name=group_name, removal_policy=RemovalPolicy.DESTROY
        )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description="Calls the API as a client would, with a batch it must refuse",
            schedule=scheduler.ScheduleExpression.rate(every),
            schedule_group=group,
            target=targets.LambdaInvoke(
                check,
                input=scheduler.ScheduleTargetInput.from_object({"orders_url": orders_url}),
                retry_attempts=2,
                max_event_age=Duration.seconds(every.to_seconds() - 60),
            ),
        )
        self.dropped = group.metric_dropped(period=every)
