"""Reading IAM policies out of a synthesized template, with references made readable."""

from __future__ import annotations

from typing import Any


def readable(value: Any) -> str:
    """A resource reference as text: `<Logical.Arn>`, `<Logical>`, joins concatenated."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(readable(part) for part in parts)
    raise ValueError(f"unreadable reference {value!r}")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


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
            for action in _listed(statement["Action"]):
                for target in _listed(statement["Resource"]):
                    granted.add((action, readable(target)))
    return granted


def logical_id(template: dict[str, Any], resource_type: str, prefix: str) -> str:
    (found,) = [
        name
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type and name.startswith(prefix)
    ]
    return found
