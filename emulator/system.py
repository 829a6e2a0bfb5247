"""The auction system on moto, built from a synthesized stage template.

The table, bucket, topic and state machine are created from the template's own
properties; the state machine runs the definition CDK synthesized, with its references
resolved to the local resources; its Lambda tasks reach the real handlers through
`LocalLambda`. Nothing here restates what the stack declares.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, ClassVar

import attrs
import boto3
from botocore.credentials import Credentials
from moto import mock_aws
from moto.server import ThreadedMotoServer

from emulator.api_throttle import StageThrottle
from emulator.local_api import LocalApi, proxy_body, proxy_integration
from emulator.local_lambda import LocalFunction, LocalLambda, between_invocations, environment
from emulator.moto_fidelity import aws_faithful
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
        self._extra_environment = function_environment or {}
        self._trace = trace
        self._exit_stack = ExitStack()
        self.xray: XRayDaemon | None = None
        self.functions: dict[str, LocalFunction] = {}
        self._alert_queue = ""
        self._alerts_seen: list[dict[str, Any]] = []

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
        self.functions = {f.handler.rsplit(".", 1)[0]: f for f in self._local_functions()}
        local_lambda = LocalLambda(list(self.functions.values()), trace=self._trace).start()
        stack.callback(local_lambda.stop)
        stack.enter_context(environment({"AWS_ENDPOINT_URL_LAMBDA": local_lambda.url}))
        self._create_resources()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._exit_stack.close()

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

    def serve_api(self) -> str:
        """Serve the orders API over HTTP on loopback (SigV4 required); its /orders URL."""
        # The local account's credentials, as any client in this environment signs with.
        credentials = boto3.Session().get_credentials().get_frozen_credentials()
        throttle = StageThrottle.from_template(self.template)
        api = LocalApi(self._invoke_api, Credentials(*credentials), REGION, throttle).start()
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

    def wait_for(self, execution_arn: str, timeout_seconds: float = 60) -> RunOutcome:
        """Wait until the run ends (waits pass at once) and read its history."""
        client = self._client("stepfunctions")
        deadline = time.monotonic() + timeout_seconds
        while (run := self._describe(client, execution_arn))["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still running after {timeout_seconds} s")
            time.sleep(0.05)
        with between_invocations():
            events = client.get_execution_history(executionArn=execution_arn, maxResults=1000)[
                "events"
            ]
        return RunOutcome(
            execution_arn=execution_arn,
            status=run["status"],
            output=json.loads(run["output"]) if run.get("output") else None,
            error=run.get("error"),
            events=events,
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

    def run_files(self, prefix: str = "") -> dict[str, Any]:
        """Every object in the runs bucket (under `prefix`): key to parsed JSON."""
        return self._objects(self.runs_bucket, prefix)

    def _objects(self, bucket: str, prefix: str) -> dict[str, Any]:
        s3 = self._client("s3")
        with between_invocations():
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            keys = [entry["Key"] for page in pages for entry in page.get("Contents", [])]
            return {
                key: exact_loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                for key in keys
            }

    def new_alerts(self) -> list[dict[str, Any]]:
        """The messages published to the alerts topic since the last call."""
        seen = len(self._alerts_seen)
        return self.alerts()[seen:]

    def alerts(self) -> list[dict[str, Any]]:
        """Every message published to the alerts topic so far (read from its test queue)."""
        sqs = self._client("sqs")
        messages = []
        while batch := sqs.receive_message(QueueUrl=self._alert_queue, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                messages.append(json.loads(message["Body"]))
                sqs.delete_message(
                    QueueUrl=self._alert_queue, ReceiptHandle=message["ReceiptHandle"]
                )
        self._alerts_seen.extend(messages)
        return list(self._alerts_seen)

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
        return boto3.client(service, region_name=REGION)

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
        sns, sqs = self._client("sns"), self._client("sqs")
        arn = sns.create_topic(Name=topic.attributes["TopicName"])["TopicArn"]
        assert arn == topic.ref, (arn, topic.ref)
        # A queue on the topic lets the emulation show what people would have been sent.
        self._alert_queue = sqs.create_queue(QueueName=f"{topic.attributes['TopicName']}-inbox")[
            "QueueUrl"
        ]
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=self._alert_queue, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )

    def _create_state_machine(self, machine: LocalResource) -> None:
        definition = self.definition
        self._client("stepfunctions").create_state_machine(
            name=machine.attributes["Name"],
            definition=definition,
            roleArn=f"arn:aws:iam::{machine.ref.split(':')[4]}:role/local-state-machine",
            type=machine.properties.get("StateMachineType", "STANDARD"),
        )
