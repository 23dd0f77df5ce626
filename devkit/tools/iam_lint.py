"""Lint every IAM policy document of the CloudFormation templates with parliament.

    .venv/bin/python -m devkit.tools.iam_lint                        every infra/*.yaml
    .venv/bin/python -m devkit.tools.iam_lint infra/pipelines.yaml   only these templates

The templates are the one source of IAM. Each policy document they hold (role
trust policies, inline and managed policies, bucket policies) is resolved to
plain JSON by devkit.iam.infra_policies (intrinsic functions -> sample names and
ARNs, account 123456789012) and named `<template>:<Logical ID>:<policy name>`.
Parliament analyses each with its community auditors on. Every finding, whatever
its severity, must match an entry of infra/parliament-accepted.yml (policy,
issue, statement Sid and subject), each with its written reason; docs/infra.md
explains them. A new finding fails, and so does an accepted entry that no longer
matches anything, so the list never outlives its reason. On top of parliament,
one house rule: every statement granting iam:PassRole names the role (no "*")
and limits it with iam:PassedToService, which is what makes parliament's
PassRole finding acceptable; and every grant of a role must fit inside the role's
permissions boundary (devkit/iam/boundary.py), which parliament, reading grants, does
not lint itself. One parliament finding is dropped by design: a
trust policy has no Resource element, and parliament reads every document as
an identity policy (MALFORMED "neither Resource nor NotResource").
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import types
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsoncfg  # parliament's own JSON reader, which reports line numbers
import yaml

from devkit.iam.boundary import excesses
from devkit.iam.infra_policies import INFRA_DIR, PolicyDocument, all_policies

# .yml, not .yaml: `cfn-lint infra/*.yaml` reads every .yaml file there as a template.
ACCEPTED = INFRA_DIR / "parliament-accepted.yml"
PASSROLE_NOT_SCOPED = "PASSROLE_NOT_SCOPED"
OUTSIDE_BOUNDARY = "OUTSIDE_PERMISSIONS_BOUNDARY"
NO_RESOURCE = "Statement contains neither Resource nor NotResource"


def _import_parliament():
    """parliament 1.6.4 still imports pkg_resources, which setuptools 82 (MWAA's pin) dropped.

    It only calls `resource_filename` for its two data files, so a stand-in built on
    importlib.resources is enough; the real module is used whenever it exists.
    """
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pkg_resources")
        shim.resource_filename = lambda package, name: str(resources.files(package) / name)
        sys.modules["pkg_resources"] = shim
    import parliament

    community = Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"
    parliament.override_config(community)
    return parliament


@dataclass(frozen=True)
class Finding:
    policy: str  # <template>:<Logical ID>:<policy name>, e.g. pipelines.yaml:DeployRole:deploy
    issue: str  # parliament's issue code, e.g. RESOURCE_MISMATCH
    sid: str  # statement Sid, "" for a finding about the whole document
    subject: str  # the actions concerned, else parliament's detail
    severity: str = ""
    title: str = ""
    line: int | None = None

    def key(self) -> tuple[str, str, str, str]:
        return (self.policy, self.issue, self.sid, self.subject)

    def describe(self) -> str:
        where = f"statement {self.sid}" if self.sid else "whole document"
        if self.line:
            where += f", line {self.line}"
        return (
            f"{self.policy}: {self.severity} {self.issue} ({self.title}) in {where}: {self.subject}"
        )


def _subject(detail, location: dict) -> str:
    """A stable name for what a finding is about: its actions when it has any."""
    actions = []
    for item in detail if isinstance(detail, list) else []:
        if isinstance(item, dict) and "action" in item:
            actions.append(str(item["action"]))
    actions += [str(action) for action in location.get("actions", []) or []]
    if actions:
        return ", ".join(sorted({action.lower() for action in actions}))
    if isinstance(detail, str):
        return detail
    return json.dumps(detail, sort_keys=True, default=str)


def _statement_lines(text: str) -> list[tuple[int, str]]:
    """(first line, Sid) of every statement, from the same JSON reader parliament uses."""
    statements = jsoncfg.loads_config(text).Statement
    if not jsoncfg.node_is_array(statements):
        statements = [statements]
    return [(jsoncfg.node_location(s).line, str(s.Sid(""))) for s in statements]


def _sid_at(line: int | None, statements: list[tuple[int, str]]) -> str:
    if not line:
        return ""
    sid = ""
    for first_line, statement_sid in statements:
        if first_line <= line:
            sid = statement_sid
    return sid


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def passrole_findings(policy: PolicyDocument) -> list[Finding]:
    """House rule: iam:PassRole only on named roles and only to named services."""
    found = []
    for statement in policy.statements():
        if statement.get("Effect") != "Allow":
            continue  # a Deny of PassRole grants nothing
        actions = [a.lower() for a in _as_list(statement.get("Action", []))]
        if not any(fnmatch.fnmatchcase("iam:passrole", action) for action in actions):
            continue
        conditions = statement.get("Condition", {})
        scoped = any("iam:PassedToService" in block for block in conditions.values())
        resources_ = _as_list(statement.get("Resource", "*"))
        if scoped and "*" not in resources_:
            continue
        found.append(
            Finding(
                policy=policy.label,
                issue=PASSROLE_NOT_SCOPED,
                sid=str(statement.get("Sid", "")),
                subject="iam:passrole",
                severity="HIGH",
                title="PassRole needs named role ARNs and an iam:PassedToService condition",
            )
        )
    return found


def lint_policy(policy: PolicyDocument, parliament=None) -> list[Finding]:
    """Every parliament finding (community auditors on) plus the house PassRole rule.

    A permissions boundary grants nothing, so parliament's grant findings do not apply
    to it: boundary_findings holds the roles' grants to it instead."""
    if policy.kind == "boundary":
        return []
    parliament = parliament or _import_parliament()
    text = policy.text()
    analysed = parliament.analyze_policy_string(
        text,
        policy.label,
        ignore_private_auditors=True,
        include_community_auditors=True,
        config=parliament.config,
    )
    statements = _statement_lines(text)
    findings = []
    for raw in analysed.findings:
        raw = parliament.enhance_finding(raw)
        location = raw.location if isinstance(raw.location, dict) else {}
        line = location.get("line")
        finding = Finding(
            policy=policy.label,
            issue=raw.issue,
            sid=_sid_at(line, statements),
            subject=_subject(raw.detail, location),
            severity=raw.severity,
            title=raw.title,
            line=line,
        )
        if (
            policy.kind == "trust"
            and finding.issue == "MALFORMED"
            and finding.subject == NO_RESOURCE
        ):
            continue  # by design: see the module docstring
        findings.append(finding)
    findings += passrole_findings(policy)
    return sorted(set(findings), key=lambda f: (f.policy, f.line or 0, f.issue, f.subject))


def boundary_findings(documents: list[PolicyDocument]) -> list[Finding]:
    """House rule: every grant of a bounded role fits inside its boundary."""
    return [
        Finding(
            policy=excess.label,
            issue=OUTSIDE_BOUNDARY,
            sid=excess.sid,
            subject=f"{excess.action} on {excess.resource}",
            severity="HIGH",
            title=f"outside the permissions boundary {excess.boundary} of {excess.role}",
        )
        for excess in excesses(documents)
    ]


def load_accepted(path: Path) -> list[dict]:
    entries = yaml.safe_load(path.read_text()) if path.exists() else []
    entries = entries or []
    for entry in entries:
        missing = {"policy", "issue", "subject", "why"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: entry {entry} lacks {sorted(missing)}")
    return entries


def _entry_key(entry: dict) -> tuple[str, str, str, str]:
    return (entry["policy"], entry["issue"], entry.get("sid", ""), entry["subject"])


def check(templates: list[Path], accepted_path: Path) -> tuple[list[Finding], list[dict], int, int]:
    """(new findings, stale acceptances, accepted findings, documents linted)."""
    parliament = _import_parliament()
    accepted = load_accepted(accepted_path)
    accepted_keys = {_entry_key(entry) for entry in accepted}
    documents = all_policies(templates)
    linted = {Path(path).name for path in templates}
    findings = [finding for policy in documents for finding in lint_policy(policy, parliament)]
    findings += boundary_findings(documents)
    new = [finding for finding in findings if finding.key() not in accepted_keys]
    seen = {finding.key() for finding in findings}
    stale = [
        entry
        for entry in accepted
        if entry["policy"].split(":", 1)[0] in linted and _entry_key(entry) not in seen
    ]
    return new, stale, len(findings) - len(new), len(documents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devkit.tools.iam_lint", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "templates", nargs="*", type=Path, help="CloudFormation templates (default: infra/*.yaml)"
    )
    parser.add_argument(
        "--accepted", type=Path, default=ACCEPTED, help="allow-list of findings that stand"
    )
    args = parser.parse_args(argv)
    templates = sorted(args.templates) if args.templates else sorted(INFRA_DIR.glob("*.yaml"))
    if not templates:
        print("iam lint: no templates found", file=sys.stderr)
        return 1
    try:
        new, stale, accepted, documents = check(templates, args.accepted)
    except (ValueError, KeyError) as error:
        print(f"iam lint FAILED: {error}", file=sys.stderr)
        return 1
    for finding in new:
        print(f"NEW FINDING  {finding.describe()}")
    for entry in stale:
        print(
            f"STALE ACCEPTANCE  {entry['policy']}: {entry['issue']} "
            f"{entry.get('sid', '') or '(whole document)'}: {entry['subject']} no longer occurs; "
            f"remove it from {args.accepted.name} and docs/infra.md"
        )
    if new:
        print(
            f"Fix the policy, or if the finding stands, add it to {args.accepted.name} "
            "(policy, issue, sid, subject, why) and explain it in docs/infra.md "
            "with a link to the Service Authorization Reference."
        )
    status = "FAILED" if new or stale else "ok"
    print(
        f"iam lint {status}: {len(templates)} templates, {documents} policy documents, "
        f"{len(new)} new findings, {accepted} accepted, {len(stale)} stale acceptances"
    )
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main())
