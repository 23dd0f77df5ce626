"""The roles' policies from infra/pipelines.yaml, resolved for one local pipeline.

`policies_for(resources)` returns role logical id -> its identity policy documents,
read from the template (the one source of IAM) with `resources` standing in for
what the stack would create (`stack_resources`, for tests of the policies alone; for
a local pipeline, the stack itself: devkit/run/local_stack.py `resources_of`).
"""

from __future__ import annotations

from functools import cache

from devkit.iam import recorder
from devkit.iam.evaluate import BOUNDARY
from devkit.iam.infra_policies import (
    INFRA_DIR,
    NAME_PROPERTY,
    PolicyDocument,
    Resolver,
    load_template,
    policies,
)

POLICY_SOURCE = "infra/pipelines.yaml"

TEMPLATE = INFRA_DIR / "pipelines.yaml"


@cache
def template() -> dict:
    return load_template(TEMPLATE)


def stack_resources(
    account: str, region: str, project: str, names: dict[str, str], ids: dict[str, str]
) -> dict[str, str]:
    """What `policies_for` takes: the stack's pseudo parameters (`project` is the stack's
    name), each role's local name, `names` (logical id -> physical name) and `ids`
    (values that are not names: `SparkApplication.ApplicationId`, ...)."""
    return {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::StackName": project,
        **dict(recorder.ROLE_NAMES),
        **{f"{role}.RoleId": recorder.role_id(role) for role in recorder.ROLE_NAMES},
        **names,
        **ids,
    }


def stack_resolver(stack: str, **values: str) -> Resolver:
    """infra/pipelines.yaml's functions resolved for the stack `stack` (and `values`:
    parameters, `AWS::AccountId`, `AWS::Region`)."""
    return Resolver(template(), values={"AWS::StackName": stack, **values})


def template_name(logical_id: str, stack: str) -> str:
    """The name infra/pipelines.yaml gives a resource in the stack `stack` (names that
    depend on the stack name only: crawlers, databases, the cluster, ...)."""
    return stack_resolver(stack).name_of(logical_id)


def physical_names(resolver: Resolver) -> dict[str, str]:
    """Logical id -> physical name of every resource the stack names (or CloudFormation
    names after the stack: the roles)."""
    return {
        logical_id: resolver.name_of(logical_id)
        for logical_id, resource in resolver.resources.items()
        if resource.get("Type") in NAME_PROPERTY
    }


def split_resources(resources: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(logical id -> physical name, everything else: parameters, attributes, pseudo)."""
    logical_ids = template().get("Resources", {})
    names = {k: v for k, v in resources.items() if k in logical_ids}
    return names, {k: v for k, v in resources.items() if k not in names}


@cache
def _documents(items: tuple[tuple[str, str], ...]) -> tuple[PolicyDocument, ...]:
    names, values = split_resources(dict(items))
    return tuple(policies(TEMPLATE, values=values, names=names))


def policies_for(resources: dict[str, str], principals=None) -> dict[str, list[dict]]:
    """Role logical id -> its identity policy documents in infra/pipelines.yaml, resolved
    with `resources` (see `stack_resources`), then its permissions boundary as
    `{"PermissionsBoundary": <logical id>, "PolicyDocument": ...}`; only `principals`,
    when given."""
    found: dict[str, list[dict]] = {}
    capped: dict[str, list[dict]] = {}
    for document in _documents(tuple(sorted(resources.items()))):
        if document.kind not in ("identity", "boundary"):
            continue
        for role in document.roles:
            if principals is None or role in principals:
                if document.kind == "boundary":
                    entry = {BOUNDARY: document.logical_id, "PolicyDocument": document.document}
                    capped.setdefault(role, []).append(entry)
                else:
                    found.setdefault(role, []).append(document.document)
    for role, entries in capped.items():
        found.setdefault(role, []).extend(entries)
    return found


def without_permission(policies: dict[str, list[dict]], principal: str, action: str) -> dict:
    """The policies with `action` taken out of every Allow statement of `principal`'s
    (a statement left with no action goes): what removing it from the template does."""
    out = {name: list(documents) for name, documents in policies.items()}
    trimmed = []
    for document in policies[principal]:
        if BOUNDARY in document:
            trimmed.append(document)
            continue
        kept = []
        for statement in _statements(document):
            actions = statement.get("Action")
            if statement.get("Effect") == "Allow" and actions is not None:
                actions = [a for a in _as_list(actions) if a.lower() != action.lower()]
                if not actions:
                    continue
                statement = {**statement, "Action": actions}
            kept.append(statement)
        trimmed.append({**document, "Statement": kept})
    out[principal] = trimmed
    return out


def _statements(document: dict) -> list[dict]:
    return _as_list(document.get("Statement"))


def _as_list(value) -> list:
    return list(value) if isinstance(value, list) else [value]


def denials_without(accesses, policies: dict, principal: str, action: str) -> list[str]:
    """The denial lines the check prints once `action` is taken from `principal`'s
    statements: what removing it from the template would do to these accesses."""
    from devkit.iam.check import check

    assert check(accesses, policies).ok, "the accesses must pass the full policies first"
    problems = check(accesses, without_permission(policies, principal, action)).problems()
    return [line for line in problems if line.startswith(f"DENIED {principal}: ")]
