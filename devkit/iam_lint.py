"""Lint the IAM documents in iam/ with parliament; fail on any finding not accepted.

    .venv/bin/python -m devkit.iam_lint                      every iam/*.json
    .venv/bin/python -m devkit.iam_lint iam/some-policy.json  only these files

Each document's `${Name}` placeholders are replaced by sample values first
(`${aws:...}` IAM policy variables stay as written), then parliament analyses
it with its community auditors on. Every finding, whatever its severity, must
match an entry of iam/parliament-accepted.yaml (file, issue, statement Sid and
subject), each of which iam/README.md explains. A new finding fails, and so
does an accepted entry that no longer matches anything, so the list never
outlives its reason. On top of parliament, one house rule: every statement
granting iam:PassRole names the role (no "*") and limits it with
iam:PassedToService, which is what makes parliament's PassRole finding
acceptable.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import types
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsoncfg  # parliament's own JSON reader, which reports line numbers
import yaml

from devkit.paths import REPO

IAM_DIR = REPO / "iam"
ACCEPTED = IAM_DIR / "parliament-accepted.yaml"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]*)\}")  # `${aws:userid}` has a colon: kept
SAMPLE_VALUES = {"AccountId": "123456789012", "Region": "eu-west-1", "Partition": "aws"}
PASSROLE_NOT_SCOPED = "PASSROLE_NOT_SCOPED"


def sample_value(name: str) -> str:
    """`${Region}` -> eu-west-1; other names -> a sample such as `sample-lake-bucket`."""
    if name in SAMPLE_VALUES:
        return SAMPLE_VALUES[name]
    return "sample-" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def substitute(text: str) -> str:
    return PLACEHOLDER.sub(lambda m: sample_value(m.group(1)), text)


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
    file: str  # file name inside iam/, e.g. deploy-role-policy.json
    issue: str  # parliament's issue code, e.g. RESOURCE_MISMATCH
    sid: str  # statement Sid, "" for a finding about the whole document
    subject: str  # the actions concerned, else parliament's detail
    severity: str = ""
    title: str = ""
    line: int | None = None

    def key(self) -> tuple[str, str, str, str]:
        return (self.file, self.issue, self.sid, self.subject)

    def describe(self) -> str:
        where = f"statement {self.sid}" if self.sid else "whole document"
        if self.line:
            where += f", line {self.line}"
        return (
            f"{self.file}: {self.severity} {self.issue} ({self.title}) in {where}: {self.subject}"
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


def passrole_findings(path: Path, document: dict) -> list[Finding]:
    """House rule: iam:PassRole only on named roles and only to named services."""
    found = []
    for statement in _as_list(document.get("Statement", [])):
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
                file=path.name,
                issue=PASSROLE_NOT_SCOPED,
                sid=str(statement.get("Sid", "")),
                subject="iam:passrole",
                severity="HIGH",
                title="PassRole needs named role ARNs and an iam:PassedToService condition",
            )
        )
    return found


def lint_document(path: Path, parliament=None) -> list[Finding]:
    """Every parliament finding (community auditors on) plus the house PassRole rule."""
    parliament = parliament or _import_parliament()
    text = substitute(path.read_text())
    policy = parliament.analyze_policy_string(
        text,
        str(path),
        ignore_private_auditors=True,
        include_community_auditors=True,
        config=parliament.config,
    )
    try:
        statements, document = _statement_lines(text), json.loads(text)
    except Exception:  # malformed: parliament has reported it as MALFORMED_JSON
        statements, document = [], {}
    findings = []
    for raw in policy.findings:
        raw = parliament.enhance_finding(raw)
        location = raw.location if isinstance(raw.location, dict) else {}
        line = location.get("line")
        findings.append(
            Finding(
                file=path.name,
                issue=raw.issue,
                sid=_sid_at(line, statements),
                subject=_subject(raw.detail, location),
                severity=raw.severity,
                title=raw.title,
                line=line,
            )
        )
    findings += passrole_findings(path, document)
    return sorted(set(findings), key=lambda f: (f.file, f.line or 0, f.issue, f.subject))


def load_accepted(path: Path) -> list[dict]:
    entries = yaml.safe_load(path.read_text()) if path.exists() else []
    entries = entries or []
    for entry in entries:
        missing = {"file", "issue", "subject", "why"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: entry {entry} lacks {sorted(missing)}")
    return entries


def _entry_key(entry: dict) -> tuple[str, str, str, str]:
    return (entry["file"], entry["issue"], entry.get("sid", ""), entry["subject"])


def check(paths: list[Path], accepted_path: Path) -> tuple[list[Finding], list[dict], int]:
    """(new findings, accepted entries that matched nothing, number of accepted findings)."""
    parliament = _import_parliament()
    accepted = load_accepted(accepted_path)
    accepted_keys = {_entry_key(entry) for entry in accepted}
    linted = {path.name for path in paths}
    findings = [finding for path in paths for finding in lint_document(path, parliament)]
    new = [finding for finding in findings if finding.key() not in accepted_keys]
    seen = {finding.key() for finding in findings}
    stale = [
        entry for entry in accepted if entry["file"] in linted and _entry_key(entry) not in seen
    ]
    return new, stale, len(findings) - len(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devkit.iam_lint", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "files", nargs="*", type=Path, help="IAM JSON documents (default: iam/*.json)"
    )
    parser.add_argument(
        "--accepted", type=Path, default=ACCEPTED, help="allow-list of findings that stand"
    )
    args = parser.parse_args(argv)
    paths = sorted(args.files) if args.files else sorted(IAM_DIR.glob("*.json"))
    if not paths:
        print("iam lint: no IAM documents found", file=sys.stderr)
        return 1
    new, stale, accepted = check(paths, args.accepted)
    for finding in new:
        print(f"NEW FINDING  {finding.describe()}")
    for entry in stale:
        print(
            f"STALE ACCEPTANCE  {entry['file']}: {entry['issue']} "
            f"{entry.get('sid', '') or '(whole document)'}: {entry['subject']} no longer occurs; "
            f"remove it from {args.accepted.name} and iam/README.md"
        )
    if new:
        print(
            f"Fix the policy, or if the finding stands, add it to {args.accepted.name} "
            "(file, issue, sid, subject, why) and explain it in iam/README.md "
            "with a link to the Service Authorization Reference."
        )
    status = "FAILED" if new or stale else "ok"
    print(
        f"iam lint {status}: {len(paths)} documents, {len(new)} new findings, "
        f"{accepted} accepted, {len(stale)} stale acceptances"
    )
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main())
