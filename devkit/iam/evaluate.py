"""The IAM identity-policy decision for one request, as the IAM User Guide defines it.

An explicit Deny wins; else an Allow whose Action, Resource and Condition all match
allows; else the request is implicitly denied. A permissions boundary caps that: the
request must also be allowed, and not denied, by the boundary (effective permissions =
identity policies ∩ boundary). Wildcards `*`/`?` (actions case-insensitive, ARNs
case-sensitive and matched per colon-separated segment, a `*` that ends a segment
spanning colons), policy variables (`${aws:username}`, `${*}`..., only in documents of
Version 2012-10-17), NotAction/NotResource, and the condition operators below. An
operator not listed is an error, never a silent allow or deny: a policy this code
cannot read must not pass the check by accident. docs/iam_check.md cites the IAM User
Guide page behind each rule.
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


@lru_cache(maxsize=4096)
def _arn_pattern(pattern: str, span: bool) -> re.Pattern:
    """Segments 1-5 match within their colons; a `*` that is a segment's last character
    spans colons when `span` (IAM User Guide, "IAM JSON policy elements: Resource",
    wildcards in resource ARNs). The sixth segment (the resource) spans them anyway."""
    parts = pattern.split(":", 5)
    body = []
    for number, part in enumerate(parts):
        free = number == 5
        out = []
        for position, ch in enumerate(part):
            last = position == len(part) - 1
            if ch == "*":
                out.append(".*" if free or (span and last) else "[^:]*")
            elif ch == "?":
                out.append("." if free else "[^:]")
            else:
                out.append(re.escape(_LITERAL.get(ch, ch)))
        body.append("".join(out))
    return re.compile(":".join(body), re.DOTALL)


def arn_matches(pattern: str, arn: str, span: bool = True) -> bool:
    """ARN wildcards per colon-separated segment; a `*` ending a segment spans colons.

    `span=False` is the per-segment reading of the condition operators page ("each of
    the six colon-delimited components ... is checked separately"): see arn_operator.
    """
    if pattern == "*":
        return True
    return _arn_pattern(pattern, span).fullmatch(arn) is not None


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


# Policy variables work only with the string and ARN operators (IAM User Guide,
# "IAM policy elements: Variables and tags"): elsewhere `${...}` is literal text,
# so a numeric or Bool value naming one never matches.
VARIABLE_OPERATORS = ("String", "Arn")


def _null_dataset(raw: ContextValue) -> bool:
    """Absent, an empty list or an empty string: what Null and the set operators treat
    as no value (IAM User Guide, "Condition operators" (Null) and "Single-valued vs.
    multivalued context keys": ForAllValues is true when the key "resolves to a null
    dataset, such as an empty string")."""
    return raw is None or raw == [] or raw == () or raw == ""


def _split_operator(operator: str) -> tuple[str, str, bool]:
    name, prefix = operator, ""
    for candidate in SET_PREFIXES:
        if name.startswith(candidate):
            prefix, name = candidate, name[len(candidate) :]
    if_exists = name.endswith("IfExists") and name != "Null"
    return (name[: -len("IfExists")] if if_exists else name), prefix, if_exists


def _matcher(name: str, effect: str):
    """The value matcher; for the Arn operators the stricter reading for this effect.

    The Resource page lets a `*` ending a segment span colons; the condition operators
    page checks "each of the six colon-delimited components ... separately". Where they
    disagree an Allow gets the reading that allows less and a Deny the one that denies
    more (docs/iam_check.md).
    """
    matcher, negated = OPERATORS[name]
    if matcher is arn_matches:
        span = (effect == "Deny") != negated
        return (lambda p, v: arn_matches(p, v, span=span)), negated
    return matcher, negated


def condition_matches(
    operator: str,
    key: str,
    policy_values: Any,
    context,
    variables: bool = True,
    effect: str = "Allow",
) -> bool:
    """One operator on one key: the IAM User Guide's rules for missing keys and sets."""
    name, prefix, if_exists = _split_operator(operator)
    raw = _lookup(context, key)
    if name == "Null":
        if prefix or if_exists:
            raise PolicyError(f"condition operator {operator!r} is not valid")
        wanted = [_text(v).lower() for v in _as_list(policy_values)]
        return ("true" if _null_dataset(raw) else "false") in wanted
    if name not in OPERATORS:
        raise PolicyError(f"condition operator {operator!r} is not supported by devkit/iam")
    matcher, negated = _matcher(name, effect)
    values = [_text(v) for v in _as_list(policy_values)]
    if variables and name.startswith(VARIABLE_OPERATORS):
        values = _resolved(values, context)
    if name.startswith("String") and name not in ("StringLike", "StringNotLike"):
        values = [_plain(v) for v in values]  # no wildcards: `${*}` is just `*`
    request_values = [_text(v) for v in _as_list(raw)]
    if prefix == "ForAllValues:":
        return _null_dataset(raw) or all(
            _one_value(matcher, negated, values, v) for v in request_values
        )
    if prefix == "ForAnyValue:":
        return not _null_dataset(raw) and any(
            _one_value(matcher, negated, values, v) for v in request_values
        )
    if raw is None or raw == []:
        return if_exists or negated
    if negated:
        return all(_one_value(matcher, True, values, v) for v in request_values)
    return any(_one_value(matcher, False, values, v) for v in request_values)


def conditions_match(
    block: Mapping[str, Mapping[str, Any]] | None,
    context,
    variables: bool = True,
    effect: str = "Allow",
) -> bool:
    """Every operator, and every key under it, must match (values under one key: any)."""
    for operator, keys in (block or {}).items():
        if not isinstance(keys, Mapping):
            raise PolicyError(f"condition {operator!r} must map keys to values")
        for key, values in keys.items():
            if not condition_matches(operator, key, values, context, variables, effect):
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


def statement_applies(statement: Mapping, request: Request, variables: bool = True) -> bool:
    """Action, Resource and Condition all match; `variables` False: `${...}` is literal."""
    actions, not_action = _element(statement, "Action", "NotAction")
    hit = any(action_matches(p, request.action) for p in actions)
    if hit == not_action:
        return False
    resources, not_resource = _element(statement, "Resource", "NotResource")
    patterns = _resolved(resources, request.context) if variables else resources
    hit = any(arn_matches(p, request.resource) for p in patterns)
    if hit == not_resource:
        return False
    effect = statement["Effect"]
    return conditions_match(statement.get("Condition"), request.context, variables, effect)


BOUNDARY = "PermissionsBoundary"  # marks a role's boundary among its policy documents


def split_boundary(documents: Sequence[Mapping]) -> tuple[list[Mapping], list[Mapping]]:
    """(identity documents, boundary entries `{"PermissionsBoundary": <name>, ...}`)."""
    identity = [d for d in documents if BOUNDARY not in d]
    return identity, [d for d in documents if BOUNDARY in d]


def _document(policy: Mapping) -> Mapping:
    return policy.get("PolicyDocument", policy)


def has_variables(policy: Mapping) -> bool:
    """Policy variables are replaced only under `Version: 2012-10-17`; without it (or
    with 2008-10-17) `${aws:username}` is literal text (IAM User Guide, "IAM JSON policy
    elements: Version")."""
    return _document(policy).get("Version") == "2012-10-17"


def statements(policies: Sequence[Mapping]) -> Iterable[tuple[StatementRef, Mapping]]:
    """Each statement of each policy document, with where it lives."""
    for number, policy in enumerate(policies):
        name = str(policy.get("PolicyName") or policy.get("Id") or f"policy {number + 1}")
        for index, statement in enumerate(_as_list(_document(policy).get("Statement"))):
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise PolicyError(f"{name} statement {index + 1}: Effect {effect!r}")
            if "Principal" in statement or "NotPrincipal" in statement:
                # IAM User Guide, "IAM JSON policy elements: Principal": "You cannot use
                # the Principal element in an identity-based policy" (nor in a boundary).
                raise PolicyError(
                    f"{name} statement {index + 1}: Principal in an identity policy is invalid"
                )
            sid = str(statement.get("Sid") or f"#{index + 1}")
            yield StatementRef(number, name, index, sid), statement


def _decide(policies: Sequence[Mapping], request: Request) -> Decision:
    allows, denies = [], []
    variables = [has_variables(policy) for policy in policies]
    for ref, statement in statements(policies):
        if statement_applies(statement, request, variables[ref.policy]):
            (denies if statement["Effect"] == "Deny" else allows).append(ref)
    if denies:
        return Decision(False, "explicit-deny", tuple(denies))
    if allows:
        return Decision(True, "allow", tuple(allows))
    return Decision(False, "implicit-deny")


def evaluate(
    policies: Sequence[Mapping], request: Request, boundary: Sequence[Mapping] = ()
) -> Decision:
    """Explicit Deny, else Allow, else implicit deny, over identity policies; with a
    permissions `boundary`, the request must pass it too (IAM User Guide, "Permissions
    boundaries for IAM entities": effective permissions are the intersection).

    `policies` are policy documents, or `{"PolicyName": ..., "PolicyDocument": {...}}`.
    A refusal by the boundary has reason `boundary-deny` or `outside-boundary` and
    names the boundary's statements (an explicit deny) or none.
    """
    decision = _decide(policies, request)
    if not boundary or decision.reason == "explicit-deny":
        return decision
    capped = _decide(boundary, request)
    if capped.reason == "explicit-deny":
        return Decision(False, "boundary-deny", capped.statements)
    if decision.allowed and not capped.allowed:
        return Decision(False, "outside-boundary")
    return decision


__all__ = [
    "Decision",
    "PolicyError",
    "Request",
    "StatementRef",
    "action_matches",
    "arn_matches",
    "condition_matches",
    "evaluate",
    "has_variables",
]
