"""The roles' identity policy statements of a tree's templates, keyed for comparison.

Statement key: (role, policy name, Sid or position). Actions and resources are
compared as sets; a statement that gains actions, resources or a wildcard is
"widened". Values keep their intrinsic functions as written (`!Sub ${LakeBucket.Arn}/*`),
which is what a reviewer reads in the template too.
"""

from __future__ import annotations

import json


def _as_set(value) -> frozenset[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return frozenset(item if isinstance(item, str) else json.dumps(item) for item in items)


def _documents(logical_id: str, resource: dict, roles: set[str]):
    """(role, policy name, document) of a role's inline policies or a managed policy."""
    properties = resource.get("Properties") or {}
    if resource.get("Type") == "AWS::IAM::Role":
        for policy in properties.get("Policies") or []:
            yield logical_id, policy.get("PolicyName", "?"), policy.get("PolicyDocument") or {}
        trust = properties.get("AssumeRolePolicyDocument")
        if trust:
            yield logical_id, "trust", trust
    elif resource.get("Type") in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for role in properties.get("Roles") or []:
            name = role.get("Ref") if isinstance(role, dict) else role
            if name in roles:
                yield name, logical_id, properties.get("PolicyDocument") or {}


def statements(templates: dict[str, dict]) -> dict[tuple[str, str, str], dict]:
    """(role, policy, Sid) -> {effect, actions, resources, condition} over every template."""
    found = {}
    for template in templates.values():
        resources = template.get("Resources") or {}
        roles = {k for k, v in resources.items() if v.get("Type") == "AWS::IAM::Role"}
        for logical_id, resource in resources.items():
            for role, policy, document in _documents(logical_id, resource, roles):
                body = document.get("Statement") or []
                for n, statement in enumerate(body if isinstance(body, list) else [body]):
                    key = (role, policy, statement.get("Sid") or f"#{n + 1}")
                    found[key] = {
                        "effect": statement.get("Effect"),
                        "actions": _as_set(statement.get("Action") or statement.get("NotAction")),
                        "resources": _as_set(
                            statement.get("Resource") or statement.get("Principal")
                        ),
                        "condition": json.dumps(statement.get("Condition"), sort_keys=True),
                    }
    return found


def change(old: dict, new: dict) -> str | None:
    """widened / narrowed / changed, or None when equal."""
    if old == new:
        return None
    wider = new["actions"] >= old["actions"] and new["resources"] >= old["resources"]
    narrower = new["actions"] <= old["actions"] and new["resources"] <= old["resources"]
    same_rest = old["effect"] == new["effect"] and old["condition"] == new["condition"]
    if same_rest and wider:
        return "widened"
    if same_rest and narrower:
        return "narrowed"
    return "changed"
