"""The hourly auction run: ask for results until ready (bounded), then record every decision.

    Auction run (Parallel: one catch for the whole run)
      Start polling ─> Fetch auction results (Lambda A) ─> Results ready?
        ├ ready, orders ─> Record each chunk (Distributed Map over Lambda A's chunks)
        │                    └ child: Record chunk (Lambda B) ─> Chunk recorded?
        │                        ├ yes ─> Chunk done
        │                        ├ not in full, tries left ─> wait ─> Record chunk
        │                        └ otherwise, or failing ─> Chunk not recorded
        │                 ─> Summarize run (Lambda C) ─> Anyone to tell?
        │                      ├ rejected or failed orders ─> Alert run outcome ─> Run done
        │                      └ otherwise ─> Run done
        ├ ready, none ───> No open orders
        ├ attempts left ─> Plan next attempt ─> Back off (Wait) ─> Fetch auction results
        └ otherwise ────> Results never ready (Fail)
      on any error ─> Alert run failed ─> Run failed (Fail)

Nothing per order travels through the run's own state: Lambda A writes the decisions to
S3 in chunks, the Distributed Map gives each chunk to a child execution, and Lambda B
records a chunk per call. The run's history and every state's payload stay the same size
whatever the number of orders. One chunk that cannot be recorded is reported, not fatal.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from auction_constructs.functions import TIMEOUTS, AuctionFunction
from domain.polling import PollingPolicy
from domain.runs import RUNS_PREFIX

NOT_READY_ERROR = "AuctionResultsNotReady"
# Seconds between calls for a chunk Lambda B could not record in full (a throttled table).
CHUNK_RETRY_DELAYS = (2, 8, 30)
MAP_RESULTS_PREFIX = f"{RUNS_PREFIX}map-results"


def slack_notification(title: str, description: str) -> sfn.TaskInput:
    """An SNS message AWS Chatbot renders in Slack (its custom notification format)."""
    return sfn.TaskInput.from_object(
        {
            "version": "1.0",
            "source": "custom",
            "content": {"textType": "client-markdown", "title": title, "description": description},
        }
    )


RETRIES = 3
RETRY_INTERVAL_SECONDS = 2
RETRY_BACKOFF_RATE = 2


def task_timeout_seconds(function_timeout: Duration) -> int:
    """A task may take its function's own timeout, plus Lambda's start-up, and no longer."""
    return int(function_timeout.to_seconds()) + 10


def worst_task_seconds(function_timeout: Duration = TIMEOUTS["handlers.fetch_results"]) -> int:
    """The longest one retried task can take: every try timing out, every interval in full."""
    intervals = sum(RETRY_INTERVAL_SECONDS * RETRY_BACKOFF_RATE**n for n in range(RETRIES))
    return (RETRIES + 1) * task_timeout_seconds(function_timeout) + intervals


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
        fetch_results: AuctionFunction,
        store_result: AuctionFunction,
        summarize_run: AuctionFunction,
        runs_bucket: s3.IBucket,
        alerts: sns.ITopic,
        polling: PollingPolicy,
        chunk_concurrency: int,
        timeout: Duration,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id_)
        self._alerts = alerts
        self._runs_bucket = runs_bucket
        run = sfn.Parallel(self, "Auction run", output_path="$[0]")
        record = self._record_each_chunk(store_result, chunk_concurrency).next(
            self._summarize(summarize_run)
        )
        run.branch(self._poll(fetch_results, polling, record))
        run.add_catch(
            self._alert(
                "Alert run failed",
                title=sfn.JsonPath.format(
                    "Auction run {} failed: {}",
                    sfn.JsonPath.string_at("$$.Execution.Name"),
                    sfn.JsonPath.string_at("$.error.Error"),
                ),
                description=sfn.JsonPath.string_at("$.error.Cause"),
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

    def _invoke(
        self, id_: str, function: AuctionFunction, payload: dict, result_path: str
    ) -> tasks.LambdaInvoke:
        """A task calling the function's `live` alias, never $LATEST."""
        timeout = function.timeout
        task = tasks.LambdaInvoke(
            self,
            id_,
            lambda_function=function.alias,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            retry_on_service_exceptions=False,
            result_path=result_path,
            task_timeout=sfn.Timeout.duration(Duration.seconds(task_timeout_seconds(timeout))),
        )
        _retry_transient(task)
        return task

    def _poll(
        self, fetch_results: AuctionFunction, polling: PollingPolicy, record: sfn.IChainable
    ) -> sfn.IChainable:
        delays = list(polling.delays())
        start = sfn.Pass(
            self,
            "Start polling",
            parameters={
                "run": {
                    "id": sfn.JsonPath.string_at("$$.Execution.Name"),
                    "started_at": sfn.JsonPath.string_at("$$.Execution.StartTime"),
                },
                "polling": {"retries": 0, "delays": delays},
            },
        )
        fetch = self._invoke(
            "Fetch auction results",
            fetch_results,
            {
                "run": sfn.JsonPath.object_at("$.run"),
                "retries": sfn.JsonPath.number_at("$.polling.retries"),
            },
            "$.auction",
        )
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
        ready = sfn.Condition.boolean_equals("$.auction.results", True)
        decided = (
            sfn.Choice(self, "Results ready?")
            .when(
                sfn.Condition.and_(ready, sfn.Condition.number_greater_than("$.auction.count", 0)),
                record,
            )
            .when(ready, sfn.Succeed(self, "No open orders"))
            .when(
                sfn.Condition.number_less_than("$.polling.retries", len(delays)),
                next_attempt.next(back_off).next(fetch),
            )
            .otherwise(never_ready)
        )
        return start.next(fetch).next(decided)

    def _record_each_chunk(
        self, store_result: AuctionFunction, concurrency: int
    ) -> sfn.DistributedMap:
        """A child per chunk: Lambda B, called again after a wait while it answers that a
        retry may mend what it could not record (bounded), and retried on its errors."""
        record = self._invoke(
            "Record chunk",
            store_result,
            {"chunk": sfn.JsonPath.object_at("$.chunk"), "run": sfn.JsonPath.object_at("$.run")},
            "$.recorded",
        )
        # What could not be recorded in the end is in the chunk's outcome (or its absence),
        # which the run's summary reports: the child, and the run, go on.
        not_recorded = sfn.Pass(self, "Chunk not recorded")
        record.add_catch(not_recorded, result_path="$.error")
        again = sfn.Pass(
            self,
            "Plan chunk retry",
            parameters={
                "chunk.$": "$.chunk",
                "run.$": "$.run",
                "attempt.$": "States.MathAdd($.attempt, 1)",
                "delay.$": "States.ArrayGetItem($.delays, $.attempt)",
                "delays.$": "$.delays",
            },
        )
        wait = sfn.Wait(self, "Wait for chunk retry", time=sfn.WaitTime.seconds_path("$.delay"))
        recorded = (
            sfn.Choice(self, "Chunk recorded?")
            .when(
                sfn.Condition.boolean_equals("$.recorded.complete", True),
                sfn.Succeed(self, "Chunk done"),
            )
            .when(
                sfn.Condition.number_less_than("$.attempt", len(CHUNK_RETRY_DELAYS)),
                again.next(wait).next(record),
            )
            .otherwise(not_recorded)
        )
        each_chunk = sfn.DistributedMap(
            self,
            "Record each chunk",
            item_reader=sfn.S3JsonItemReader(
                bucket=self._runs_bucket, key=sfn.JsonPath.string_at("$.auction.chunks.key")
            ),
            item_selector={
                "chunk": sfn.JsonPath.object_at("$$.Map.Item.Value"),
                "run": sfn.JsonPath.object_at("$.run"),
                "attempt": 0,
                "delays": list(CHUNK_RETRY_DELAYS),
            },
            max_concurrency=concurrency,
            map_execution_type=sfn.StateMachineType.STANDARD,
            result_writer_v2=sfn.ResultWriterV2(
                bucket=self._runs_bucket, prefix=MAP_RESULTS_PREFIX
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        each_chunk.item_processor(record.next(recorded))
        return each_chunk

    def _summarize(self, summarize_run: AuctionFunction) -> sfn.IChainable:
        summarize = self._invoke(
            "Summarize run",
            summarize_run,
            {
                "run": sfn.JsonPath.object_at("$.run"),
                "chunks": sfn.JsonPath.object_at("$.auction.chunks"),
            },
            "$.summary",
        )
        done = sfn.Succeed(self, "Run done")
        tell = self._alert(
            "Alert run outcome",
            title=sfn.JsonPath.string_at("$.summary.alert.title"),
            description=sfn.JsonPath.string_at("$.summary.alert.description"),
        )
        return summarize.next(
            sfn.Choice(self, "Anyone to tell?")
            .when(sfn.Condition.boolean_equals("$.summary.needs_attention", True), tell.next(done))
            .otherwise(done)
        )

    def _alert(self, id_: str, *, title: str, description: str) -> tasks.SnsPublish:
        """Publish one message to the alerts topic, retried; the input goes on."""
        publish = tasks.SnsPublish(
            self,
            id_,
            topic=self._alerts,
            message=slack_notification(title, description),
            result_path=sfn.JsonPath.DISCARD,
        )
        _retry_transient(publish, interval_seconds=1)
        return publish
