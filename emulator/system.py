"""The auction system on moto, built from a synthesized stage template.

The table, bucket, topic and state machine are created from the template's own
properties; the state machine runs the definition CDK synthesized, with its references
resolved to the local resources; its Lambda tasks reach the real handlers through
`LocalLambda`. Nothing here restates what the stack declares.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs
import boto3
from botocore.credentials import Credentials
from moto import mock_aws
from moto.server import ThreadedMotoServer

from domain.results import result_key
from domain.runs import run_prefix
from emulator.api_throttle import StageThrottle
from emulator.local_api import LocalApi, integration_timeouts, proxy_body, proxy_integration
from emulator.local_lambda import LocalFunction, LocalLambda, between_invocations, environment
from emulator.metrics import CapturedMetrics
from emulator.moto_fidelity import aws_faithful
from emulator.report.record import RunRecord
from emulator.template import (
    REGION,
    LocalResource,
    local_resources,
    resolve,
    stage_template,
    stage_template_path,
)
from emulator.virtual_time import VirtualTime
from emulator.xray_daemon import XRayDaemon
from handlers.dynamodb_items import from_item
from handlers.json_text import exact_loads

SAMPLE_DOCUMENTS = 5  # documents a run's report shows; it counts them all
# The statuses of a run that has ended (DescribeExecution); any other, it goes on.
ENDED = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret (moto's public fake)
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@attrs.frozen
class RunOutcome:
    """How one workflow run ended, and what it did on the way."""

    execution_arn: str
    status: str
    output: Any
    error: str | None
    events: list[dict[str, Any]]
    cause: str | None = None
    started: datetime | None = None
    stopped: datetime | None = None

    @property
    def name(self) -> str:
        """The run's name, which is its run id."""
        return self.execution_arn.rsplit(":", 1)[-1]

    def largest_payload(self) -> int:
        """The largest input or output, in bytes, of any state the run passed through."""
        sizes = [
            len(str(details[field]).encode())
            for event in self.events
            for name, details in event.items()
            if name.endswith("EventDetails") and isinstance(details, dict)
            for field in ("input", "output")
            if field in details
        ]
        return max(sizes, default=0)

    def entered(self, state: str) -> int:
        """How many times the run entered `state`."""
        return sum(
            1
            for event in self.events
            if event["type"].endswith("StateEntered")
            and event.get("stateEnteredEventDetails", {}).get("name") == state
        )


def _entered(events: list[dict[str, Any]]) -> dict[str, int]:
    """How many times the run entered each state."""
    counts: dict[str, int] = {}
    for event in events:
        name = event.get("stateEnteredEventDetails", {}).get("name")
        if name:
            counts[name] = counts.get(name, 0) + 1
    return counts


class EngineLog(logging.Handler):
    """What moto's workflow engine logs as errors, a short line each, with its time.

    With each error it logs the whole parsed definition (about 35 kB for this one): that
    is kept out of the console, and the line that says what failed goes to the report.
    """

    LOGGER = "moto.stepfunctions.parser"

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        said = str(record.args[0]) if isinstance(record.args, tuple) and record.args else record.msg
        self.lines.append((record.created, str(said).split(" at '", 1)[0][:2000]))

    def between(self, started: float, stopped: float) -> list[str]:
        return [line for at, line in self.lines if started <= at <= stopped + 1]

    @contextlib.contextmanager
    def installed(self) -> Iterator[EngineLog]:
        logger = logging.getLogger(self.LOGGER)
        propagate = logger.propagate
        logger.addHandler(self)
        logger.propagate = False
        try:
            yield self
        finally:
            logger.removeHandler(self)
            logger.propagate = propagate


@functools.cache
def _client(service: str) -> Any:
    """One client per service for the process: making one loads the service's model, tens
    of milliseconds each time. moto answers whichever system's mock is on (botocore's
    clients are thread-safe, and read no credentials or endpoint from the system)."""
    return boto3.client(service, region_name=REGION)


class LocalAuctionSystem:
    """One stage of the auction system, running locally. Use as a context manager."""

    def __init__(
        self,
        assembly: Path,
        *,
        stage: str = "Dev",
        function_environment: Mapping[str, Mapping[str, str]] | None = None,
        trace: bool = True,
    ) -> None:
        """`function_environment` adds variables per handler module (e.g. a seed for Lambda A)."""
        self.template_path = stage_template_path(assembly, stage)
        self.template = stage_template(assembly, stage)
        self.resources = local_resources(self.template)
        self.virtual_time = VirtualTime()
        self.metrics = CapturedMetrics()  # what the handlers write for CloudWatch
        self._extra_environment = function_environment or {}
        self._trace = trace
        self._exit_stack = ExitStack()
        self.xray: XRayDaemon | None = None
        self.functions: dict[str, LocalFunction] = {}
        self._alert_queue = ""
        self._subscriber_queue = ""
        self._alerts_seen: list[dict[str, Any]] = []
        self._alerts_lock = threading.Lock()
        self._engine_log = EngineLog()
        self.stopped_runs: list[RunOutcome] = []  # the runs still going when it closed

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> LocalAuctionSystem:
        stack = self._exit_stack
        # The SDK drops the subsegments of calls the workflow engine makes outside any
        # invocation, and says so at WARNING for each; that is expected here.
        logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
        variables = dict(FAKE_CREDENTIALS)
        if self._trace:
            self.xray = XRayDaemon().start()
            stack.callback(self.xray.stop)
            variables |= {"AWS_XRAY_DAEMON_ADDRESS": self.xray.address, "LAMBDA_TASK_ROOT": "."}
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        # After mock_aws, which sets credentials of its own: the local account's are these.
        stack.enter_context(environment(variables))
        stack.enter_context(aws_faithful())
        stack.enter_context(self.virtual_time.installed())
        stack.enter_context(self.metrics.installed())
        stack.enter_context(self._engine_log.installed())
        self.functions = {f.handler.rsplit(".", 1)[0]: f for f in self._local_functions()}
        local_lambda = LocalLambda(list(self.functions.values()), trace=self._trace).start()
        stack.callback(local_lambda.stop)
        stack.enter_context(environment({"AWS_ENDPOINT_URL_LAMBDA": local_lambda.url}))
        self._create_resources()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the runs still going and wait for them to end, then close everything: a
        run left going would call on, through the process's environment, whatever
        endpoints come next (another system's Lambda, say)."""
        try:
            still_going = self.stop_runs()
        finally:
            self._exit_stack.close()
        if still_going:
            raise RuntimeError(f"runs still going after they were stopped: {still_going}")

    def stop_runs(self) -> list[str]:
        """Stop every run still going, as StopExecution does, and wait for each to end (the
        state it is in finishes first, as in AWS); the ARNs of any still going then.

        How each stopped run ended is kept in `stopped_runs`.
        """
        client = self._client("stepfunctions")
        with between_invocations():
            pages = client.get_paginator("list_executions").paginate(
                stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
            )
            going = [run["executionArn"] for page in pages for run in page["executions"]]
            for arn in going:
                client.stop_execution(executionArn=arn, cause="the local system is closing")
        # A task under way finishes first: at most the longest function's timeout.
        patience = max((f.timeout_seconds for f in self.functions.values()), default=0) + 30
        left: list[str] = []
        for arn in going:
            try:
                self.stopped_runs.append(self.wait_for(arn, timeout_seconds=patience))
            except TimeoutError:
                left.append(arn)
        return left

    # -- what the system does ------------------------------------------------------------

    def post_orders(self, body: str | bytes) -> dict[str, Any]:
        """POST /orders as API Gateway passes it to the handler (a proxy event)."""
        return self._invoke_api(
            {
                "httpMethod": "POST",
                "path": "/orders",
                "resource": "/orders",
                "headers": {"Content-Type": "application/json"},
                **proxy_body(body),
                "requestContext": {"stage": "v1"},
            }
        )

    def get_order(self, record_id: str) -> dict[str, Any]:
        """GET /orders/{record_id} as API Gateway passes it to the handler."""
        return self._invoke_api(
            {
                "httpMethod": "GET",
                "path": f"/orders/{record_id}",
                "resource": "/orders/{record_id}",
                "pathParameters": {"record_id": record_id},
                "headers": {},
                "body": None,
                "isBase64Encoded": False,
                "requestContext": {"stage": "v1"},
            }
        )

    _API_ROUTES: ClassVar = {
        "/orders": "handlers.post_orders",
        "/orders/{record_id}": "handlers.get_order",
    }

    def _invoke_api(self, event: dict[str, Any]) -> dict[str, Any]:
        """The function behind the event's resource, as API Gateway's proxy integration calls it."""
        function = self.functions[self._API_ROUTES[event["resource"]]]
        return proxy_integration(function, event, trace=self._trace)

    def serve_api(self, *, clock: Callable[[], float] = time.monotonic) -> str:
        """Serve the orders API over HTTP on loopback (SigV4 required); its /orders URL.

        Throttled and timed out as the template's stage and methods declare; `clock` is the
        one the throttling refills by (a test's own makes it independent of the machine's
        speed).
        """
        # The local account's credentials, as any client in this environment signs with.
        credentials = boto3.Session().get_credentials().get_frozen_credentials()
        throttle = StageThrottle.from_template(self.template, clock=clock)
        api = LocalApi(
            self._invoke_api,
            Credentials(*credentials),
            REGION,
            throttle,
            timeouts=integration_timeouts(self.template),
        ).start()
        self._exit_stack.callback(api.stop)
        return api.url

    def serve_aws(self) -> str:
        """Serve the emulated AWS APIs over HTTP on loopback, for the AWS CLI; the endpoint.

        moto's own server over the same in-process state: what the CLI lists is what the
        flow wrote. Like moto, it takes any credentials: anyone on this machine can read
        and change the local stage through it (it listens on 127.0.0.1 only).
        """
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        self._exit_stack.callback(server.stop)
        host, port = server.get_host_and_port()
        return f"http://{host}:{port}"

    def start_run(self, name: str | None = None) -> str:
        """Start the workflow as the hourly schedule does; the execution ARN.

        Unnamed, a run gets a UUID name, as AWS gives it (moto 5.2 would not).
        """
        with between_invocations():
            return self._client("stepfunctions").start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name or str(uuid.uuid4()),
                input=json.dumps({"trigger": "hourly"}),
            )["executionArn"]

    def wait_for(self, execution_arn: str, timeout_seconds: float | None = 60) -> RunOutcome:
        """Wait until the run ends (waits pass at once) and read its history.

        `timeout_seconds=None` waits as long as the run takes; otherwise a run still
        going then raises `TimeoutError` (and goes on: ask again later).
        """
        client = self._client("stepfunctions")
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        while (run := self._describe(client, execution_arn))["status"] == "RUNNING":
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still running after {timeout_seconds} s")
            time.sleep(0.05)
        with between_invocations():
            pages = client.get_paginator("get_execution_history").paginate(
                executionArn=execution_arn
            )
            events = [event for page in pages for event in page["events"]]
        return RunOutcome(
            execution_arn=execution_arn,
            status=run["status"],
            output=json.loads(run["output"]) if run.get("output") else None,
            error=run.get("error"),
            events=events,
            cause=run.get("cause"),
            started=run.get("startDate"),
            stopped=run.get("stopDate"),
        )

    @staticmethod
    def _describe(client: Any, execution_arn: str) -> dict[str, Any]:
        with between_invocations():
            return client.describe_execution(executionArn=execution_arn)

    def traced_subsegments(self) -> dict[str, list[str]]:
        """Per handler module, the names of the X-Ray subsegments its invocations sent."""
        if self.xray is None:
            return {}
        return {
            module: self.xray.subsegment_names(f.trace_ids) for module, f in self.functions.items()
        }

    def stored_orders(self) -> list[dict[str, Any]]:
        """Every item of the orders table, every page of the scan read."""
        with between_invocations():
            scan = self._client("dynamodb").get_paginator("scan")
            pages = scan.paginate(TableName=self.orders_table)
            items = [from_item(item) for page in pages for item in page["Items"]]
        return sorted(items, key=lambda item: item["record_id"])

    def stored_results(self, prefix: str = "") -> dict[str, Any]:
        """Every object in the results bucket (under `prefix`): key to parsed JSON."""
        return self._objects(self.results_bucket, prefix)

    def result_keys(self, prefix: str = "") -> list[str]:
        """The keys in the results bucket (under `prefix`), every page listed."""
        return self._keys(self.results_bucket, prefix)

    def run_files(self, prefix: str = "") -> dict[str, Any]:
        """Every object in the runs bucket (under `prefix`): key to parsed JSON."""
        return self._objects(self.runs_bucket, prefix)

    def _keys(self, bucket: str, prefix: str) -> list[str]:
        with between_invocations():
            pages = (
                self._client("s3")
                .get_paginator("list_objects_v2")
                .paginate(Bucket=bucket, Prefix=prefix)
            )
            return [entry["Key"] for page in pages for entry in page.get("Contents", [])]

    def _objects(self, bucket: str, prefix: str) -> dict[str, Any]:
        s3 = self._client("s3")
        keys = self._keys(bucket, prefix)
        with between_invocations():
            return {
                key: exact_loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                for key in keys
            }

    def alerts(self) -> list[dict[str, Any]]:
        """Every message published to the alerts topic so far (read from the emulation's
        own queue on the topic; a subscriber's queue keeps its copies)."""
        sqs = self._client("sqs")
        with self._alerts_lock, between_invocations():
            while batch := sqs.receive_message(
                QueueUrl=self._alert_queue, MaxNumberOfMessages=10
            ).get("Messages", []):
                for message in batch:
                    self._alerts_seen.append(json.loads(message["Body"]))
                    sqs.delete_message(
                        QueueUrl=self._alert_queue, ReceiptHandle=message["ReceiptHandle"]
                    )
            return list(self._alerts_seen)

    def alerts_of(self, run_name: str) -> list[dict[str, Any]]:
        """The messages the run named `run_name` published (each names its run)."""
        named = re.compile(rf"\bAuction run {re.escape(run_name)}\b")
        return [alert for alert in self.alerts() if named.search(alert["content"]["title"])]

    @property
    def alert_subscriber_queue_url(self) -> str:
        """A queue subscribed to the alerts topic that nothing here reads: what a
        subscriber would have received, for the AWS CLI (`sqs receive-message`)."""
        return self._subscriber_queue

    def record_of(self, run: RunOutcome) -> RunRecord:
        """Everything the run's report shows, of that run alone."""
        started = run.started.timestamp() if run.started else time.time()
        stopped = run.stopped.timestamp() if run.stopped else time.time()
        traces = self._traces_between(started, stopped)
        decisions = self._decisions_of(run.name)
        documents, stored = self._documents_of(decisions, run.started)
        entered = _entered(run.events)
        entered["Record chunk"] = len(traces.get("handlers.store_result", []))
        return RunRecord(
            name=run.name,
            status=run.status,
            started=started,
            stopped=stopped,
            definition=self.definition,
            template_path=self.template_path,
            error=run.error,
            cause=run.cause,
            entered=entered,
            waits=self.virtual_time.waits_of(run.execution_arn),
            retry_intervals=self.virtual_time.retry_intervals_of(run.execution_arn),
            summary=(run.output or {}).get("summary"),
            traces=traces,
            decisions=decisions,
            documents=documents,
            documents_stored=stored,
            alerts=self.alerts_of(run.name),
            engine_errors=self._engine_log.between(started, stopped),
            numbers=self.metrics.of_run(run.name),
        )

    def _traces_between(self, started: float, stopped: float) -> dict[str, list[list[dict]]]:
        """Per function the workflow calls, the invocations traced within the run's time."""
        if self.xray is None:
            return {}
        called = {arn.rsplit(":", 1)[0] if arn.count(":") > 6 else arn
                  for arn in re.findall(r"arn:aws:lambda:[^\"]+", self.definition)}  # fmt: skip
        found = {}
        for module, function in self.functions.items():
            if function.arn not in called:
                continue
            # A copy: an invocation may add to the set meanwhile (set() copies atomically).
            traces = self.xray.traces(set(function.trace_ids)).values()
            found[module] = sorted(
                (documents for documents in traces
                 if any(started <= d.get("start_time", 0) <= stopped for d in documents)),
                key=lambda documents: min(d.get("start_time", 0) for d in documents),
            )  # fmt: skip
        return found

    def _decisions_of(self, run_name: str) -> list[dict[str, Any]]:
        """Every decision the run handed to Lambda B, from the run's own files."""
        files = self.run_files(f"{run_prefix(run_name)}chunks/")
        return [decision for _, chunk in sorted(files.items()) for decision in chunk]

    def _documents_of(
        self, decisions: list[dict[str, Any]], started: datetime | None
    ) -> tuple[dict[str, Any], int]:
        """A sample of the documents the run stored, and how many it stored: the keys
        Lambda B gives its accepted orders (`domain.results.result_key`), found in S3."""
        if started is None:
            return {}, 0
        expected = [
            result_key(d["record_id"], day=started, posted_at=d.get("posted_at"))
            for d in decisions
            if d.get("status") == "accepted"
        ]
        if not expected:
            return {}, 0
        s3 = self._client("s3")
        listed = set(self.result_keys(expected[0].rsplit("/", 1)[0] + "/"))
        found = [key for key in expected if key in listed]
        with between_invocations():
            sample = {
                key: exact_loads(s3.get_object(Bucket=self.results_bucket, Key=key)["Body"].read())
                for key in found[:SAMPLE_DOCUMENTS]
            }
        return sample, len(found)

    # -- building it from the template ---------------------------------------------------

    @property
    def definition(self) -> str:
        """The workflow's definition as synthesized, its references resolved to local names."""
        machine = self._resource("AWS::StepFunctions::StateMachine")
        return resolve(machine.properties["DefinitionString"], self.resources)

    @property
    def state_machine_arn(self) -> str:
        return self._resource("AWS::StepFunctions::StateMachine").ref

    @property
    def results_bucket(self) -> str:
        """The bucket Lambda B is configured to store results in."""
        return self.functions["handlers.store_result"].environment["RESULTS_BUCKET_NAME"]

    @property
    def orders_table(self) -> str:
        return self._physical("AWS::DynamoDB::Table")

    @property
    def runs_bucket(self) -> str:
        """The bucket the runs keep their chunks, outcomes and reports in."""
        return self.functions["handlers.store_result"].environment["RUNS_BUCKET_NAME"]

    def _client(self, service: str) -> Any:
        return _client(service)

    def _resource(self, resource_type: str) -> LocalResource:
        (logical_id,) = [
            name for name, r in self.template["Resources"].items() if r["Type"] == resource_type
        ]
        return self.resources[logical_id]

    def _physical(self, resource_type: str) -> str:
        return self._resource(resource_type).ref

    def _local_functions(self) -> Iterator[LocalFunction]:
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            properties = resource["Properties"]
            module = properties["Handler"].rsplit(".", 1)[0]
            variables = resolve(
                properties.get("Environment", {}).get("Variables", {}), self.resources
            )
            local = self.resources[logical_id]
            aliases = {
                alias["Properties"]["Name"]
                for alias in self.template["Resources"].values()
                if alias["Type"] == "AWS::Lambda::Alias"
                and alias["Properties"]["FunctionName"] == {"Ref": logical_id}
            }
            yield LocalFunction(
                name=local.ref,
                arn=local.attributes["Arn"],
                handler=properties["Handler"],
                environment={**variables, **self._extra_environment.get(module, {})},
                timeout_seconds=float(properties.get("Timeout", 3)),
                aliases=frozenset(aliases),
            )

    def _create_resources(self) -> None:
        for logical_id, resource in self.template["Resources"].items():
            creator = {
                "AWS::DynamoDB::Table": self._create_table,
                "AWS::S3::Bucket": self._create_bucket,
                "AWS::SNS::Topic": self._create_topic,
            }.get(resource["Type"])
            if creator:
                creator(self.resources[logical_id])
        self._create_state_machine(self._resource("AWS::StepFunctions::StateMachine"))

    # CreateTable's parameters, which the template's properties name alike.
    _TABLE_PROPERTIES = (
        "KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes", "SSESpecification", "DeletionProtectionEnabled",
    )  # fmt: skip
    # Where CloudFormation's spelling of a property differs from the API's.
    _TABLE_SPELLING: ClassVar = {"SSESpecification": lambda sse: {"Enabled": sse["SSEEnabled"]}}

    def _create_table(self, table: LocalResource) -> None:
        """The table as the template declares it: keys, indexes, TTL (a property the
        emulation cannot create fails here, rather than be left out)."""
        dynamodb = self._client("dynamodb")
        declared = {
            name: self._TABLE_SPELLING.get(name, lambda value: value)(value)
            for name, value in table.properties.items()
            if name in self._TABLE_PROPERTIES
        }
        dynamodb.create_table(TableName=table.ref, **declared)
        ttl = table.properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=table.ref, TimeToLiveSpecification=ttl)
        left_out = (
            set(table.properties) - set(self._TABLE_PROPERTIES) - self._TABLE_SETTINGS_ELSEWHERE
        )
        if left_out:
            raise NotImplementedError(f"the emulation does not create {sorted(left_out)}")

    # Table properties that change nothing the flow can see locally (backups), or set above.
    _TABLE_SETTINGS_ELSEWHERE = frozenset(
        {"TimeToLiveSpecification", "PointInTimeRecoverySpecification", "TableName"}
    )

    def _create_bucket(self, bucket: LocalResource) -> None:
        s3 = self._client("s3")
        s3.create_bucket(
            Bucket=bucket.ref, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        versioning = bucket.properties.get("VersioningConfiguration")
        if versioning:
            s3.put_bucket_versioning(Bucket=bucket.ref, VersioningConfiguration=versioning)

    def _create_topic(self, topic: LocalResource) -> None:
        sns = self._client("sns")
        arn = sns.create_topic(Name=topic.attributes["TopicName"])["TopicArn"]
        assert arn == topic.ref, (arn, topic.ref)
        # Queues on the topic show what people would have been sent: one the emulation
        # reads (and empties), one left for a person with the AWS CLI, as a subscriber.
        name = topic.attributes["TopicName"]
        self._alert_queue = self._subscribed_queue(arn, f"{name}-inbox")
        self._subscriber_queue = self._subscribed_queue(arn, f"{name}-subscriber")

    def _subscribed_queue(self, topic_arn: str, name: str) -> str:
        sqs = self._client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        return url

    def _create_state_machine(self, machine: LocalResource) -> None:
        definition = self.definition
        self._client("stepfunctions").create_state_machine(
            name=machine.attributes["Name"],
            definition=definition,
            roleArn=f"arn:aws:iam::{machine.ref.split(':')[4]}:role/local-state-machine",
            type=machine.properties.get("StateMachineType", "STANDARD"),
        )
