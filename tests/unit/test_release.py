"""How a new version goes live: every caller on the `live` alias, and in prod CodeDeploy
shifting it, by canary for the API's functions, rolling back on their alarms."""

from __future__ import annotations

import json

import pytest

from auction_constructs.functions import ALIAS
from domain.api_probes import ROUTES
from stages.auction_stack import API_FUNCTIONS
from tests.unit.iam import listed, readable

pytestmark = pytest.mark.synth
STAGES = ("Dev", "Staging", "Prod")
REGION = "eu-west-1"
CANARY = "CodeDeployDefault.LambdaCanary10Percent10Minutes"
HOOK_HANDLER = "handlers.pre_traffic_check.handler"
AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce"


def of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {
        name: resource.get("Properties", {})
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def logical(reference: str) -> str:
    return reference.strip("<>").split(".")[0]


@pytest.fixture(scope="module", params=STAGES)
def stage(synthesized, request) -> dict:
    return synthesized.stage_template(request.param)


@pytest.fixture(scope="module")
def prod(synthesized) -> dict:
    return synthesized.stage_template("Prod")


def aliases_by_function(template: dict) -> dict[str, str]:
    """Function logical id -> its alias's logical id."""
    return {
        readable(alias["FunctionName"]).strip("<>"): name
        for name, alias in of_type(template, "AWS::Lambda::Alias").items()
    }


def released_functions(template: dict) -> dict[str, dict]:
    """Every function but CodeDeploy's hooks, which CodeDeploy runs by name: tools of a
    release, not released themselves."""
    return {
        name: function
        for name, function in of_type(template, "AWS::Lambda::Function").items()
        if function["Handler"] != HOOK_HANDLER
    }


def test_every_function_is_a_published_version_behind_its_live_alias(stage):
    functions = released_functions(stage)
    versions = of_type(stage, "AWS::Lambda::Version")
    aliases = of_type(stage, "AWS::Lambda::Alias")

    assert set(aliases_by_function(stage)) == set(functions)
    for alias in aliases.values():
        assert alias["Name"] == ALIAS
        version = logical(readable(alias["FunctionVersion"]))
        assert readable(versions[version]["FunctionName"]) == readable(alias["FunctionName"])


def test_every_caller_calls_the_alias_never_the_function_itself(stage):
    aliases = set(aliases_by_function(stage).values())
    functions = set(released_functions(stage))
    called = []

    for machine in of_type(stage, "AWS::StepFunctions::StateMachine").values():
        definition = readable(machine["DefinitionString"])
        assert [name for name in functions if f"<{name}" in definition] == []
        called += [logical(f"<{name}>") for name in aliases if f"<{name}>" in definition]
    for method in of_type(stage, "AWS::ApiGateway::Method").values():
        target = readable(method["Integration"]["Uri"]).split("/functions/")[1]
        called.append(logical(target.removesuffix("/invocations")))
    for schedule in of_type(stage, "AWS::Scheduler::Schedule").values():
        target = logical(readable(schedule["Target"]["Arn"]))
        if stage["Resources"][target]["Type"].startswith("AWS::Lambda"):
            called.append(target)
    for permission in of_type(stage, "AWS::Lambda::Permission").values():
        called.append(logical(readable(permission["FunctionName"])))
    checks = pre_traffic_checks(stage)
    check_roles = {f"<{logical(readable(check['Role']))}>" for check in checks.values()}
    for policy in of_type(stage, "AWS::IAM::Policy").values():
        if {readable(role) for role in policy["Roles"]} <= check_roles:
            continue  # a pre-traffic check calls the version it checks (tested below)
        for statement in policy["PolicyDocument"]["Statement"]:
            if "lambda:InvokeFunction" in listed(statement["Action"]):
                called += [logical(readable(r)) for r in listed(statement["Resource"])]

    assert called
    # CodeDeploy calls its hooks by name (tested below); everyone else calls an alias.
    assert set(called) - set(checks) <= aliases, set(called) - aliases


def handler_name(function: dict) -> str:
    """`post_orders` for `handlers.post_orders.handler`."""
    return function["Handler"].split(".")[1]


def deployment_groups(template: dict) -> dict[str, dict]:
    """The function each deployment group releases (through its alias) -> the group."""
    groups = of_type(template, "AWS::CodeDeploy::DeploymentGroup")
    functions = of_type(template, "AWS::Lambda::Function")
    released = {}
    for alias in template["Resources"].values():
        if alias["Type"] != "AWS::Lambda::Alias":
            continue
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        function = functions[logical(readable(alias["Properties"]["FunctionName"]))]
        released[handler_name(function)] = groups[logical(readable(update["DeploymentGroupName"]))]
    return released


def alarm_names(template: dict, group: dict) -> set[str]:
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    return {
        alarms[logical(readable(alarm["Name"]))]["AlarmName"]
        for alarm in group["AlarmConfiguration"]["Alarms"]
    }


def test_prod_releases_each_function_with_codedeploy_rolling_back_on_its_alarms(prod):
    groups = deployment_groups(prod)
    functions = {handler_name(f) for f in released_functions(prod).values()}

    assert set(groups) == functions
    for name, group in groups.items():
        expected = CANARY if name in API_FUNCTIONS else AT_ONCE
        assert group["DeploymentConfigName"] == expected, name
        assert group["AlarmConfiguration"]["Enabled"] is True
        assert group["AutoRollbackConfiguration"] == {
            "Enabled": True,
            "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
        }
        own = {f"energy-auction-prod-{name.replace('_', '-')}-{what}"
               for what in ("errors", "throttles")}  # fmt: skip
        assert own <= alarm_names(prod, group), name


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_the_api_s_canary_watches_what_a_client_meets(prod, function):
    group = deployment_groups(prod)[function]

    assert alarm_names(prod, group) >= {
        "energy-auction-prod-api-5xx",
        "energy-auction-prod-api-slow-requests",
        "energy-auction-prod-synthetic-check-errors",
    }


def pre_traffic_checks(template: dict) -> dict[str, dict]:
    """Each pre-traffic hook's logical id -> its function's properties."""
    return {
        name: function
        for name, function in of_type(template, "AWS::Lambda::Function").items()
        if function["Handler"] == HOOK_HANDLER
    }


def aliases_released(template: dict) -> dict[str, dict]:
    """The function each CodeDeploy-released alias serves -> the alias's resource."""
    functions = of_type(template, "AWS::Lambda::Function")
    return {
        handler_name(functions[logical(readable(alias["Properties"]["FunctionName"]))]): alias
        for alias in template["Resources"].values()
        if alias["Type"] == "AWS::Lambda::Alias" and "UpdatePolicy" in alias
    }


def grants_of(template: dict, role: str) -> set[tuple[str, str]]:
    """What the role's own policies allow, (action, resource), logs and X-Ray aside."""
    return {
        (action, readable(resource))
        for policy in of_type(template, "AWS::IAM::Policy").values()
        if f"<{role}>" in [readable(r) for r in policy["Roles"]]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in listed(statement["Action"])
        for resource in listed(statement["Resource"])
        if not action.startswith(("xray:", "logs:"))
    }


def test_each_api_function_s_new_version_is_checked_before_it_takes_traffic(prod):
    checks = pre_traffic_checks(prod)
    hooked = {}
    for name, alias in aliases_released(prod).items():
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        if "BeforeAllowTrafficHook" not in update:
            continue
        check_id = logical(readable(update["BeforeAllowTrafficHook"]))
        check = checks[check_id]
        variables = check["Environment"]["Variables"]
        # The version the alias moves to, as the same update publishes it.
        assert readable(variables["CHECKED_VERSION_ARN"]) == readable(
            alias["Properties"]["FunctionVersion"]
        ).replace(".Version>", ">")
        hooked[name] = variables["CHECKED_ROUTE"]
        # ... and the alias waits for the check, and for the grant to invoke that version.
        check_role = logical(readable(check["Role"]))
        policies = [
            logical_id
            for logical_id, resource in prod["Resources"].items()
            if resource["Type"] == "AWS::IAM::Policy"
            and check_role in json.dumps(resource["Properties"]["Roles"])
        ]
        assert {check_id, check_role, *policies} <= set(alias["DependsOn"])

    assert hooked == ROUTES
    assert len(checks) == len(ROUTES)


def test_a_pre_traffic_check_may_invoke_its_version_and_report_on_its_group_alone(prod):
    groups = of_type(prod, "AWS::CodeDeploy::DeploymentGroup")
    for name, alias in aliases_released(prod).items():
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        if name not in ROUTES:
            continue
        hook = logical(readable(update["BeforeAllowTrafficHook"]))
        check = pre_traffic_checks(prod)[hook]
        group = logical(readable(update["DeploymentGroupName"]))
        version = readable(check["Environment"]["Variables"]["CHECKED_VERSION_ARN"])

        granted = grants_of(prod, logical(readable(check["Role"])))
        application = logical(readable(groups[group]["ApplicationName"]))

        assert ("lambda:InvokeFunction", version) in granted
        ((action, arn),) = granted - {("lambda:InvokeFunction", version)}
        assert action == "codedeploy:PutLifecycleEventHookExecutionStatus"
        assert arn.endswith(f":deploymentgroup:<{application}>/<{group}>")
        # CodeDeploy's role for that group may run the hook.
        codedeploy_role = logical(readable(groups[group]["ServiceRoleArn"]))
        assert ("lambda:InvokeFunction", f"<{hook}.Arn>") in grants_of(prod, codedeploy_role)


@pytest.mark.parametrize("name", ["Dev", "Staging"])
def test_dev_and_staging_move_the_alias_at_once_without_codedeploy(synthesized, name):
    template = synthesized.stage_template(name)

    assert of_type(template, "AWS::CodeDeploy::DeploymentGroup") == {}
    assert pre_traffic_checks(template) == {}
    assert all(
        "UpdatePolicy" not in r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Alias"
    )


def test_the_synthetic_check_runs_every_five_minutes_on_the_stage_s_own_api(stage):
    (schedule,) = [
        s for s in of_type(stage, "AWS::Scheduler::Schedule").values()
        if s["ScheduleExpression"].startswith("rate")
    ]  # fmt: skip
    (api,) = of_type(stage, "AWS::ApiGateway::RestApi")
    target = schedule["Target"]
    alias = stage["Resources"][logical(readable(target["Arn"]))]["Properties"]
    check = stage["Resources"][logical(readable(alias["FunctionName"]))]["Properties"]

    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert check["Handler"] == "handlers.synthetic_check.handler"
    # A call Scheduler could not make is tried again within the interval; a check that
    # ran and failed is not run again by Lambda: one failure, one error.
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 240}
    (invoke_config,) = of_type(stage, "AWS::Lambda::EventInvokeConfig").values()
    assert readable(invoke_config["FunctionName"]) == readable(alias["FunctionName"])
    # The alias's own qualifier, read from its ARN at deploy time.
    assert (
        readable(invoke_config["Qualifier"])
        == f"<part 7 of {readable(target['Arn'])} split by ':'>"
    )
    assert invoke_config["MaximumRetryAttempts"] == 0
    orders_url = readable(target["Input"])
    assert orders_url.startswith(f'{{"orders_url":"https://<{api}>.execute-api.')
    assert orders_url.endswith('/orders"}')


def test_the_synthetic_check_may_call_only_the_post_route(stage):
    role = logical(
        readable(
            next(
                f["Role"]
                for f in of_type(stage, "AWS::Lambda::Function").values()
                if f["Handler"] == "handlers.synthetic_check.handler"
            )
        )
    )
    granted = [
        (action, readable(resource))
        for policy in of_type(stage, "AWS::IAM::Policy").values()
        if f"<{role}>" in [readable(r) for r in policy["Roles"]]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in listed(statement["Action"])
        for resource in listed(statement["Resource"])
        if not action.startswith(("xray:", "logs:"))
    ]

    ((action, resource),) = granted
    assert action == "execute-api:Invoke"
    assert resource.endswith("/POST/orders")


def test_a_failing_synthetic_check_or_one_scheduler_could_not_make_alarms(stage):
    alarms = {
        alarm["AlarmName"].split("-", 3)[-1]: alarm
        for alarm in of_type(stage, "AWS::CloudWatch::Alarm").values()
    }
    (schedule,) = [
        s for s in of_type(stage, "AWS::Scheduler::Schedule").values()
        if s["ScheduleExpression"].startswith("rate")
    ]  # fmt: skip

    assert alarms["synthetic-check-errors"]["MetricName"] == "Errors"
    dropped = alarms["synthetic-checks-dropped"]
    assert (dropped["Namespace"], dropped["MetricName"]) == (
        "AWS/Scheduler",
        "InvocationDroppedCount",
    )
    assert [readable(d["Value"]) for d in dropped["Dimensions"]] == [
        readable(schedule["GroupName"])
    ]


def test_every_alerts_topic_logs_its_deliveries_with_a_role_that_may_only_write_them(synthesized):
    for stack in synthesized.stacks():
        template = stack.template()
        for topic_id, topic in of_type(template, "AWS::SNS::Topic").items():
            logging = {c["Protocol"]: c for c in topic["DeliveryStatusLogging"]}
            assert set(logging) == {"http/s", "lambda"}, stack.name
            for config in logging.values():
                assert config["SuccessFeedbackSampleRate"] == "10"
                role = logical(readable(config["FailureFeedbackRoleArn"]))
                assert readable(config["SuccessFeedbackRoleArn"]) == f"<{role}.Arn>"
            trust = template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]
            assert json.dumps(trust).count('"Service": "sns.amazonaws.com"') == 1
            statements = [
                s
                for p in of_type(template, "AWS::IAM::Policy").values()
                if f"<{role}>" in [readable(r) for r in p["Roles"]]
                for s in p["PolicyDocument"]["Statement"]
            ]
            ((statement),) = statements
            assert set(listed(statement["Action"])) == {
                "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"
            }  # fmt: skip
            # Where SNS writes them: the two groups, made with a retention, and their streams.
            group = f"sns/{REGION}/{stack.account}/{readable(topic['TopicName'])}"
            made = {
                g["LogGroupName"]
                for g in of_type(template, "AWS::Logs::LogGroup").values()
                if str(g.get("LogGroupName", "")).startswith(group)
            }
            assert made == {group, f"{group}/Failure"}
            made_first = set(template["Resources"][topic_id].get("DependsOn", []))
            assert {
                name for name, g in of_type(template, "AWS::Logs::LogGroup").items()
                if g.get("LogGroupName") in made
            } <= made_first  # fmt: skip
            arn = f"arn:<AWS::Partition>:logs:{REGION}:{stack.account}:log-group:"
            assert {readable(r) for r in listed(statement["Resource"])} == {
                f"{arn}{name}{streams}" for name in made for streams in ("", ":*")
            }
