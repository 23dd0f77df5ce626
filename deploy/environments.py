"""Environments: one stack each, described by infra/environments/<env>.json.

An environment is a CloudFormation stack of infra/pipelines.yaml. Every physical
name in the template derives from the stack's name, so the stack name is the one
thing that keeps two environments apart; its file also holds the template
parameters that differ (sizes, the DataHub env tag, whether new DAGs start paused,
the GitHub environment that may deploy it) and the environment it is promoted from.
`deploy --env <name>` and `deploy infra --env <name>` read it (docs/environments.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from deploy.errors import DeployError

ENVIRONMENTS_DIR = Path("infra/environments")
# Bucket names are <stack>-landing-<account>-<region>: at most 63 characters with the
# longest regions (14), so at most 27 here; lowercase for S3, Redshift and Glue.
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{1,25}[a-z0-9]$")
KEYS = {"description", "stack", "promote_from", "parameters"}


@dataclass(frozen=True)
class Environment:
    """One environment: its stack, its template parameters, where it is promoted from."""

    name: str
    stack: str
    parameters: dict[str, str] = field(default_factory=dict)
    promote_from: str | None = None
    path: Path | None = None


def environment_file(repo: Path, name: str) -> Path:
    return repo / ENVIRONMENTS_DIR / f"{name}.json"


def load(repo: Path, name: str) -> Environment:
    """The environment `name`; every environment is read, so a clash fails here too."""
    environments = load_all(repo)
    if name not in environments:
        known = ", ".join(sorted(environments)) or "none"
        raise DeployError(
            f"no environment {name!r}: {environment_file(repo, name)} does not exist "
            f"(environments: {known}). Add the file (docs/environments.md)"
        )
    return environments[name]


def load_all(repo: Path) -> dict[str, Environment]:
    """Every environment under infra/environments/, checked against each other."""
    found = {path.stem: _read(path) for path in sorted((repo / ENVIRONMENTS_DIR).glob("*.json"))}
    check_apart(found)
    return found


def _read(path: Path) -> Environment:
    try:
        document = json.loads(path.read_text())
    except ValueError as exc:
        raise DeployError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or set(document) - KEYS or "stack" not in document:
        raise DeployError(f"{path}: expected an object with keys {sorted(KEYS)} ('stack' required)")
    stack = str(document["stack"])
    if not STACK_NAME.match(stack):
        raise DeployError(
            f"{path}: stack {stack!r} must match {STACK_NAME.pattern} (lowercase, 3-27 "
            "characters: bucket names are <stack>-landing-<account>-<region>, at most 63)"
        )
    parameters = {str(k): str(v) for k, v in (document.get("parameters") or {}).items()}
    return Environment(path.stem, stack, parameters, document.get("promote_from"), path)


def check_apart(environments: dict[str, Environment]) -> None:
    """No two environments share a stack or a GitHub environment, and no stack name is
    another's plus `-...` (the template's `<stack>-*` role and bucket patterns would
    reach it); promotions name existing environments."""
    problems = []
    by_stack = sorted(environments.values(), key=lambda e: e.stack)
    for first, second in zip(by_stack, by_stack[1:]):
        if first.stack == second.stack or second.stack.startswith(first.stack + "-"):
            problems.append(
                f"stacks {first.stack} ({first.name}) and {second.stack} ({second.name})"
            )
    github = {}
    for env in environments.values():
        owner = github.setdefault(env.parameters.get("GitHubEnvironment"), env.name)
        if owner != env.name and env.parameters.get("GitHubEnvironment") is not None:
            problems.append(f"GitHubEnvironment of {owner} and {env.name}")
        if env.promote_from is not None and env.promote_from not in environments:
            problems.append(f"{env.name} is promoted from unknown environment {env.promote_from}")
    if problems:
        raise DeployError(
            "infra/environments/ must keep environments apart: " + "; ".join(problems) + ". "
            "Give each environment its own stack name (no one another's prefix + '-') and "
            "GitHub environment"
        )
