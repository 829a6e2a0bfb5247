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
from typing import Any

import attrs
import boto3
from botocore.credentials import Credentials
from moto import mock_aws

from emulator.local_api import LocalApi
from emulator.local_lambda import LocalFunction, LocalLambda, between_invocations, environment
from emulator.moto_fidelity import aws_faithful_executor
from emulator.template import REGION, LocalResource, local_resources, resolve, stage_template
from emulator.virtual_time import VirtualTime
from emulator.xray_daemon import XRayDaemon

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
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
        stack.enter_context(aws_faithful_executor())
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
        return self._invoke_post_orders(
            {
                "httpMethod": "POST",
                "path": "/orders",
                "resource": "/orders",
                "headers": {"Content-Type": "application/json"},
                "body": body.decode("utf-8", "replace") if isinstance(body, bytes) else body,
                "isBase64Encoded": False,
                "requestContext": {"stage": "v1"},
            }
        )

    def _invoke_post_orders(self, event: dict[str, Any]) -> dict[str, Any]:
        response, failed = self.functions["handlers.post_orders"].invoke(event, trace=self._trace)
        if failed:  # API Gateway's answer when the integration fails
            return {"statusCode": 502, "body": json.dumps({"message": "Internal server error"})}
        return response

    def serve_api(self) -> str:
        """Serve POST /orders over HTTP on loopback (SigV4 required); its URL."""
        # The local account's credentials, as any client in this environment signs with.
        credentials = boto3.Session().get_credentials().get_frozen_credentials()
        api = LocalApi(self._invoke_post_orders, Credentials(*credentials)).start()
        self._exit_stack.callback(api.stop)
        return api.url

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
        table = boto3.resource("dynamodb").Table(self._physical("AWS::DynamoDB::Table"))
        return sorted(table.scan()["Items"], key=lambda item: item["record_id"])

    def stored_results(self) -> dict[str, Any]:
        """Every object in the results bucket: key to parsed JSON."""
        s3 = self._client("s3")
        bucket = self.results_bucket
        listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {
            item["Key"]: json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            for item in listed
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
    def state_machine_arn(self) -> str:
        return self._resource("AWS::StepFunctions::StateMachine").ref

    @property
    def results_bucket(self) -> str:
        """The bucket Lambda B is configured to store results in."""
        return self.functions["handlers.store_result"].environment["RESULTS_BUCKET_NAME"]

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
            yield LocalFunction(
                name=local.ref,
                arn=local.attributes["Arn"],
                handler=properties["Handler"],
                environment={**variables, **self._extra_environment.get(module, {})},
                timeout_seconds=float(properties.get("Timeout", 3)),
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

    def _create_table(self, table: LocalResource) -> None:
        dynamodb = self._client("dynamodb")
        dynamodb.create_table(
            TableName=table.ref,
            KeySchema=table.properties["KeySchema"],
            AttributeDefinitions=table.properties["AttributeDefinitions"],
            BillingMode=table.properties["BillingMode"],
        )
        ttl = table.properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=table.ref, TimeToLiveSpecification=ttl)

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
        definition = resolve(machine.properties["DefinitionString"], self.resources)
        self._client("stepfunctions").create_state_machine(
            name=machine.attributes["Name"],
            definition=definition,
            roleArn=f"arn:aws:iam::{machine.ref.split(':')[4]}:role/local-state-machine",
            type=machine.properties.get("StateMachineType", "STANDARD"),
        )
