"""The IAM identity-policy decision for one request, as the IAM User Guide defines it.

An explicit Deny wins; else an Allow whose Action, Resource and Condition all match
allows; else the request is implicitly denied. Wildcards `*`/`?` (actions
case-insensitive, ARNs case-sensitive and matched per colon-separated segment), policy
variables (`${aws:username}`, `${*}`...), NotAction/NotResource, and the condition
operators below. An operator not listed is an error, never a silent allow or deny:
a policy this code cannot read must not pass the check by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence

ContextValue = str | bool | int | float | Sequence[str] | None


class PolicyError(ValueError):
    """A policy this evaluator cannot decide (unknown operator, malformed statement)."""


@dataclass(frozen=True)
class Request:
    """One authorization request: `s3:GetObject` on `arn:aws:s3:::bucket/key`, with context."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementRef:
    """Where a statement lives: the policy's position and name, the statement's index, Sid."""

    policy: int
    policy_name: str
    index: int
    sid: str


@dataclass(frozen=True)
class Decision:
    """`allowed`, why (`explicit-deny`, `allow`, `implicit-deny`), and the deciding statements."""

    allowed: bool
    reason: str
    statements: tuple[StatementRef, ...] = ()


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# `${*}`, `${?}` stand for a literal `*`, `?`: kept as private-use characters until matched.
_LITERAL = {"\ue000": "*", "\ue001": "?"}


def _plain(text: str) -> str:
    for marker, char in _LITERAL.items():
        text = text.replace(marker, char)
    return text


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern:
    """IAM wildcards: `*` any run of characters, `?` exactly one; nothing else is special."""
    body = "".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(_LITERAL.get(ch, ch))
        for ch in pattern
    )
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """`s3:Get*` matches `s3:GetObject`; case-insensitive, as IAM compares actions."""
    return pattern == "*" or like(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """ARN wildcards per segment: a `*` in region or account never spans a colon.

    The sixth segment (the resource) may hold colons and slashes; a `*` there spans them.
    """
    if pattern == "*":
        return True
    parts, values = pattern.split(":", 5), arn.split(":", 5)
    if len(parts) != 6 or len(values) != 6:
        return like(pattern, arn)
    return all(like(p, v) for p, v in zip(parts, values))


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "\ue000", "?": "\ue001", "$": "$"}


class _Unresolved(Exception):
    """A policy variable has no value in the request: the element does not match."""


def substitute(text: str, context: Mapping[str, ContextValue]) -> str:
    """Replace `${key}` (and `${key, 'default'}`) by the request's single value of `key`."""

    def value(match: re.Match) -> str:
        inner = match.group(1)
        if inner in _SPECIAL:
            return _SPECIAL[inner]
        key, _, default = inner.partition(",")
        found = _lookup(context, key.strip())
        if isinstance(found, (list, tuple)) or found is None:
            default = default.strip()
            if default.startswith("'") and default.endswith("'") and len(default) >= 2:
                return default[1:-1]
            raise _Unresolved(key)
        return _text(found)

    return _VARIABLE.sub(value, text) if "${" in text else text


def _lookup(context: Mapping[str, ContextValue], key: str) -> ContextValue:
    """Condition keys are case-insensitive (tag values after the `/` keep their case)."""
    if key in context:
        return context[key]
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolved(patterns: Iterable[str], context) -> list[str]:
    out = []
    for pattern in patterns:
        try:
            out.append(substitute(pattern, context))
        except _Unresolved:
            continue  # an element naming a missing variable matches nothing
    return out


# --- condition operators ------------------------------------------------------------


def _string_equals(policy: str, value: str) -> bool:
    return policy == value


def _string_equals_ic(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


def _string_like(policy: str, value: str) -> bool:
    return like(policy, value)


def _numeric(compare):
    def match(policy: str, value: str) -> bool:
        try:
            return compare(float(value), float(policy))
        except ValueError:
            return False

    return match


def _bool(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


# operator -> (value matcher, negated). Negated operators are "no policy value matches".
OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ic, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ic, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (arn_matches, False),
    "ArnLike": (arn_matches, False),
    "ArnNotEquals": (arn_matches, True),
    "ArnNotLike": (arn_matches, True),
    "NumericEquals": (_numeric(lambda v, p: v == p), False),
    "NumericNotEquals": (_numeric(lambda v, p: v == p), True),
    "NumericLessThan": (_numeric(lambda v, p: v < p), False),
    "NumericLessThanEquals": (_numeric(lambda v, p: v <= p), False),
    "NumericGreaterThan": (_numeric(lambda v, p: v > p), False),
    "NumericGreaterThanEquals": (_numeric(lambda v, p: v >= p), False),
    "Bool": (_bool, False),
}
SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")


def _one_value(matcher, negated: bool, policy_values: list[str], value: str) -> bool:
    hit = any(matcher(p, value) for p in policy_values)
    return not hit if negated else hit


def condition_matches(operator: str, key: str, policy_values: Any, context) -> bool:
    """One operator on one key: the IAM User Guide's rules for missing keys and sets."""
    name, prefix = operator, ""
    for candidate in SET_PREFIXES:
        if name.startswith(candidate):
            prefix, name = candidate, name[len(candidate) :]
    if_exists = name.endswith("IfExists") and name != "Null"
    if if_exists:
        name = name[: -len("IfExists")]
    raw = _lookup(context, key)
    present = raw is not None and raw != []
    if name == "Null":
        if prefix or if_exists:
            raise PolicyError(f"condition operator {operator!r} is not valid")
        wanted = [_text(v).lower() for v in _as_list(policy_values)]
        return ("true" if not present else "false") in wanted
    if name not in OPERATORS:
        raise PolicyError(f"condition operator {operator!r} is not supported by devkit/iam")
    matcher, negated = OPERATORS[name]
    values = _resolved([_text(v) for v in _as_list(policy_values)], context)
    if matcher not in (_string_like, arn_matches):  # no wildcards: `${*}` is just `*`
        values = [_plain(v) for v in values]
    request_values = [_text(v) for v in _as_list(raw)]
    if prefix == "ForAllValues:":
        return all(_one_value(matcher, negated, values, v) for v in request_values)
    if prefix == "ForAnyValue:":
        return any(_one_value(matcher, negated, values, v) for v in request_values)
    if not present:
        return if_exists or negated
    if negated:
        return all(_one_value(matcher, True, values, v) for v in request_values)
    return any(_one_value(matcher, False, values, v) for v in request_values)


def conditions_match(block: Mapping[str, Mapping[str, Any]] | None, context) -> bool:
    """Every operator, and every key under it, must match (values under one key: any)."""
    for operator, keys in (block or {}).items():
        if not isinstance(keys, Mapping):
            raise PolicyError(f"condition {operator!r} must map keys to values")
        for key, values in keys.items():
            if not condition_matches(operator, key, values, context):
                return False
    return True


# --- statements and policies --------------------------------------------------------


def _element(statement: Mapping, positive: str, negative: str) -> tuple[list[str], bool]:
    if positive in statement and negative in statement:
        raise PolicyError(f"a statement has both {positive} and {negative}")
    if positive in statement:
        return _as_list(statement[positive]), False
    if negative in statement:
        return _as_list(statement[negative]), True
    raise PolicyError(f"a statement has neither {positive} nor {negative}")


def statement_applies(statement: Mapping, request: Request) -> bool:
    actions, not_action = _element(statement, "Action", "NotAction")
    hit = any(action_matches(p, request.action) for p in actions)
    if hit == not_action:
        return False
    resources, not_resource = _element(statement, "Resource", "NotResource")
    patterns = _resolved(resources, request.context)
    hit = any(arn_matches(p, request.resource) for p in patterns)
    if hit == not_resource:
        return False
    return conditions_match(statement.get("Condition"), request.context)


def statements(policies: Sequence[Mapping]) -> Iterable[tuple[StatementRef, Mapping]]:
    """Each statement of each policy document, with where it lives."""
    for number, policy in enumerate(policies):
        name = str(policy.get("PolicyName") or policy.get("Id") or f"policy {number + 1}")
        document = policy.get("PolicyDocument", policy)
        for index, statement in enumerate(_as_list(document.get("Statement"))):
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise PolicyError(f"{name} statement {index + 1}: Effect {effect!r}")
            sid = str(statement.get("Sid") or f"#{index + 1}")
            yield StatementRef(number, name, index, sid), statement


def evaluate(policies: Sequence[Mapping], request: Request) -> Decision:
    """Explicit Deny, else Allow, else implicit deny, over identity policies.

    `policies` are policy documents, or `{"PolicyName": ..., "PolicyDocument": {...}}`.
    """
    allows, denies = [], []
    for ref, statement in statements(policies):
        if statement_applies(statement, request):
            (denies if statement["Effect"] == "Deny" else allows).append(ref)
    if denies:
        return Decision(False, "explicit-deny", tuple(denies))
    if allows:
        return Decision(True, "allow", tuple(allows))
    return Decision(False, "implicit-deny")


__all__ = [
    "Decision",
    "PolicyError",
    "Request",
    "StatementRef",
    "action_matches",
    "arn_matches",
    "condition_matches",
    "evaluate",
]
