"""Reading a synthesized stage template and resolving its references to local resources."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"
AUCTION_STACK = "Auction"  # the id AuctionStage gives the stack of the auction system
PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
}


@attrs.frozen
class LocalResource:
    """A template resource as it exists locally: what `Ref` and `Fn::GetAtt` give."""

    logical_id: str
    properties: Mapping[str, Any]
    ref: str
    attributes: Mapping[str, str]


def stage_template_path(assembly: Path, stage: str, stack: str = AUCTION_STACK) -> Path:
    """Where a stack of `stage` is in a synthesized cloud assembly (`Dev`, `Prod`, ...).

    Stages sit in nested assemblies, displayed as `<pipeline stack>/<stage>` (or `<stage>`
    when synthesized alone); their stacks as `<pipeline stack>/<stage>/<stack>`.
    """
    manifest = json.loads((assembly / "manifest.json").read_text())
    (directory,) = [
        artifact["properties"]["directoryName"]
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "cdk:cloud-assembly"
        and artifact["properties"]["displayName"].rsplit("/", 1)[-1] == stage
    ]
    nested = json.loads((assembly / directory / "manifest.json").read_text())
    (template,) = [
        artifact["properties"]["templateFile"]
        for artifact in nested["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
        and f"/{artifact['displayName']}".endswith(f"/{stage}/{stack}")
    ]
    return assembly / directory / template


def stage_template(assembly: Path, stage: str) -> dict[str, Any]:
    """The template of `stage`'s stack in a synthesized cloud assembly directory."""
    return json.loads(stage_template_path(assembly, stage).read_text())


def local_resources(template: Mapping[str, Any]) -> dict[str, LocalResource]:
    """Local names and ARNs for the resources the flow uses, by logical id."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        namer = _NAMERS.get(resource["Type"])
        if namer:
            found[logical_id] = namer(logical_id, resource.get("Properties", {}))
    return found


def resolve(value: Any, resources: Mapping[str, LocalResource]) -> Any:
    """`value` with every Ref, Fn::GetAtt, Fn::Join and Fn::Sub replaced by local values."""
    if isinstance(value, list):
        return [resolve(item, resources) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return PSEUDO_PARAMETERS.get(argument) or _resource(resources, argument).ref
        if function == "Fn::GetAtt":
            logical_id, attribute = argument
            return _resource(resources, logical_id).attributes[attribute]
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(resolve(part, resources) for part in parts)
    return {key: resolve(item, resources) for key, item in value.items()}


def _resource(resources: Mapping[str, LocalResource], logical_id: str) -> LocalResource:
    try:
        return resources[logical_id]
    except KeyError:
        raise KeyError(f"the local emulation has no resource {logical_id!r}") from None


def _table(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    name = properties.get("TableName", logical_id)
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return LocalResource(logical_id, properties, name, {"Arn": arn})


def _bucket(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    name = properties.get("BucketName", logical_id.lower())
    return LocalResource(logical_id, properties, name, {"Arn": f"arn:aws:s3:::{name}"})


def _topic(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    name = properties.get("TopicName", logical_id)
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    return LocalResource(logical_id, properties, arn, {"TopicName": name})


def _function(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"
    return LocalResource(logical_id, properties, logical_id, {"Arn": arn})


def _alias(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    """An alias of a function of the template: its ARN, qualified by the alias's name."""
    function = properties["FunctionName"]["Ref"]
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:{properties['Name']}"
    return LocalResource(logical_id, properties, arn, {"AliasArn": arn})


def _rest_api(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    """The API's id as AWS would make it up; its URL locally is `LocalApi`'s."""
    return LocalResource(logical_id, properties, logical_id.lower()[:10], {})


def _api_stage(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    return LocalResource(logical_id, properties, properties["StageName"], {})


def _state_machine(logical_id: str, properties: Mapping[str, Any]) -> LocalResource:
    name = properties.get("StateMachineName", logical_id)
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    return LocalResource(logical_id, properties, arn, {"Name": name})


_NAMERS = {
    "AWS::DynamoDB::Table": _table,
    "AWS::S3::Bucket": _bucket,
    "AWS::SNS::Topic": _topic,
    "AWS::Lambda::Function": _function,
    "AWS::Lambda::Alias": _alias,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGateway::Stage": _api_stage,
    "AWS::StepFunctions::StateMachine": _state_machine,
}
