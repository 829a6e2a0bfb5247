"""Every call one part of the app makes to another is allowed on both sides, as AWS decides.

A template can be valid and still deploy a system whose alarms reach nobody: CloudWatch
may not publish to a topic whose policy does not name it, a role may not use a key whose
policy does not delegate to IAM. Each kind of edge below is discovered from every
synthesized template (a new alarm, topic or task is walked without touching this file),
and each call is decided with `tests.unit.iam.decide` against the caller's policies and
the resource's (topic, queue, bucket, key).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from tests.conftest import SynthesizedApp, SynthesizedStack
from tests.unit.iam import Request, decide, normalized, readable

pytestmark = pytest.mark.synth
REGION = "eu-west-1"
TLS = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
# SNS uses a topic's key on behalf of whoever publishes.
THROUGH_SNS = {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}


@attrs.frozen
class Edge:
    """A caller and what it does; `problems` lists each side that refuses it."""

    stack: str
    description: str
    problems: tuple[str, ...]


class Stack:
    """A template read for its policies: by resource, by role, by topic and key."""

    def __init__(self, synthesized: SynthesizedStack) -> None:
        self.name = synthesized.name
        self.account = synthesized.account
        self.template = synthesized.template()
        self.resources: dict[str, dict[str, Any]] = self.template["Resources"]

    def of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource["Type"] == resource_type:
                yield logical_id, resource.get("Properties", {})

    def role_policies(self, role_reference: str) -> list[dict[str, Any]]:
        """The identity policies of the role `<Role.Arn>` or `<Role>` (inline and attached)."""
        role = role_reference.strip("<>").split(".")[0]
        documents = [
            p["PolicyDocument"] for p in self.resources[role]["Properties"].get("Policies", [])
        ]
        for _, policy in self.of_type("AWS::IAM::Policy"):
            if f"<{role}>" in [readable(r) for r in policy.get("Roles", [])]:
                documents.append(policy["PolicyDocument"])
        return documents

    def trust_policy(self, role_reference: str) -> dict[str, Any]:
        role = role_reference.strip("<>").split(".")[0]
        return self.resources[role]["Properties"]["AssumeRolePolicyDocument"]

    def resource_policies(self, policy_type: str, list_key: str, target: str) -> list[dict]:
        """The resource policies (topic, queue) attached to `target` (`<Logical>`)."""
        return [
            properties["PolicyDocument"]
            for _, properties in self.of_type(policy_type)
            if target in [readable(t) for t in properties[list_key]]
        ]

    def bucket_policy(self, bucket: str) -> list[dict]:
        return [
            p["PolicyDocument"]
            for _, p in self.of_type("AWS::S3::BucketPolicy")
            if readable(p["Bucket"]) == bucket
        ]

    def key_policy(self, key_reference: str) -> dict[str, Any]:
        key = key_reference.strip("<>").split(".")[0]
        return self.resources[key]["Properties"]["KeyPolicy"]

    def topic_key(self, topic: str) -> str | None:
        key = self.resources[topic.strip("<>")]["Properties"].get("KmsMasterKeyId")
        return readable(key) if key else None


def _service(name: str) -> dict[str, str]:
    return {"Service": name}


def _role(reference: str) -> dict[str, str]:
    return {"AWS": reference}


def _refused(side: str, documents: list[dict], request: Request) -> list[str]:
    decision = decide(documents, request)
    if decision == "Allow":
        return []
    return [f"{side}: {decision} for {request.action} on {request.resource}"]


def _not_denied(side: str, documents: list[dict], request: Request) -> list[str]:
    """A resource policy in the caller's own account need not allow, only not deny."""
    decision = decide(documents, request)
    return [f"{side}: Deny for {request.action}"] if decision == "Deny" else []


def _publish_to_topic(stack: Stack, principal: dict, topic: str, context: dict) -> list[str]:
    """Both sides of sns:Publish: the topic policy, and the topic key for SNS's encryption."""
    request = Request(principal, "sns:Publish", topic, stack.account, {**TLS, **context})
    problems = []
    if "Service" in principal:
        problems += _refused("topic policy", stack.resource_policies(
            "AWS::SNS::TopicPolicy", "Topics", topic), request)  # fmt: skip
    else:
        problems += _refused("role policy", stack.role_policies(principal["AWS"]), request)
        problems += _not_denied("topic policy", stack.resource_policies(
            "AWS::SNS::TopicPolicy", "Topics", topic), request)  # fmt: skip
    key = stack.topic_key(topic)
    for action in ("kms:GenerateDataKey", "kms:Decrypt") if key else ():
        use = Request(principal, action, key, stack.account, {**context, **THROUGH_SNS})
        problems += _refused("key policy", [stack.key_policy(key)], use)
        if "AWS" in principal:
            problems += _refused("role policy", stack.role_policies(principal["AWS"]), use)
    return problems


# -- the kinds of edge --------------------------------------------------------------------


def alarm_actions(stack: Stack) -> Iterator[Edge]:
    """CloudWatch publishes an alarm's state change to each topic in its actions."""
    for logical_id, alarm in stack.of_type("AWS::CloudWatch::Alarm"):
        name = alarm.get("AlarmName")
        for action in alarm.get("AlarmActions", []):
            if name is None:
                problems = ["the alarm has no name, so no policy can allow it by its ARN"]
            else:
                alarm_arn = f"arn:aws:cloudwatch:{REGION}:{stack.account}:alarm:{name}"
                context = {"aws:SourceAccount": stack.account, "aws:SourceArn": alarm_arn}
                problems = _publish_to_topic(
                    stack, _service("cloudwatch.amazonaws.com"), readable(action), context
                )
            yield Edge(stack.name, f"alarm {logical_id} -> {readable(action)}", tuple(problems))


def notification_rule_arn(account: str) -> str:
    return f"arn:aws:codestar-notifications:{REGION}:{account}:notificationrule/0123abcd"


def notification_rules(stack: Stack) -> Iterator[Edge]:
    """CodeStar Notifications publishes pipeline events to each SNS target of a rule, naming
    the rule's account as AWS documents (aws:SourceAccount), and perhaps the rule itself."""
    for logical_id, rule in stack.of_type("AWS::CodeStarNotifications::NotificationRule"):
        for target in rule["Targets"]:
            assert target["TargetType"] == "SNS"
            topic = readable(target["TargetAddress"])
            documented = {"aws:SourceAccount": stack.account}
            problems = []
            for context in (
                documented,
                {**documented, "aws:SourceArn": notification_rule_arn(stack.account)},
            ):
                problems += _publish_to_topic(
                    stack, _service("codestar-notifications.amazonaws.com"), topic, context
                )
            yield Edge(stack.name, f"notification rule {logical_id} -> {topic}", tuple(problems))


def _task_states(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in definition["States"].values():
        if state["Type"] == "Task":
            yield state
        for branch in [*state.get("Branches", []), state.get("ItemProcessor", {})]:
            if branch:
                yield from _task_states(branch)


def _is_function(stack: Stack, reference: str) -> bool:
    """A task resource that is a function or its alias (a Lambda task, the response only)."""
    logical_id = reference.strip("<>").split(".")[0].split(":")[0]
    resource = stack.resources.get(logical_id, {})
    return resource.get("Type") in ("AWS::Lambda::Function", "AWS::Lambda::Alias")


def state_machine_tasks(stack: Stack) -> Iterator[Edge]:
    """The workflow's role invokes each function and publishes to each topic it names."""
    for logical_id, machine in stack.of_type("AWS::StepFunctions::StateMachine"):
        role = readable(machine["RoleArn"])
        definition = json.loads(readable(machine["DefinitionString"]))
        for state in _task_states(definition):
            service = normalized(state["Resource"]).removeprefix("arn:aws:states:::")
            parameters = state.get("Parameters") or state.get("Arguments") or {}
            if service.startswith("lambda:invoke") or _is_function(stack, service):
                target = parameters.get("FunctionName", service)
                request = Request(_role(role), "lambda:InvokeFunction", target, stack.account)
                problems = _refused("role policy", stack.role_policies(role), request)
            elif service.startswith("sns:publish"):
                target = parameters["TopicArn"]
                problems = _publish_to_topic(stack, _role(role), target, {})
            else:
                raise AssertionError(f"a task this walk does not know: {service}")
            yield Edge(stack.name, f"{logical_id} task -> {target}", tuple(problems))


def _map_states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in definition["States"].items():
        if state["Type"] == "Map":
            yield name, state
        for branch in [*state.get("Branches", []), state.get("ItemProcessor", {})]:
            if branch:
                yield from _map_states(branch)


def distributed_maps(stack: Stack) -> Iterator[Edge]:
    """A Distributed Map reads its items from S3, writes its results there, and starts its
    children as executions of its own state machine, all with the workflow's role."""
    for logical_id, machine in stack.of_type("AWS::StepFunctions::StateMachine"):
        role = readable(machine["RoleArn"])
        policies = stack.role_policies(role)
        definition = json.loads(readable(machine["DefinitionString"]))
        for name, state in _map_states(definition):
            if state["ItemProcessor"]["ProcessorConfig"].get("Mode") != "DISTRIBUTED":
                continue
            calls = [Request(_role(role), "states:StartExecution", f"<{logical_id}>", "")]
            for part, action in (("ItemReader", "s3:GetObject"), ("ResultWriter", "s3:PutObject")):
                bucket = state[part]["Parameters"]["Bucket"]
                calls.append(Request(_role(role), action, f"arn:aws:s3:::{bucket}/runs/r/x.json",
                                     stack.account, TLS))  # fmt: skip
            problems = [p for call in calls for p in _refused("role policy", policies, call)]
            for call in calls[1:]:
                bucket = call.resource.split(":::")[1].split("/")[0]
                problems += _not_denied("bucket policy", stack.bucket_policy(bucket), call)
            yield Edge(stack.name, f"{logical_id} map {name!r}", tuple(problems))


def _schedule_call(stack: Stack, role: str, target: dict[str, Any]) -> Request:
    """What the target's role does: start the workflow, or invoke a function's alias."""
    arn = readable(target["Arn"])
    logical_type = stack.resources[arn.strip("<>").split(".")[0]]["Type"]
    action = {
        "AWS::StepFunctions::StateMachine": "states:StartExecution",
        "AWS::Lambda::Alias": "lambda:InvokeFunction",
    }[logical_type]
    return Request(_role(role), action, arn, stack.account)


def schedule_targets(stack: Stack) -> Iterator[Edge]:
    """Scheduler assumes the target's role, calls the target, and a run whose start keeps
    failing is dead-lettered (a synthetic check is not retried: its silence alarms)."""
    for logical_id, schedule in stack.of_type("AWS::Scheduler::Schedule"):
        target = schedule["Target"]
        role = readable(target["RoleArn"])
        # Scheduler names the schedule's group as the source when it assumes the role
        # (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html).
        group = schedule.get("GroupName", "default")
        source = f"arn:aws:scheduler:{REGION}:{stack.account}:schedule-group/{group}"
        for group_id, properties in stack.of_type("AWS::Scheduler::ScheduleGroup"):
            if properties.get("Name") == group:  # the same ARN, as the template names it
                source = f"<{group_id}.Arn>"
        context = {"aws:SourceAccount": stack.account, "aws:SourceArn": source}
        assume = Request(_service("scheduler.amazonaws.com"), "sts:AssumeRole", role, "", context)
        problems = _refused("role trust", [stack.trust_policy(role)], assume)
        call = _schedule_call(stack, role, target)
        problems += _refused("role policy", stack.role_policies(role), call)
        dead_letters = target.get("DeadLetterConfig", {}).get("Arn")
        if dead_letters is None:
            if call.action == "states:StartExecution":
                problems.append("no dead-letter queue: a start that keeps failing vanishes")
        else:
            queue = readable(dead_letters)
            send = Request(_role(role), "sqs:SendMessage", queue, stack.account, TLS)
            problems += _refused("role policy", stack.role_policies(role), send)
            queue_id = queue.removesuffix(".Arn>") + ">"
            policies = stack.resource_policies("AWS::SQS::QueuePolicy", "Queues", queue_id)
            problems += _not_denied("queue policy", policies, send)
            properties = stack.resources[queue.strip("<>").split(".")[0]]["Properties"]
            if "KmsMasterKeyId" in properties:
                problems.append("a KMS-encrypted dead-letter queue: Scheduler's role needs the key")
        yield Edge(stack.name, f"schedule {logical_id}", tuple(problems))


def function_logs(stack: Stack) -> Iterator[Edge]:
    """Each function writes its log streams into the log group it is configured with."""
    for logical_id, function in stack.of_type("AWS::Lambda::Function"):
        group = readable(function["LoggingConfig"]["LogGroup"])
        group_arn = f"<{group.strip('<>')}.Arn>"
        role = readable(function["Role"])
        problems = []
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            request = Request(_role(role), action, group_arn, stack.account)
            problems += _refused("role policy", stack.role_policies(role), request)
        yield Edge(stack.name, f"function {logical_id} -> {group}", tuple(problems))


def state_machine_logs(stack: Stack) -> Iterator[Edge]:
    """Step Functions delivers a workflow's logs with the workflow's own role."""
    for logical_id, machine in stack.of_type("AWS::StepFunctions::StateMachine"):
        role = readable(machine["RoleArn"])
        problems = []
        for action in ("logs:CreateLogDelivery", "logs:PutResourcePolicy"):
            request = Request(_role(role), action, "*", stack.account)
            problems += _refused("role policy", stack.role_policies(role), request)
        yield Edge(stack.name, f"{logical_id} log delivery", tuple(problems))


def bucket_access_logs(stack: Stack) -> Iterator[Edge]:
    """S3's logging service writes a bucket's access logs into its log bucket."""
    for logical_id, bucket in stack.of_type("AWS::S3::Bucket"):
        logging = bucket.get("LoggingConfiguration")
        if not logging:
            continue
        destination = readable(logging["DestinationBucketName"])
        prefix = logging.get("LogFilePrefix", "")
        request = Request(
            _service("logging.s3.amazonaws.com"),
            "s3:PutObject",
            f"<{destination.strip('<>')}.Arn>/{readable(prefix)}2026-11-26-00-00-00-0",
            stack.account,
            {
                **TLS,
                "aws:SourceAccount": stack.account,
                "aws:SourceArn": f"<{logical_id}.Arn>",
            },
        )
        problems = _refused("bucket policy", stack.bucket_policy(destination), request)
        yield Edge(stack.name, f"bucket {logical_id} -> {destination}", tuple(problems))


def _resource_path(stack: Stack, resource_id: Any) -> str:
    """`/orders/*`: the path of an API resource, path parameters as the wildcard they match."""
    reference = readable(resource_id).strip("<>").split(".")[0]
    resource = stack.resources.get(reference)
    if resource is None or resource["Type"] != "AWS::ApiGateway::Resource":
        return ""  # the API's root
    properties = resource["Properties"]
    part = "*" if properties["PathPart"].startswith("{") else properties["PathPart"]
    return f"{_resource_path(stack, properties['ParentId'])}/{part}"


def api_integrations(stack: Stack) -> Iterator[Edge]:
    """API Gateway invokes each proxy-integrated function, as the function's policy allows."""
    for logical_id, method in stack.of_type("AWS::ApiGateway::Method"):
        uri = readable(method["Integration"]["Uri"])
        function = uri.split("/functions/")[1].removesuffix("/invocations")
        route = f"/{method['HttpMethod']}{_resource_path(stack, method['ResourceId'])}"
        permissions = [
            p for _, p in stack.of_type("AWS::Lambda::Permission")
            if readable(p["FunctionName"]) == function
            and p["Principal"] == "apigateway.amazonaws.com"
            and readable(p["SourceArn"]).endswith(route)
        ]  # fmt: skip
        problems = () if permissions else ("the function's policy does not allow API Gateway",)
        yield Edge(stack.name, f"method {logical_id} -> {function}", problems)


def chatbot_channels(stack: Stack) -> Iterator[Edge]:
    """AWS Chatbot subscribes to each topic of a channel, with a role it may assume."""
    for logical_id, channel in stack.of_type("AWS::Chatbot::SlackChannelConfiguration"):
        role = readable(channel["IamRoleArn"])
        assume = Request(_service("chatbot.amazonaws.com"), "sts:AssumeRole", role, "")
        problems = _refused("role trust", [stack.trust_policy(role)], assume)
        if not channel.get("SnsTopicArns"):
            problems.append("the channel follows no topic")
        yield Edge(stack.name, f"Slack channel {logical_id}", tuple(problems))


EDGE_KINDS: dict[str, Callable[[Stack], Iterator[Edge]]] = {
    "alarm actions": alarm_actions,
    "notification rules": notification_rules,
    "state machine tasks": state_machine_tasks,
    "distributed maps": distributed_maps,
    "schedule targets": schedule_targets,
    "function logs": function_logs,
    "state machine logs": state_machine_logs,
    "bucket access logs": bucket_access_logs,
    "API integrations": api_integrations,
    "Chatbot channels": chatbot_channels,
}


@pytest.fixture(scope="module")
def stacks(synthesized: SynthesizedApp) -> list[Stack]:
    return [Stack(stack) for stack in synthesized.stacks()]


@pytest.mark.parametrize("kind", EDGE_KINDS)
def test_every_edge_of_this_kind_is_allowed_on_both_sides(stacks, kind):
    edges = [edge for stack in stacks for edge in EDGE_KINDS[kind](stack)]

    assert edges, f"no {kind} found: the walk no longer sees them"
    refused = {
        f"{edge.stack}: {edge.description}": edge.problems for edge in edges if edge.problems
    }
    assert refused == {}


def test_no_other_account_s_notification_rule_may_publish_to_the_pipeline_s_alerts(stacks):
    """The confused deputy: CodeStar Notifications acts for every account's rules."""
    (pipeline,) = [s for s in stacks if s.name == "EnergyAuctionPipeline"]
    (_, rule), *_ = pipeline.of_type("AWS::CodeStarNotifications::NotificationRule")
    topic = readable(rule["Targets"][0]["TargetAddress"])
    service = _service("codestar-notifications.amazonaws.com")
    topic_policy = pipeline.resource_policies("AWS::SNS::TopicPolicy", "Topics", topic)
    key_policy = [pipeline.key_policy(pipeline.topic_key(topic))]
    other = "999999999999"

    for context in (
        {},
        {"aws:SourceAccount": other},
        {"aws:SourceAccount": other, "aws:SourceArn": notification_rule_arn(other)},
        {"aws:SourceAccount": pipeline.account, "aws:SourceArn": notification_rule_arn(other)},
    ):
        publish = Request(service, "sns:Publish", topic, pipeline.account, {**TLS, **context})
        assert decide(topic_policy, publish) != "Allow", context
    for context in ({"aws:SourceAccount": other, **THROUGH_SNS}, {}):
        use = Request(service, "kms:GenerateDataKey", pipeline.topic_key(topic), "", context)
        assert decide(key_policy, use) != "Allow", context


def test_the_stage_accounts_may_read_the_pipeline_artifacts_they_deploy(stacks):
    (pipeline,) = [s for s in stacks if s.name == "EnergyAuctionPipeline"]
    (_, definition), *_ = pipeline.of_type("AWS::CodePipeline::Pipeline")
    bucket = readable(definition["ArtifactStore"]["Location"])
    key = readable(definition["ArtifactStore"]["EncryptionKey"]["Id"])
    deploy_roles = {
        normalized(readable(action["RoleArn"]))
        for stage in definition["Stages"]
        for action in stage["Actions"]
        if action["ActionTypeId"]["Provider"] == "CloudFormation"
    }
    stage_accounts = {s.account for s in stacks if s.name != pipeline.name}
    assert {role.split(":")[4] for role in deploy_roles} == stage_accounts

    for role in deploy_roles:
        account = role.split(":")[4]
        read = Request({"AWS": role}, "s3:GetObject", f"<{bucket.strip('<>')}.Arn>/x", account, TLS)
        assert decide(pipeline.bucket_policy(bucket), read) == "Allow", role
        decrypt = Request({"AWS": role}, "kms:Decrypt", key, account)
        assert decide([pipeline.key_policy(key)], decrypt) == "Allow", role
