"""The AuctionStage's resources and their key properties, on the app synthesized once."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template

from auction_constructs.auction_workflow import CHUNK_RETRY_DELAYS, worst_task_seconds
from domain.lifecycle import OPEN_ORDERS_INDEX
from tests.orders_table import ORDERS_TABLE_SCHEMA
from tests.unit.iam import listed, logical_id, readable, statements_of_role

pytestmark = pytest.mark.synth
STAGES = ("Dev", "Staging", "Prod")


@pytest.fixture(scope="module")
def dev(synthesized) -> dict:
    return synthesized.stage_template("Dev")


@pytest.fixture(scope="module")
def prod(synthesized) -> dict:
    return synthesized.stage_template("Prod")


def resources(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def test_the_orders_table_keys_on_record_id_and_expires_items_by_ttl(dev):
    Template.from_json(dev).has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "record_id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    )


def test_open_orders_are_found_through_a_sparse_index_sorted_by_posting(dev):
    (table,) = resources(dev, "AWS::DynamoDB::Table").values()
    (index,) = table["Properties"]["GlobalSecondaryIndexes"]

    assert index["IndexName"] == OPEN_ORDERS_INDEX
    assert index["KeySchema"] == [
        {"AttributeName": "open_shard", "KeyType": "HASH"},
        {"AttributeName": "posted_at", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    types = {
        a["AttributeName"]: a["AttributeType"] for a in table["Properties"]["AttributeDefinitions"]
    }
    assert types == {"record_id": "S", "open_shard": "N", "posted_at": "N"}


def test_the_orders_table_the_unit_and_property_tests_make_is_the_one_the_stage_declares(dev):
    (table,) = resources(dev, "AWS::DynamoDB::Table").values()

    declared = {name: table["Properties"].get(name) for name in ORDERS_TABLE_SCHEMA}

    assert declared == ORDERS_TABLE_SCHEMA


def test_the_orders_table_is_retained_in_prod_and_destroyed_in_dev(dev, prod):
    (dev_table,) = resources(dev, "AWS::DynamoDB::Table").values()
    (prod_table,) = resources(prod, "AWS::DynamoDB::Table").values()

    assert dev_table["DeletionPolicy"] == "Delete"
    assert dev_table["Properties"]["DeletionProtectionEnabled"] is False
    assert prod_table["DeletionPolicy"] == "RetainExceptOnCreate"
    assert prod_table["Properties"]["DeletionProtectionEnabled"] is True


def test_nothing_retained_blocks_a_retry_after_a_failed_first_deploy(synthesized):
    # "Retain" keeps a resource even when the create that made it rolls back, and a named
    # one then stops the next attempt with "already exists"; RetainExceptOnCreate does not
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
    retained = {
        (stack.name, logical_id)
        for stack in synthesized.stacks()
        for logical_id, resource in stack.template()["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain"
    }

    assert retained == set()


def test_what_prod_keeps_outlives_the_stack(prod):
    kept = {
        resource["Type"]
        for resource in prod["Resources"].values()
        if resource.get("DeletionPolicy") == "RetainExceptOnCreate"
    }

    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Logs::LogGroup"} <= kept


def test_the_results_bucket_is_named_per_stage_and_account_private_and_versioned(dev):
    template = Template.from_json(dev)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": "order-results-dev-111111111111",
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": Match.object_like({}),
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LoggingConfiguration": Match.object_like({"DestinationBucketName": Match.any_value()}),
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [Match.object_like({"NoncurrentVersionExpiration": Match.any_value()})]
                )
            },
        },
    )


def test_every_bucket_refuses_requests_without_tls(dev):
    for name in resources(dev, "AWS::S3::Bucket"):
        (policy,) = [
            p
            for p in resources(dev, "AWS::S3::BucketPolicy").values()
            if readable(p["Properties"]["Bucket"]) == f"<{name}>"
        ]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ), name


def test_post_orders_requires_iam_auth_and_only_the_handler_answers_for_the_body(dev):
    (post,) = [
        m["Properties"] for m in resources(dev, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "POST"
    ]  # fmt: skip

    assert post["AuthorizationType"] == "AWS_IAM"
    assert post["Integration"]["Type"] == "AWS_PROXY"
    # No model, no body validation: every answer about a body is the handler's, as
    # docs/api.md documents it and the local API answers it.
    assert "RequestModels" not in post
    assert resources(dev, "AWS::ApiGateway::Model") == {}
    assert all(
        v["Properties"]["ValidateRequestBody"] is False
        for v in resources(dev, "AWS::ApiGateway::RequestValidator").values()
    )


def test_an_order_is_read_with_a_signed_get_and_clients_get_only_the_two_routes(dev):
    (get,) = [
        m["Properties"] for m in resources(dev, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "GET"
    ]  # fmt: skip
    assert get["AuthorizationType"] == "AWS_IAM"
    assert get["RequestParameters"] == {"method.request.path.record_id": True}
    policies = {
        name.split("OrdersApi")[1].split("Policy")[0]: p["Properties"]["PolicyDocument"][
            "Statement"
        ]
        for name, p in resources(dev, "AWS::IAM::ManagedPolicy").items()
    }
    routes = {
        kind: [readable(r).rsplit("/", 3)[-3:] for s in statements for r in listed(s["Resource"])]
        for kind, statements in policies.items()
    }
    assert {kind: sorted(r) for kind, r in routes.items()} == {
        "Client": [["GET", "orders", "*"], ["v1", "POST", "orders"]],
        "Reader": [["GET", "orders", "*"]],
    }


def test_there_is_no_method_without_authorization(dev):
    methods = resources(dev, "AWS::ApiGateway::Method").values()

    assert {m["Properties"]["AuthorizationType"] for m in methods} == {"AWS_IAM"}


@pytest.mark.parametrize(("stage", "rate", "burst"), [("Dev", 10, 20), ("Prod", 100, 200)])
def test_the_api_stage_is_throttled_traced_and_access_logged(synthesized, stage, rate, burst):
    Template.from_json(synthesized.stage_template(stage)).has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "v1",
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "MethodSettings": [
                Match.object_like({"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst})
            ],
        },
    )


@pytest.mark.parametrize(
    ("handler", "env"),
    [
        ("handlers.post_orders.handler", {"ORDERS_TABLE_NAME", "TRACING_ADAPTER"}),
        ("handlers.get_order.handler", {"ORDERS_TABLE_NAME", "TRACING_ADAPTER"}),
        ("handlers.fetch_results.handler",
         {"ORDERS_TABLE_NAME", "OPEN_ORDERS_INDEX", "RESULTS_BUCKET_NAME", "RUNS_BUCKET_NAME",
          "TRACING_ADAPTER"}),
        ("handlers.store_result.handler",
         {"ORDERS_TABLE_NAME", "RESULTS_BUCKET_NAME", "RUNS_BUCKET_NAME", "TRACING_ADAPTER"}),
        ("handlers.summarize_run.handler",
         {"RESULTS_BUCKET_NAME", "RUNS_BUCKET_NAME", "TRACING_ADAPTER"}),
    ],
)  # fmt: skip
def test_each_function_is_arm64_traced_json_logged_with_its_environment(dev, handler, env):
    (function,) = [
        f["Properties"]
        for f in resources(dev, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == handler
    ]

    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert "LogGroup" in function["LoggingConfig"]
    assert len(function["Layers"]) == 1
    # Each writes its numbers to the stage's namespace (tests/unit/test_auction_alarms.py).
    assert set(function.get("Environment", {}).get("Variables", {})) == env | {"METRICS_NAMESPACE"}


def test_each_function_has_its_own_role(dev):
    roles = [
        readable(f["Properties"]["Role"]) for f in resources(dev, "AWS::Lambda::Function").values()
    ]

    assert len(set(roles)) == len(roles) == 6


def test_function_code_holds_only_the_handlers_and_the_domain(synthesized, dev):
    (function, *_) = resources(dev, "AWS::Lambda::Function").values()
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    asset_dir = synthesized.outdir / f"asset.{asset_hash}"

    assert sorted(p.name for p in asset_dir.iterdir()) == ["domain", "handlers"]
    assert not list(asset_dir.rglob("__pycache__"))


@pytest.fixture(scope="module")
def names(dev) -> dict[str, str]:
    """Logical ids of what the functions touch."""
    return {
        "table": logical_id(dev, "AWS::DynamoDB::Table", "OrdersTable"),
        "results": logical_id(dev, "AWS::S3::Bucket", "ResultsBucket"),
        "runs": logical_id(dev, "AWS::S3::Bucket", "ResultsRuns"),
    }


def test_post_orders_may_only_read_and_write_orders(dev, names):
    table = f"<{names['table']}.Arn>"

    assert _data_access(statements_of_role(dev, "FunctionsPostOrdersRole")) == {
        ("dynamodb:BatchGetItem", table),
        ("dynamodb:BatchWriteItem", table),
        ("dynamodb:PutItem", table),
    }


def test_get_order_may_only_read_one_order(dev, names):
    assert _data_access(statements_of_role(dev, "FunctionsGetOrderRole")) == {
        ("dynamodb:GetItem", f"<{names['table']}.Arn>")
    }


def test_lambda_a_may_only_query_open_orders_and_write_the_run_s_chunks(dev, names):
    runs = f"<{names['runs']}.Arn>"

    assert _data_access(statements_of_role(dev, "FunctionsFetchResultsRole")) == {
        ("dynamodb:Query", f"<{names['table']}.Arn>/index/{OPEN_ORDERS_INDEX}"),
        ("s3:PutObject", f"{runs}/runs/*/chunks.json"),
        ("s3:PutObject", f"{runs}/runs/*/chunks/*"),
    }


def test_lambda_b_may_only_read_chunks_write_results_and_outcomes_and_record_them(dev, names):
    runs = f"<{names['runs']}.Arn>"

    assert _data_access(statements_of_role(dev, "FunctionsStoreResultRole")) == {
        ("s3:GetObject", f"{runs}/runs/*/chunks/*"),
        ("s3:PutObject", f"<{names['results']}.Arn>/orders/*"),
        ("s3:PutObject", f"{runs}/runs/*/outcomes/*"),
        ("dynamodb:UpdateItem", f"<{names['table']}.Arn>"),
        ("dynamodb:GetItem", f"<{names['table']}.Arn>"),
    }


def test_lambda_c_may_only_read_the_runs_and_write_their_reports(dev, names):
    runs = f"<{names['runs']}.Arn>"

    assert _data_access(statements_of_role(dev, "FunctionsSummarizeRunRole")) == {
        ("s3:GetObject", f"{runs}/runs/*"),
        ("s3:PutObject", f"{runs}/runs/*/report.json"),
        ("s3:ListBucket", runs),
    }


def test_the_state_machine_may_only_invoke_its_functions_use_the_runs_and_alert(dev, names):
    functions = [
        logical_id(dev, "AWS::Lambda::Alias", f"Functions{name}Live")
        for name in ("FetchResults", "StoreResult", "SummarizeRun")
    ]
    topic = logical_id(dev, "AWS::SNS::Topic", "AlertsTopic")
    key = logical_id(dev, "AWS::KMS::Key", "AlertsKey")
    runs = f"arn:<AWS::Partition>:s3:::<{names['runs']}>/*"

    granted = statements_of_role(dev, "WorkflowStateMachine")
    machine = logical_id(dev, "AWS::StepFunctions::StateMachine", "WorkflowStateMachine")
    executions = (
        f"arn:<AWS::Partition>:states:eu-west-1:111111111111:execution:"
        f"<part 6 of <{machine}> split by ':'>"
    )

    assert _data_access(granted) == {
        # The Distributed Map starts, watches and may re-drive its own children.
        ("states:StartExecution", f"<{machine}>"),
        ("states:DescribeExecution", f"{executions}:*"),
        ("states:StopExecution", f"{executions}:*"),
        ("states:RedriveExecution", f"{executions}/*:*"),
        # The functions' live aliases only: never $LATEST.
        *{("lambda:InvokeFunction", f"<{f}>") for f in functions},
        *{(action, runs) for action in ("s3:GetObject", "s3:PutObject",
                                        "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")},
        ("sns:Publish", f"<{topic}>"),
        ("kms:Decrypt", f"<{key}.Arn>"),
        ("kms:GenerateDataKey", f"<{key}.Arn>"),
    }  # fmt: skip


def _data_access(granted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """All but the grants every function or state machine needs: its logs and X-Ray."""
    return {
        (action, resource)
        for action, resource in granted
        if not action.startswith(("xray:", "logs:"))
    }


def test_the_alerts_topic_is_kms_encrypted_and_tls_only(dev):
    template = Template.from_json(dev)
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"TopicName": "auction-alerts-dev", "KmsMasterKeyId": Match.any_value()},
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def hourly(template: dict) -> dict:
    (schedule,) = [
        s for s in resources(template, "AWS::Scheduler::Schedule").values()
        if s["Properties"]["ScheduleExpression"].startswith("cron")
    ]  # fmt: skip
    return schedule


def test_the_workflow_runs_every_hour(dev):
    schedule = hourly(dev)
    state_machine = logical_id(dev, "AWS::StepFunctions::StateMachine", "WorkflowStateMachine")

    assert schedule["Properties"]["ScheduleExpression"] == "cron(0 * * * ? *)"
    assert schedule["Properties"]["State"] == "ENABLED"
    assert readable(schedule["Properties"]["Target"]["Arn"]) == f"<{state_machine}>"


@pytest.mark.parametrize(("stage", "run_timeout_minutes"), [("Dev", 50), ("Prod", 55)])
def test_a_start_that_failed_is_retried_only_while_the_run_would_end_in_its_hour(
    synthesized, stage, run_timeout_minutes
):
    template = synthesized.stage_template(stage)
    schedule = hourly(template)
    target = schedule["Properties"]["Target"]

    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": 3,
        "MaximumEventAgeInSeconds": 3600 - run_timeout_minutes * 60,
    }
    queue = readable(target["DeadLetterConfig"]["Arn"]).strip("<>").split(".")[0]
    properties = template["Resources"][queue]["Properties"]
    assert properties["SqsManagedSseEnabled"] is True
    alarmed = [
        a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Dimensions") == [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
        ]
    ]  # fmt: skip
    # Each dead letter alarms once; one left for a person to read does not keep alarming.
    assert [(a["MetricName"], a["Statistic"]) for a in alarmed] == [("NumberOfMessagesSent", "Sum")]


def test_the_state_machine_is_standard_traced_logged_and_bounded_in_time(dev):
    (machine,) = resources(dev, "AWS::StepFunctions::StateMachine").values()
    properties = machine["Properties"]

    assert properties["StateMachineType"] == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    definition = json.loads(readable(properties["DefinitionString"]))
    assert definition["TimeoutSeconds"] == 50 * 60


@pytest.mark.parametrize(
    "alarm",
    ["PostOrdersErrors", "FetchResultsErrors", "StoreResultErrors", "PostOrdersThrottles",
     "RunsTimedOut", "Api5Xx", "OrdersTableThrottled", "HourlyStartsFailed"],
)  # fmt: skip
def test_alarms_watch_the_flow_and_notify_the_alerts_topic(dev, alarm):
    topic = logical_id(dev, "AWS::SNS::Topic", "AlertsTopic")
    (found,) = [
        a for name, a in resources(dev, "AWS::CloudWatch::Alarm").items()
        if name.startswith(f"Observability{alarm}")
    ]  # fmt: skip

    assert [readable(action) for action in found["Properties"]["AlarmActions"]] == [f"<{topic}>"]
    # Named by the stage, as the topic policy allows alarms by name.
    assert found["Properties"]["AlarmName"].startswith("energy-auction-dev-")


def test_the_dashboard_shows_every_part_of_the_flow(dev):
    (dashboard,) = resources(dev, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    for namespace in ("AWS/ApiGateway", "AWS/Lambda", "AWS/States", "AWS/DynamoDB"):
        assert namespace in body, namespace
    assert "alarms" in body  # the alarm status widget
    assert dashboard["Properties"]["DashboardName"] == "energy-auction-dev"


def test_alert_targets_come_from_configuration(synthesized, dev):
    # The test session configures staging with a literal e-mail and Slack channel; dev
    # keeps cdk.json's, the names of SSM parameters CloudFormation reads at deploy time.
    staging = synthesized.stage_template("Staging")
    topic = logical_id(staging, "AWS::SNS::Topic", "AlertsTopic")
    Template.from_json(staging).has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "auction-oncall@example.com", "TopicArn": {"Ref": topic}},
    )
    Template.from_json(staging).has_resource_properties(
        "AWS::Chatbot::SlackChannelConfiguration",
        {
            "SlackWorkspaceId": "T0123456789",
            "SlackChannelId": "C0123456789",  # pragma: allowlist secret (a made-up channel)
            "SnsTopicArns": [{"Ref": topic}],
        },
    )
    (channel,) = resources(dev, "AWS::Chatbot::SlackChannelConfiguration").values()
    assert channel["Properties"]["SlackWorkspaceId"] == (
        "{{resolve:ssm:/energy-auction/slack-workspace-id}}"
    )
    assert channel["Properties"]["SlackChannelId"] == (
        "{{resolve:ssm:/energy-auction/dev/slack-channel-id}}"
    )
    assert resources(dev, "AWS::SNS::Subscription") == {}


def test_no_template_asks_its_deployer_to_read_a_parameter_the_bootstrap_role_may_not(
    synthesized,
):
    # CloudFormation resolves `AWS::SSM::Parameter::Value` parameters when the change set
    # is made; AWS documents no identity for that nor for dynamic references. The deploy
    # role may read the bootstrap version and /energy-auction/* (test_bootstrap.py), the
    # execution policy /energy-auction/* (test_execution_policy.py): no other parameter.
    for stack in synthesized.stacks():
        parameters = stack.template().get("Parameters", {})
        ssm_typed = {
            p["Default"] for p in parameters.values() if p["Type"].startswith("AWS::SSM::")
        }
        assert ssm_typed <= {"/cdk-bootstrap/hnb659fds/version"}, stack.name


def _states(template: dict) -> dict[str, dict]:
    """Every state of the workflow definition by name, nested branches included."""
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    found: dict[str, dict] = {}

    def walk(states: dict) -> None:
        for name, state in states.items():
            found[name] = state
            for branch in [*state.get("Branches", []), state.get("ItemProcessor", {})]:
                walk(branch.get("States", {}))

    walk(json.loads(readable(machine["Properties"]["DefinitionString"]))["States"])
    return found


def test_each_chunk_is_a_child_of_a_distributed_map_reading_lambda_a_s_manifest(dev):
    states = _states(dev)
    each = states["Record each chunk"]

    assert each["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert each["ItemReader"]["Resource"].endswith(":states:::s3:getObject")
    assert each["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    assert each["ItemReader"]["Parameters"]["Key.$"] == "$.auction.chunks.key"
    assert each["ResultWriter"]["Parameters"]["Prefix"] == "runs/map-results"
    assert each["ResultPath"] is None  # nothing per chunk comes back into the run's state
    assert each["MaxConcurrency"] == 5
    # Neither tolerance is set: a child that fails fails the run (none should: see below).
    assert "ToleratedFailurePercentage" not in each
    assert "ToleratedFailureCount" not in each


def test_a_chunk_is_called_again_then_reported_never_failing_its_child(dev):
    states = _states(dev)
    record = states["Record chunk"]

    (retry,) = record["Retry"]  # the unexpected: the function failing
    assert retry["ErrorEquals"] == ["States.ALL"]
    assert (retry["MaxAttempts"], retry["BackoffRate"]) == (3, 2)
    (catch,) = record["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    assert states[catch["Next"]]["Type"] == "Pass"
    # The expected: an answer that a retry may mend the rest, bounded by the delays.
    done, again = states["Chunk recorded?"]["Choices"]
    assert done == {"Variable": "$.recorded.complete", "BooleanEquals": True, "Next": "Chunk done"}
    assert again["Variable"] == "$.attempt"
    assert again["NumericLessThan"] == len(CHUNK_RETRY_DELAYS)
    assert states["Chunk recorded?"]["Default"] == catch["Next"]


def test_the_run_alerts_once_when_an_order_was_rejected_or_failed(dev):
    states = _states(dev)

    (choice,) = states["Anyone to tell?"]["Choices"]
    assert choice == {
        "Variable": "$.summary.needs_attention",
        "BooleanEquals": True,
        "Next": "Alert run outcome",
    }
    message = states["Alert run outcome"]["Parameters"]["Message"]["content"]
    assert message["title.$"] == "$.summary.alert.title"


def test_every_alert_is_retried_and_every_task_too(dev):
    states = _states(dev)
    tasks = [name for name, state in states.items() if state["Type"] == "Task"]

    assert len(tasks) == 5
    for name in tasks:
        (retry,) = states[name]["Retry"]
        assert retry["ErrorEquals"] == ["States.ALL"], name
        assert retry["MaxAttempts"] == 3, name


def test_each_task_times_out_after_its_function_would(dev):
    timeouts = {
        name: f["Properties"]["Timeout"]
        for name, f in resources(dev, "AWS::Lambda::Function").items()
    }
    aliases = {
        name: a["Properties"]["FunctionName"]["Ref"]
        for name, a in resources(dev, "AWS::Lambda::Alias").items()
    }
    states = _states(dev)

    for state in ("Fetch auction results", "Record chunk", "Summarize run"):
        alias = states[state]["Resource"].strip("<>")
        assert timeouts[aliases[alias]] < states[state]["TimeoutSeconds"], state


@pytest.mark.parametrize("stage", STAGES)
def test_a_run_gives_up_on_results_before_its_own_timeout(synthesized, stage):
    states = _states(synthesized.stage_template(stage))
    delays = states["Start polling"]["Parameters"]["polling"]["delays"]
    (machine,) = resources(
        synthesized.stage_template(stage), "AWS::StepFunctions::StateMachine"
    ).values()
    timeout = json.loads(readable(machine["Properties"]["DefinitionString"]))["TimeoutSeconds"]

    assert sum(delays) + (len(delays) + 1) * worst_task_seconds() < timeout
