"""Reading IAM policies out of a synthesized template, and deciding what they allow.

`readable` turns references into text (`<Logical.Arn>`); `decide` evaluates policy
documents as IAM does for one request: an explicit Deny wins, then an Allow is needed.
It knows the parts of the policy language this app's templates use and refuses the rest,
so a policy it cannot read fails a test instead of passing it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs


def readable(value: Any) -> str:
    """A resource reference as text: `<Logical.Arn>`, `<Logical>`, joins concatenated."""
    if isinstance(value, str | int | float | bool):
        return str(value)
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(readable(part) for part in parts)
    if "Fn::Select" in value:  # a part of a reference: opaque, but readable
        index, parts = value["Fn::Select"]
        return f"<part {index} of {readable(parts)}>"
    if "Fn::Split" in value:
        separator, source = value["Fn::Split"]
        return f"{readable(source)} split by {separator!r}"
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}]+)\}", r"<\1>", value["Fn::Sub"])
    raise ValueError(f"unreadable reference {value!r}")


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allow_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) for every Allow of every identity policy in `template`: each
    `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy`, and each role's inline policies."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(properties["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
        for document in documents:
            for statement in document["Statement"]:
                if statement["Effect"] == "Allow":
                    yield logical_id, statement


def statements_of_role(template: dict[str, Any], role_prefix: str) -> set[tuple[str, str]]:
    """Every (action, resource) that the inline policies give the role `role_prefix...`."""
    granted = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        roles = [readable(role) for role in resource["Properties"].get("Roles", [])]
        if not any(role.startswith(f"<{role_prefix}") for role in roles):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in listed(statement["Action"]):
                for target in listed(statement["Resource"]):
                    granted.add((action, readable(target)))
    return granted


def logical_id(template: dict[str, Any], resource_type: str, prefix: str) -> str:
    (found,) = [
        name
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type and name.startswith(prefix)
    ]
    return found


# -- deciding ------------------------------------------------------------------------------


@attrs.frozen
class Request:
    """One call as IAM sees it: who, what, on which resource, with which context keys.

    `principal` is `{"Service": "..."}` for an AWS service, or `{"AWS": "<Role.Arn>"}`
    for a role of the template; `account` is the caller's account.
    """

    principal: Mapping[str, str]
    action: str
    resource: str
    account: str
    context: Mapping[str, str] = attrs.field(factory=dict)


def normalized(text: str, *, region: str = "eu-west-1") -> str:
    """Pseudo-parameters replaced by their values, so ARNs written both ways compare."""
    return text.replace("<AWS::Partition>", "aws").replace("<AWS::Region>", region)


def decide(documents: Iterable[Mapping[str, Any]], request: Request) -> str:
    """ "Deny", "Allow" or "ImplicitDeny": what these policies say of `request`."""
    allowed = False
    for document in documents:
        for statement in document["Statement"]:
            if not _applies(statement, request):
                continue
            if statement["Effect"] == "Deny":
                return "Deny"
            allowed = True
    return "Allow" if allowed else "ImplicitDeny"


def decide_within(
    policies: Iterable[Mapping[str, Any]], boundary: Mapping[str, Any], request: Request
) -> str:
    """What an identity with these `policies` and this permissions `boundary` may do: an
    explicit Deny in either refuses, and both must allow
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)."""
    decisions = {decide(policies, request), decide([boundary], request)}
    if "Deny" in decisions:
        return "Deny"
    return "Allow" if decisions == {"Allow"} else "ImplicitDeny"


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    unknown = set(statement) - {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}
    if unknown:
        raise ValueError(f"this evaluator does not read {sorted(unknown)}: {statement}")
    if "Principal" in statement and not _principal_matches(statement["Principal"], request):
        return False
    actions = [a.lower() for a in listed(statement["Action"])]
    if not any(fnmatch.fnmatchcase(request.action.lower(), a) for a in actions):
        return False
    resources = [normalized(readable(r)) for r in listed(statement.get("Resource", "*"))]
    if not any(fnmatch.fnmatchcase(normalized(request.resource), r) for r in resources):
        return False
    return _conditions_hold(statement.get("Condition", {}), request.context)


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal == "*" or principal == {"AWS": "*"}:
        return True
    for kind, values in principal.items():
        for value in listed(values):
            text = normalized(readable(value))
            if kind == "Service" and request.principal.get("Service") == text:
                return True
            if kind == "AWS" and "AWS" in request.principal:
                caller = request.principal["AWS"]
                # An account root principal delegates to the account's own IAM policies.
                if text in (f"arn:aws:iam::{request.account}:root", request.account):
                    return True
                if text == caller:
                    return True
    return False


def _arn_like(actual: str, pattern: str) -> bool:
    """ArnLike: each of the ARN's six colon-separated parts matched on its own, so that a
    wildcard never reaches across a colon (a `*` account matches any account, no more).
    A template's own reference (`<Bucket.Arn>`) is text, matched whole."""
    actual_parts, pattern_parts = actual.split(":", 5), pattern.split(":", 5)
    if len(actual_parts) != 6 or len(pattern_parts) != 6:
        return fnmatch.fnmatchcase(actual, pattern)
    return all(
        fnmatch.fnmatchcase(part, wanted)
        for part, wanted in zip(actual_parts, pattern_parts, strict=True)
    )


_OPERATORS = {
    "StringEquals": lambda actual, expected: actual == expected,
    "StringLike": lambda actual, expected: fnmatch.fnmatchcase(actual, expected),
    "ArnEquals": lambda actual, expected: actual == expected,
    "ArnLike": _arn_like,
    "Bool": lambda actual, expected: actual.lower() == str(expected).lower(),
    "NumericLessThan": lambda actual, expected: float(actual) < float(expected),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every condition holds, as IAM reads it.

    A key the request does not carry fails a condition, except a negated one (nothing is
    equal to it) and one written `...IfExists`, which hold
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
    """
    for written, tests in conditions.items():
        operator = written.removesuffix("IfExists")
        negated = operator in _NEGATED
        compare = _OPERATORS.get(_NEGATED.get(operator, operator))
        if compare is None:
            raise ValueError(f"this evaluator does not read the condition {written}")
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                if negated or written.endswith("IfExists"):
                    continue
                return False
            wanted = [normalized(readable(value)) for value in listed(expected)]
            matched = any(compare(normalized(actual), value) for value in wanted)
            if matched == negated:
                return False
    return True
