"""The CloudFormation templates of a tree, read as plain dicts (cfn-lint's decoder)."""

from __future__ import annotations

from pathlib import Path

from deploy.cloudformation.inputs import decode
from deploy.errors import DeployError

INFRA = "infra"


def load(path: Path) -> dict:
    """One template; missing means empty (a tree before infra/ existed). Shared between
    trees of the same content (the review only reads it), decoded once."""
    if not path.is_file():
        return {}
    template, problems = decode(path.read_text())
    if problems or not isinstance(template, dict):
        raise DeployError(f"template {path} cannot be read: {problems or 'not a mapping'}")
    return template


def load_all(tree: Path) -> dict[str, dict]:
    """infra/<name>.yaml -> template, for every template of the tree."""
    folder = tree / INFRA
    if not folder.is_dir():
        return {}
    return {
        f"{INFRA}/{p.name}": load(p)
        for p in sorted(folder.glob("*.y*ml"))
        if "Resources" in p.read_text()
    }


def outputs(templates: dict[str, dict]) -> set[str]:
    """Every Output key of every template."""
    return {key for t in templates.values() for key in (t.get("Outputs") or {})}
