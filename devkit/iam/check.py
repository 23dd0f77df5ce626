"""Recorded accesses evaluated against the roles' policies: denials, usage, unused grants.

A denial names the role, the action, the resource and the template resource to change,
so the fix goes where production needs it (`infra/pipelines.yaml: <logical id>`), never
into the recorder. The per-role summary shows what was used and, over a whole run, the
permissions granted but never used (least-privilege drift).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from devkit.iam.evaluate import (
    BOUNDARY,
    PolicyError,
    Request,
    action_matches,
    evaluate,
    split_boundary,
    statements,
)
from devkit.iam.recorder import TRIGGERER, Access, Unmapped, role_arn, userid

TEMPLATE = "infra/pipelines.yaml"
PolicySet = Mapping[str, Sequence[Mapping]]  # principal logical id -> policy documents


class AccessDenied(AssertionError):
    """The run or test did something its role may not do on AWS."""


@dataclass(frozen=True)
class Denial:
    principal: str
    action: str
    resource: str
    via: str
    reason: str
    context: tuple = ()

    def line(self) -> str:
        context = ", ".join(f"{k}={v}" for k, v in self.context)
        when = f" [{context}]" if context else ""
        return (
            f"DENIED {self.principal}: {self.action} on {self.resource}{when} "
            f"(by {self.via}; {self.reason}) -> change {TEMPLATE}: {self.principal}"
        )


@dataclass
class RoleReport:
    principal: str
    used: Counter = field(default_factory=Counter)  # action -> allowed accesses
    denied: list[Denial] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # "Sid: action" granted, never used


@dataclass
class Report:
    roles: dict[str, RoleReport] = field(default_factory=dict)
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def denials(self) -> list[Denial]:
        return [d for role in self.roles.values() for d in role.denied]

    @property
    def ok(self) -> bool:
        return not self.denials and not self.unmapped

    def problems(self) -> list[str]:
        """One line per denied (role, action, resource area), then the unmapped calls.

        S3 objects group by bucket and first key segment (a Spark job's hundreds of part
        files are one missing permission): the first one is named, with the count.
        """
        groups: dict[tuple, list[Denial]] = {}
        for denial in self.denials:
            key = (denial.principal, denial.action, _area(denial.resource))
            groups.setdefault(key, []).append(denial)
        lines = []
        for (_, _, area), denials in groups.items():
            resources = {d.resource for d in denials}
            more = f" (and {len(resources) - 1} more under {area})" if len(resources) > 1 else ""
            lines.append(denials[0].line() + more)
        for item in self.unmapped:
            lines.append(f"UNMAPPED {item.principal}: {item.via}: {item.error}")
        return lines

    def merge(self, other: "Report") -> None:
        """Add another report's rows (another pipeline's accesses) to this one."""
        for name, role in other.roles.items():
            mine = self.roles.setdefault(name, RoleReport(name))
            mine.used.update(role.used)
            mine.denied.extend(role.denied)
            mine.unused = role.unused if not mine.unused else mine.unused
        self.unmapped.extend(other.unmapped)

    def raise_for_problems(self) -> None:
        if not self.ok:
            raise AccessDenied(
                f"{len(self.denials)} denied AWS access(es), {len(self.unmapped)} unmapped "
                "call(s):\n" + "\n".join(self.problems())
            )

    def summary(self) -> dict[str, dict]:
        """Per role: accesses by action, denied count, granted-but-unused permissions."""
        out = {}
        for name, role in sorted(self.roles.items()):
            out[name] = {
                "accesses": sum(role.used.values()) + len(role.denied),
                "denied": len(role.denied),
                "used": dict(sorted(role.used.items())),
                "granted, never used": role.unused,
            }
        return out


def _area(resource: str) -> str:
    """`arn:aws:s3:::bucket/gold/x/y.parquet` -> `arn:aws:s3:::bucket/gold/*`; others as is."""
    if resource.startswith("arn:aws:s3:::") and "/" in resource:
        bucket, _, key = resource[len("arn:aws:s3:::") :].partition("/")
        return f"arn:aws:s3:::{bucket}/{key.split('/', 1)[0]}/*"
    return resource


def global_context(principal: str) -> dict:
    """What AWS adds to every request of a role session: here the triggerer's session,
    never the worker's that owns the Data API statements (devkit/iam/recorder.py)."""
    return {
        "aws:userid": userid(principal, TRIGGERER),
        "aws:PrincipalArn": role_arn(principal),
        "aws:PrincipalAccount": role_arn(principal).split(":")[4],
        "aws:PrincipalType": "AssumedRole",
        "aws:SecureTransport": True,
    }


def frozen_context(context: Mapping) -> tuple:
    return tuple(
        sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in context.items())
    )


def check(
    records: Iterable[Access | Unmapped], policies: PolicySet, principals: Iterable[str] = ()
) -> Report:
    """Evaluate every access; `principals` get a row even when they made no access."""
    report = Report()
    for name in principals:
        report.roles[name] = RoleReport(name)
    used_grants: dict[str, set[tuple[int, int, str]]] = {}
    cache: dict[tuple, tuple] = {}
    for item in records:
        if isinstance(item, Unmapped):
            report.unmapped.append(item)
            continue
        role = report.roles.setdefault(item.principal, RoleReport(item.principal))
        request = item.request
        key = (item.principal, request.action, request.resource, frozen_context(request.context))
        if key not in cache:
            cache[key] = decide(item.principal, request, policies)
        allowed, reason, grants = cache[key]
        if allowed:
            role.used[request.action] += 1
            used_grants.setdefault(item.principal, set()).update(grants)
        else:
            role.denied.append(
                Denial(
                    item.principal,
                    request.action,
                    request.resource,
                    item.via,
                    reason,
                    frozen_context(request.context),
                )
            )
    for name, role in report.roles.items():
        role.unused = unused_grants(policies.get(name, ()), used_grants.get(name, set()))
    return report


def decide(principal: str, request: Request, policies: PolicySet) -> tuple:
    documents = policies.get(principal)
    if not documents:
        return False, f"no policies for role {principal}", ()
    full = Request(
        request.action, request.resource, {**global_context(principal), **request.context}
    )
    identity, boundary = split_boundary(documents)
    try:
        decision = evaluate(identity, full, boundary)
    except PolicyError as error:
        raise PolicyError(f"{TEMPLATE}: {principal}: {error}") from None
    if not decision.allowed:
        return False, _why_denied(decision, boundary), ()
    grants = set()
    for ref in decision.statements:
        statement = _statement(documents, ref.policy, ref.index)
        for pattern in _patterns(statement):
            if pattern is None or action_matches(pattern, request.action):
                grants.add((ref.policy, ref.index, pattern or "NotAction"))
    return True, "allowed", tuple(grants)


def _why_denied(decision, boundary: Sequence[Mapping]) -> str:
    names = ", ".join(entry[BOUNDARY] for entry in boundary)
    sids = ", ".join(r.sid for r in decision.statements)
    if decision.reason == "explicit-deny":
        return "explicit Deny in " + sids
    if decision.reason == "boundary-deny":
        return f"explicit Deny in the permissions boundary {names}: {sids}"
    if decision.reason == "outside-boundary":
        return f"allowed by the role's policies but outside the permissions boundary {names}"
    return "no statement allows it"


def _statement(documents: Sequence[Mapping], policy: int, index: int) -> Mapping:
    document = documents[policy].get("PolicyDocument", documents[policy])
    found = document["Statement"]
    return (found if isinstance(found, list) else [found])[index]


def _patterns(statement: Mapping) -> list[str | None]:
    if "Action" not in statement:
        return [None]  # a NotAction statement counts as one grant
    actions = statement["Action"]
    return list(actions) if isinstance(actions, list) else [actions]


def unused_grants(documents: Sequence[Mapping], used: set[tuple[int, int, str]]) -> list[str]:
    """Per Allow statement, the action patterns no allowed access went through:
    `Sid: action, action` (a statement used by nothing at all is marked `(whole)`)."""
    out = []
    for ref, statement in statements(documents):
        if statement["Effect"] != "Allow" or BOUNDARY in documents[ref.policy]:
            continue
        patterns = [p or "NotAction" for p in _patterns(statement)]
        unused = [p for p in patterns if (ref.policy, ref.index, p) not in used]
        if unused:
            whole = " (whole)" if len(unused) == len(patterns) else ""
            out.append(f"{ref.sid}{whole}: {', '.join(unused)}")
    return out
