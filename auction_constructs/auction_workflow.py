"""The hourly auction run: ask for results until ready (bounded), then store each order.

    Auction run (Parallel: one catch for the whole run)
      Start polling ─> Fetch auction results (Lambda A) ─> Results ready?
        ├ yes ──────────> Store each order (Map) ─> Store order result (Lambda B)
        │                                             └ error ─> Alert order failed
        ├ attempts left ─> Plan next attempt ─> Back off (Wait) ─> Fetch auction results
        └ otherwise ────> Results never ready (Fail)
      on any error ─> Alert run failed ─> Run failed (Fail)

A rejected order is not retried; other failures of Lambda B are, with backoff, before
the alert. One failed order never stops the others.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from auction_constructs.functions import DEFAULT_TIMEOUT as FUNCTION_TIMEOUT
from domain.polling import PollingPolicy

# Errors of Lambda B that no retry can mend: the auction's decision, or a malformed order.
PERMANENT_ORDER_ERRORS = ["OrderRejectedError", "InvalidOrderResultError"]
NOT_READY_ERROR = "AuctionResultsNotReady"


def slack_notification(title: str, description: str) -> sfn.TaskInput:
    """An SNS message AWS Chatbot renders in Slack (its custom notification format)."""
    return sfn.TaskInput.from_object(
        {
            "version": "1.0",
            "source": "custom",
            "content": {"textType": "client-markdown", "title": title, "description": description},
        }
    )


# A task may take the function's own timeout, plus Lambda's start-up, and no longer.
TASK_TIMEOUT_SECONDS = int(FUNCTION_TIMEOUT.to_seconds()) + 10
RETRIES = 3
RETRY_INTERVAL_SECONDS = 2
RETRY_BACKOFF_RATE = 2


def worst_task_seconds() -> int:
    """The longest one retried task can take: every try timing out, every interval in full."""
    intervals = sum(RETRY_INTERVAL_SECONDS * RETRY_BACKOFF_RATE**n for n in range(RETRIES))
    return (RETRIES + 1) * TASK_TIMEOUT_SECONDS + intervals


def _retry_transient(
    task: sfn.TaskStateBase, *, interval_seconds: int = RETRY_INTERVAL_SECONDS
) -> None:
    task.add_retry(
        errors=[sfn.Errors.ALL],
        interval=Duration.seconds(interval_seconds),
        backoff_rate=RETRY_BACKOFF_RATE,
        max_attempts=RETRIES,
        jitter_strategy=sfn.JitterType.FULL,
    )


class AuctionWorkflow(Construct):
    """The Standard state machine of one auction run, traced and logged."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        state_machine_name: str,
        fetch_results: lambda_.IFunction,
        store_result: lambda_.IFunction,
        alerts: sns.ITopic,
        polling: PollingPolicy,
        order_concurrency: int,
        timeout: Duration,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id_)
        self._alerts = alerts
        run = sfn.Parallel(self, "Auction run", output_path="$[0]")
        run.branch(self._poll_then_store(fetch_results, store_result, polling, order_concurrency))
        run.add_catch(
            self._alert(
                "Alert run failed",
                title=sfn.JsonPath.format(
                    "Auction run {} failed: {}",
                    sfn.JsonPath.string_at("$$.Execution.Name"),
                    sfn.JsonPath.string_at("$.error.Error"),
                ),
            ).next(
                sfn.Fail(self, "Run failed", error_path="$.error.Error", cause_path="$.error.Cause")
            ),
            result_path="$.error",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{state_machine_name}",
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(run),
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
        )

    def _poll_then_store(
        self,
        fetch_results: lambda_.IFunction,
        store_result: lambda_.IFunction,
        polling: PollingPolicy,
        order_concurrency: int,
    ) -> sfn.IChainable:
        delays = list(polling.delays())
        start = sfn.Pass(
            self,
            "Start polling",
            parameters={"retries": 0, "delays": delays},
            result_path="$.polling",
        )
        fetch = tasks.LambdaInvoke(
            self,
            "Fetch auction results",
            lambda_function=fetch_results,
            payload=sfn.TaskInput.from_object(
                {
                    "run_id": sfn.JsonPath.string_at("$$.Execution.Name"),
                    "retries": sfn.JsonPath.number_at("$.polling.retries"),
                }
            ),
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path="$.auction",
            task_timeout=sfn.Timeout.duration(Duration.seconds(TASK_TIMEOUT_SECONDS)),
        )
        _retry_transient(fetch)
        next_attempt = sfn.Pass(
            self,
            "Plan next attempt",
            parameters={
                "retries.$": "States.MathAdd($.polling.retries, 1)",
                "delay.$": "States.ArrayGetItem($.polling.delays, $.polling.retries)",
                "delays.$": "$.polling.delays",
            },
            result_path="$.polling",
        )
        back_off = sfn.Wait(self, "Back off", time=sfn.WaitTime.seconds_path("$.polling.delay"))
        never_ready = sfn.Fail(
            self,
            "Results never ready",
            error=NOT_READY_ERROR,
            cause=f"No auction results after {polling.max_attempts} attempts "
            f"over {polling.total_wait_seconds()} seconds of waiting",
        )
        ready = (
            sfn.Choice(self, "Results ready?")
            .when(
                sfn.Condition.boolean_equals("$.auction.results", True),
                self._store_each(store_result, order_concurrency),
            )
            .when(
                sfn.Condition.number_less_than("$.polling.retries", len(delays)),
                next_attempt.next(back_off).next(fetch),
            )
            .otherwise(never_ready)
        )
        return start.next(fetch).next(ready)

    def _store_each(self, store_result: lambda_.IFunction, concurrency: int) -> sfn.Map:
        store = tasks.LambdaInvoke(
            self,
            "Store order result",
            lambda_function=store_result,
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path="$.stored",
            task_timeout=sfn.Timeout.duration(Duration.seconds(TASK_TIMEOUT_SECONDS)),
        )
        store.add_retry(errors=PERMANENT_ORDER_ERRORS, max_attempts=0)
        _retry_transient(store)
        alerted = self._alert(
            "Alert order failed",
            title=sfn.JsonPath.format(
                "Auction order {} of run {}: {}",
                sfn.JsonPath.string_at("$.position"),
                sfn.JsonPath.string_at("$.run.id"),
                sfn.JsonPath.string_at("$.error.Error"),
            ),
        )
        store.add_catch(alerted, errors=[sfn.Errors.ALL], result_path="$.error")
        store_each = sfn.Map(
            self,
            "Store each order",
            items_path="$.auction.orders",
            item_selector={
                "order": sfn.JsonPath.object_at("$$.Map.Item.Value"),
                "position": sfn.JsonPath.number_at("$$.Map.Item.Index"),
                "run": {
                    "id": sfn.JsonPath.string_at("$$.Execution.Name"),
                    "started_at": sfn.JsonPath.string_at("$$.Execution.StartTime"),
                },
            },
            max_concurrency=concurrency,
            result_path="$.orders",
        )
        store_each.item_processor(store)
        return store_each

    def _alert(self, id_: str, *, title: str) -> tasks.SnsPublish:
        """Publish the error at `$.error` to the alerts topic, retried; the input goes on."""
        publish = tasks.SnsPublish(
            self,
            id_,
            topic=self._alerts,
            message=slack_notification(title, sfn.JsonPath.string_at("$.error.Cause")),
            result_path=sfn.JsonPath.DISCARD,
        )
        _retry_transient(publish, interval_seconds=1)
        return publish
