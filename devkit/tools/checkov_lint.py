"""Scan the CloudFormation templates with checkov; every finding is fixed or accepted.

    .venv/bin/python -m devkit.tools.checkov_lint      every infra/*.yaml

checkov runs from its own virtualenv, `.venv-checkov`, built from
requirements/checkov/lock.txt the first time (about 15 s) and rebuilt only when that
lock changes: checkov pins libraries that MWAA's constraints pin differently, so it
never goes into `.venv`. It runs offline (`--skip-download`). Each failed check must
match an entry of infra/checkov-accepted.yml (check id and resource, with its reason);
any other finding fails, and so does an entry that no longer matches one, as with
the IAM lint's parliament-accepted.yml.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from devkit.datahub.cli_venv import ensure, is_current
from devkit.paths import REPO

INFRA_DIR = REPO / "infra"
ACCEPTED = INFRA_DIR / "checkov-accepted.yml"
VENV = REPO / ".venv-checkov"
LOCK = REPO / "requirements" / "checkov" / "lock.txt"


def checkov() -> list[str]:
    """checkov run by `.venv-checkov`'s python (built from its lock when needed), through
    checkov_main.py: the same checks, with jsonpath's parser built once."""
    if not is_current(VENV, LOCK):
        print(f"checkov: building {VENV.name} from {LOCK.relative_to(REPO)}", file=sys.stderr)
    python = ensure(VENV, LOCK, quiet=True)
    # -I: the script's folder (devkit/tools/) stays off sys.path, as with checkov's own
    return [str(python), "-I", str(Path(__file__).with_name("checkov_main.py"))]


def findings(templates: list[Path]) -> list[tuple[str, str, str]]:
    """(check id, resource, title) of every failed check, e.g. CKV_AWS_18 on
    AWS::S3::Bucket.LandingBucket."""
    files = [arg for path in templates for arg in ("-f", str(path))]
    command = [*checkov(), *files, "--framework", "cloudformation"]
    command += ["--skip-download", "--quiet", "--compact", "-o", "json"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise SystemExit(f"checkov failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return sorted(
        {
            (check["check_id"], check["resource"], check["check_name"])
            for report in reports
            for check in report.get("results", {}).get("failed_checks", [])
        }
    )


def load_accepted(path: Path = ACCEPTED) -> list[dict]:
    entries = yaml.safe_load(path.read_text()) or []
    for entry in entries:
        missing = {"check", "resource", "why"} - set(entry)
        if missing or not str(entry.get("why", "")).strip():
            raise SystemExit(f"{path}: entry {entry} lacks {sorted(missing) or ['why']}")
    return entries


def main(argv: list[str] | None = None) -> int:
    templates = [Path(p) for p in (argv or [])] or sorted(INFRA_DIR.glob("*.yaml"))
    accepted = {(e["check"], e["resource"]) for e in load_accepted()}
    found = findings(templates)
    new = [f for f in found if f[:2] not in accepted]
    stale = accepted - {f[:2] for f in found}
    for check, resource, title in new:
        print(f"NEW FINDING  {check} {resource}: {title}")
    for check, resource in sorted(stale):
        print(f"STALE ACCEPTANCE  {check} {resource}: remove it from {ACCEPTED.name}")
    if new:
        print(f"Fix the template, or if the finding stands add it to {ACCEPTED.name} with why.")
    status = "FAILED" if new or stale else "ok"
    print(
        f"checkov {status}: {len(templates)} templates, {len(new)} new findings, "
        f"{len(found) - len(new)} accepted, {len(stale)} stale acceptances"
    )
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
