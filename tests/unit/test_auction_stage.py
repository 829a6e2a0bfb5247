"""The AuctionStage's resources and their key properties, on the app synthesized once."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template

from auction_constructs.auction_workflow import worst_task_seconds
from tests.unit.iam import logical_id, readable, statements_of_role

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
            "AttributeDefinitions": [{"AttributeName": "record_id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    )


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


def test_post_orders_requires_iam_auth_and_a_validated_body(dev):
    template = Template.from_json(dev)
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "POST",
            "AuthorizationType": "AWS_IAM",
            "RequestValidatorId": Match.any_value(),
            "RequestModels": {"application/json": Match.any_value()},
            "Integration": Match.object_like({"Type": "AWS_PROXY"}),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True}
    )
    (model,) = resources(dev, "AWS::ApiGateway::Model").values()
    schema = model["Properties"]["Schema"]
    assert schema["type"] == "array"
    assert schema["items"]["required"] == ["record_id"]
    assert schema["items"]["not"] == {"anyOf": [{"required": ["ttl"]}]}


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
        ("handlers.post_orders.handler", {"ORDERS_TABLE_NAME"}),
        ("handlers.fetch_results.handler", set()),
        ("handlers.store_result.handler", {"RESULTS_BUCKET_NAME"}),
    ],
)
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
    assert set(function.get("Environment", {}).get("Variables", {})) == env


def test_each_function_has_its_own_role(dev):
    roles = [
        readable(f["Properties"]["Role"]) for f in resources(dev, "AWS::Lambda::Function").values()
    ]

    assert len(set(roles)) == len(roles) == 3


def test_function_code_holds_only_the_handlers_and_the_domain(synthesized, dev):
    (function, *_) = resources(dev, "AWS::Lambda::Function").values()
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    asset_dir = synthesized.outdir / f"asset.{asset_hash}"

    assert sorted(p.name for p in asset_dir.iterdir()) == ["domain", "handlers"]
    assert not list(asset_dir.rglob("__pycache__"))


def test_post_orders_may_only_write_the_table(dev):
    table = logical_id(dev, "AWS::DynamoDB::Table", "OrdersTable")

    assert _data_access(statements_of_role(dev, "PostOrdersRole")) == {
        ("dynamodb:BatchWriteItem", f"<{table}.Arn>")
    }


def test_lambda_b_may_only_put_objects_under_orders(dev):
    bucket = logical_id(dev, "AWS::S3::Bucket", "ResultsBucket")

    assert _data_access(statements_of_role(dev, "StoreResultRole")) == {
        ("s3:PutObject", f"<{bucket}.Arn>/orders/*")
    }


def test_lambda_a_may_touch_no_data(dev):
    assert _data_access(statements_of_role(dev, "FetchResultsRole")) == set()


def test_the_state_machine_may_only_invoke_its_functions_and_publish_to_its_topic(dev):
    fetch = logical_id(dev, "AWS::Lambda::Function", "FetchResultsFunction")
    store = logical_id(dev, "AWS::Lambda::Function", "StoreResultFunction")
    topic = logical_id(dev, "AWS::SNS::Topic", "AlertsTopic")
    key = logical_id(dev, "AWS::KMS::Key", "AlertsKey")

    granted = statements_of_role(dev, "WorkflowStateMachineRole")

    assert _data_access(granted) == {
        ("lambda:InvokeFunction", f"<{fetch}.Arn>"),
        ("lambda:InvokeFunction", f"<{fetch}.Arn>:*"),
        ("lambda:InvokeFunction", f"<{store}.Arn>"),
        ("lambda:InvokeFunction", f"<{store}.Arn>:*"),
        ("sns:Publish", f"<{topic}>"),
        ("kms:Decrypt", f"<{key}.Arn>"),
        ("kms:GenerateDataKey", f"<{key}.Arn>"),
    }


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


def test_the_workflow_runs_every_hour(dev):
    (schedule,) = resources(dev, "AWS::Scheduler::Schedule").values()
    state_machine = logical_id(dev, "AWS::StepFunctions::StateMachine", "WorkflowStateMachine")

    assert schedule["Properties"]["ScheduleExpression"] == "cron(0 * * * ? *)"
    assert schedule["Properties"]["State"] == "ENABLED"
    assert readable(schedule["Properties"]["Target"]["Arn"]) == f"<{state_machine}>"


@pytest.mark.parametrize(("stage", "run_timeout_minutes"), [("Dev", 50), ("Prod", 55)])
def test_a_start_that_failed_is_retried_only_while_the_run_would_end_in_its_hour(
    synthesized, stage, run_timeout_minutes
):
    template = synthesized.stage_template(stage)
    (schedule,) = resources(template, "AWS::Scheduler::Schedule").values()
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
    assert [a["MetricName"] for a in alarmed] == ["ApproximateNumberOfMessagesVisible"]


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
     "RunsFailed", "RunsTimedOut", "Api5Xx", "OrdersTableThrottled", "HourlyStartsFailed"],
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
            "SlackChannelId": "C0123456789",
            "SnsTopicArns": [{"Ref": topic}],
        },
    )
    (channel,) = resources(dev, "AWS::Chatbot::SlackChannelConfiguration").values()
    parameters = {
        field: dev["Parameters"][channel["Properties"][field]["Ref"]]
        for field in ("SlackWorkspaceId", "SlackChannelId")
    }
    assert parameters == {
        "SlackWorkspaceId": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/energy-auction/slack-workspace-id",
        },
        "SlackChannelId": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/energy-auction/dev/slack-channel-id",
        },
    }
    assert resources(dev, "AWS::SNS::Subscription") == {}


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


def test_lambda_b_is_not_retried_on_a_rejection_but_is_on_other_errors_then_alerts(dev):
    store = _states(dev)["Store order result"]

    no_retry, retry = store["Retry"]
    assert no_retry == {
        "ErrorEquals": ["OrderRejectedError", "InvalidOrderResultError"],
        "MaxAttempts": 0,
    }
    assert retry["ErrorEquals"] == ["States.ALL"]
    assert retry["MaxAttempts"] == 3
    assert retry["BackoffRate"] == 2
    (catch,) = store["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    assert catch["Next"] == "Alert order failed"


def test_every_alert_is_retried_and_lambda_a_errors_are_retried(dev):
    states = _states(dev)

    for name in ("Alert order failed", "Alert run failed", "Fetch auction results"):
        (retry,) = states[name]["Retry"]
        assert retry["ErrorEquals"] == ["States.ALL"], name
        assert retry["MaxAttempts"] == 3, name


def test_each_task_times_out_after_its_function_would(dev):
    functions = {
        name: f["Properties"]["Timeout"]
        for name, f in resources(dev, "AWS::Lambda::Function").items()
    }
    states = _states(dev)

    for state in ("Fetch auction results", "Store order result"):
        function = next(name for name in functions if name in states[state]["Resource"])
        assert functions[function] < states[state]["TimeoutSeconds"], state


@pytest.mark.parametrize("stage", STAGES)
def test_a_run_gives_up_on_results_before_its_own_timeout(synthesized, stage):
    states = _states(synthesized.stage_template(stage))
    delays = states["Start polling"]["Parameters"]["delays"]
    (machine,) = resources(
        synthesized.stage_template(stage), "AWS::StepFunctions::StateMachine"
    ).values()
    timeout = json.loads(readable(machine["Properties"]["DefinitionString"]))["TimeoutSeconds"]

    assert sum(delays) + (len(delays) + 1) * worst_task_seconds() < timeout
