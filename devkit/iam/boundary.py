"""Every grant of a bounded role must fit inside its permissions boundary.

The boundary (infra/pipelines.yaml `StackRoleBoundary`) is the ceiling of what any
role of the stack can hold, whatever a template change writes into its policies. At
run time the check evaluates identity ∩ boundary (devkit/iam/evaluate.py); this is the
static half: each Allow statement's action and resource patterns, read as a request
(the pattern itself as the action and the ARN), must be allowed by the boundary, so a
change that adds `iam:*` to a role fails the IAM lint naming the role, the statement and
the boundary before anything is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Iterable, Iterator

from devkit.iam.evaluate import Request, evaluate
from devkit.iam.infra_policies import PolicyDocument

# Condition operators whose values describe the requests a statement allows.
_DESCRIBING = ("StringEquals", "StringLike", "ArnEquals", "ArnLike")


@dataclass(frozen=True)
class Excess:
    """A grant of `role` (policy `label`, statement `sid`) the boundary does not allow."""

    role: str
    label: str
    sid: str
    action: str
    resource: str
    boundary: str

    def line(self) -> str:
        return (
            f"{self.label} statement {self.sid}: {self.action} on {self.resource} is outside "
            f"the permissions boundary {self.boundary} of {self.role}: remove the grant, or "
            f"widen {self.boundary} in infra/pipelines.yaml (docs/infra.md)"
        )


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _contexts(statement: dict) -> Iterator[dict]:
    """One request context per combination of the statement's positive condition values."""
    keys, choices = [], []
    for operator, block in (statement.get("Condition") or {}).items():
        if operator in _DESCRIBING:
            for key, values in block.items():
                keys.append(key)
                choices.append([str(v) for v in _as_list(values)])
    for combination in product(*choices):
        yield dict(zip(keys, combination))


def _requests(statement: dict) -> Iterator[Request]:
    actions = _as_list(statement.get("Action", "*"))
    resources = _as_list(statement.get("Resource", "*"))
    for context in _contexts(statement):
        for action, resource in product(actions, resources):
            yield Request(str(action), str(resource), context)


def excesses(documents: Iterable[PolicyDocument]) -> list[Excess]:
    """The grants of bounded roles that their boundary does not allow."""
    documents = list(documents)
    boundary_of = {
        role: document
        for document in documents
        if document.kind == "boundary"
        for role in document.roles
    }
    found = []
    for document in documents:
        if document.kind != "identity":
            continue
        for role in document.roles:
            boundary = boundary_of.get(role)
            if boundary is None:
                continue
            for index, statement in enumerate(document.statements()):
                if statement.get("Effect") != "Allow":
                    continue
                sid = str(statement.get("Sid") or f"#{index + 1}")
                for request in _requests(statement):
                    if not evaluate([boundary.document], request).allowed:
                        found.append(
                            Excess(
                                role,
                                document.label,
                                sid,
                                request.action,
                                request.resource,
                                boundary.logical_id,
                            )
                        )
    return found
