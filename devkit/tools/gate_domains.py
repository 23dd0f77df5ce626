"""What a change needs tested: changed paths -> pipeline domains -> test modules.

The one place that says which files each domain owns (`PATH_RULES`), which test
modules each domain owns (`TEST_OWNERS`, the rest is the always-run core) and which
paths each static check reads (`CHECK_SCOPES`). Used by the pre-push gate
(`./run_tests_locally.sh --changed`), by CI's per-domain matrix (`--matrix`) and by
CI's jobs (`--only ...`), so all three select the same tests. Standard library
only: the gate calls it before anything heavy starts.

    python -m devkit.tools.gate_domains --matrix               the domains, as JSON (CI)
    python -m devkit.tools.gate_domains --changed [--base REF] what a change selects, and why
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from devkit.paths import REPO, TESTS_DIR

# The pipeline domains (lakehouse.conventions.Domain, not imported: it imports Airflow).
DOMAINS = ("tickit", "data_lake", "datahub")

# What a matching path selects. STATIC_ONLY: no test reads it (docs, benchmarks), so only
# the static checks run. CORE_ONLY: the always-run core covers it (it always runs when
# anything but docs changed). EVERYTHING: shared code, every domain's tests.
STATIC_ONLY = None
CORE_ONLY: tuple[str, ...] = ()
EVERYTHING = DOMAINS

# First match wins; a path no rule matches selects EVERYTHING (a forgotten rule costs
# time, never a missed test). `*` stays inside one folder, `**` crosses folders.
PATH_RULES: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    # Documentation no test reads.
    ("docs/**", STATIC_ONLY),
    ("README.md", STATIC_ONLY),
    ("spark/README.md", STATIC_ONLY),
    ("plugins/README.md", STATIC_ONLY),
    ("bench/**", STATIC_ONLY),
    # The database bootstrap: every local pipeline with the warehouse runs it.
    ("deploy/redshift_bootstrap.py", ("tickit", "data_lake", "datahub")),
    ("sql/redshift_bootstrap/**", ("tickit", "data_lake", "datahub")),
    ("devkit/emulator/redshift/users.py", ("tickit", "data_lake", "datahub")),
    # The sample data: the domains land it locally, deploy up --sample-night on AWS.
    ("deploy/sample_data/tickit.py", ("tickit", "data_lake")),
    ("deploy/sample_data/synthea.py", ("data_lake",)),
    ("deploy/sample_data/night.py", CORE_ONLY),  # deploy up --sample-night
    # The DAG catalogue and SQL rendering: the run command and the SQL tests read them.
    ("deploy/dags/**", EVERYTHING),
    # The deploy tool and the IAM policies: their unit tests are in the core.
    ("deploy/**", CORE_ONLY),
    ("devkit/tools/iam_lint.py", CORE_ONLY),
    ("devkit/tools/checkov_lint.py", CORE_ONLY),
    ("requirements/checkov/**", CORE_ONLY),
    ("devkit/mwaa/**", CORE_ONLY),
    ("devkit/run/ui.py", CORE_ONLY),
    ("devkit/tools/new_dag.py", CORE_ONLY),
    ("devkit/tools/templates/**", CORE_ONLY),
    ("sqlfluff_libs/**", CORE_ONLY),
    ("tests/dags/new_dags/**", CORE_ONLY),  # read by tests/dags/test_new_dags_access.py only
    # TICKIT: the Redshift load and its gold. Its extracts feed the data lake's bronze.
    ("dags/tickit__*", ("tickit",)),
    ("sql/tickit/ddl/**", ("tickit", "datahub")),  # DataHub's reader grants are tested on it
    ("sql/tickit/**", ("tickit",)),
    ("dags/lakehouse/tickit.py", ("tickit", "data_lake", "datahub")),
    ("devkit/domains/tickit.py", ("tickit", "data_lake")),
    ("devkit/emulator/redshift/sql.py", ("tickit",)),
    ("devkit/emulator/redshift/copy_load.py", ("tickit",)),
    ("devkit/emulator/redshift/data_api.py", ("tickit",)),
    ("devkit/emulator/redshift/engine.py", ("tickit",)),
    ("devkit/emulator/redshift/unload.py", ("tickit",)),
    ("devkit/emulator/redshift/pgtypes.py", ("tickit",)),
    ("dags/lakehouse/redshift.py", ("tickit",)),
    # Both domains that read their gold back through Athena.
    ("dags/lakehouse/athena.py", ("tickit", "data_lake")),
    ("devkit/emulator/athena/table_metadata.py", ("tickit", "data_lake")),
    # The data lake: EMR Serverless Spark jobs on Synthea and TICKIT extracts.
    ("dags/data_lake__*", ("data_lake",)),
    ("sql/data_lake/**", ("data_lake",)),
    ("dags/lakehouse/data_lake.py", ("data_lake",)),
    ("devkit/domains/data_lake.py", ("data_lake",)),
    ("spark/**", ("data_lake",)),
    ("devkit/emulator/emr_serverless/local_spark.py", ("data_lake",)),
    ("devkit/emulator/emr_serverless/job_runs.py", ("data_lake",)),
    # DataHub: recipes on ECS, the CLI's own venv; lineage is recorded in TICKIT's tests too.
    ("dags/datahub__*", ("datahub",)),
    ("dags/lakehouse/datahub.py", ("datahub",)),
    ("devkit/domains/datahub.py", ("datahub",)),
    ("recipes/**", ("datahub",)),
    ("requirements/datahub/**", ("datahub",)),
    ("devkit/datahub/**", ("datahub",)),
    ("devkit/emulator/ecs/ingestion.py", ("datahub",)),
    ("devkit/domains/lineage.py", ("tickit", "datahub")),
    # Everything else is shared: conventions, devkit's core, requirements, the gate, CI,
    # infra/ and the IAM check (every domain's accesses), patches, conftest files.
    # Test modules are matched by TEST_OWNERS before these rules.
)

# The test modules a domain owns: they run only when the domain is selected (and in its
# own CI job). Every other module is the always-run core; test_gate_domains.py requires
# each module to be listed here, under a domain or under "core", exactly once.
TEST_OWNERS: tuple[tuple[str, str], ...] = (
    ("tests/dags/test_*tickit*.py", "tickit"),
    ("tests/dags/lakehouse/test_tickit.py", "tickit"),
    ("tests/dags/lakehouse/test_redshift.py", "tickit"),
    ("tests/sql/test_tickit_*.py", "tickit"),
    ("tests/sql/test_redshift_bootstrap.py", "tickit"),
    ("tests/dags/test_redshift_privileges.py", "tickit"),
    ("tests/devkit/emulator/redshift/test_copy_load.py", "tickit"),
    ("tests/devkit/emulator/redshift/test_data_api.py", "tickit"),
    ("tests/devkit/emulator/redshift/test_unload.py", "tickit"),
    ("tests/devkit/emulator/redshift/test_sql.py", "tickit"),
    ("tests/deploy/sample_data/test_tickit.py", "tickit"),
    ("tests/dags/test_data_lake__*.py", "data_lake"),
    ("tests/spark/**", "data_lake"),
    ("tests/devkit/emulator/emr_serverless/test_job_runs.py", "data_lake"),
    ("tests/devkit/emulator/emr_serverless/test_local_spark.py", "data_lake"),
    ("tests/deploy/sample_data/test_synthea.py", "data_lake"),
    ("tests/dags/test_datahub__*.py", "datahub"),
    ("tests/devkit/datahub/**", "datahub"),
    ("tests/recipes/**", "datahub"),
    ("tests/sql/test_datahub_*.py", "datahub"),
    # The always-run core: DAG validation of every DAG, and the fast unit tests.
    ("tests/dags/test_dag_validation.py", "core"),
    ("tests/dags/test_dag_style.py", "core"),
    ("tests/dags/test_no_resource_names.py", "core"),
    ("tests/dags/test_parse_*.py", "core"),
    ("tests/dags/test_policy_rejects_bad_dags.py", "core"),
    ("tests/dags/test_new_dag_runs.py", "core"),
    ("tests/dags/test_new_dags_access.py", "core"),
    ("tests/dags/lakehouse/test_athena.py", "core"),
    ("tests/dags/lakehouse/test_conventions.py", "core"),
    ("tests/deploy/**", "core"),
    ("tests/requirements/**", "core"),
    ("tests/devkit/tools/test_iam_lint.py", "core"),
    ("tests/devkit/tools/test_checkov_lint.py", "core"),
    ("tests/devkit/iam/**", "core"),
    ("tests/devkit/patches/**", "core"),
    ("tests/devkit/emulator/athena/test_table_metadata.py", "core"),
    ("tests/devkit/emulator/cloudformation/test_resources.py", "core"),
    ("tests/devkit/emulator/standins/test_fake_mwaa_rest_api.py", "core"),
    ("tests/deploy/sample_data/test_night.py", "core"),
    ("tests/infra/**", "core"),
    ("tests/devkit/tools/test_gate_domains.py", "core"),
    ("tests/devkit/tools/test_gate_cache.py", "core"),
    ("tests/devkit/test_layout.py", "core"),
    ("tests/test_layers.py", "core"),
    ("tests/test_doc_references.py", "core"),
    ("tests/devkit/airflow/test_dagrun.py", "core"),
    ("tests/devkit/emulator/redshift/test_postgres.py", "core"),
    ("tests/devkit/emulator/glue/test_crawler_and_athena.py", "core"),
    ("tests/devkit/emulator/test_operators.py", "core"),
    ("tests/devkit/run/test_ui.py", "core"),
    ("tests/devkit/run/test_local_up.py", "core"),  # deploy up's steps on the emulation
    ("tests/devkit/emulator/test_secrets_backend.py", "core"),
    ("tests/devkit/emulator/test_moto_extensions.py", "core"),
)

# Slow test modules that guard one thing: the pre-push gate runs them only when one of
# their paths changed (the full gate and CI always run them). The unpatched TICKIT lane
# (a fresh process, unpatched start-ups) proves the local patches change no behaviour:
# patches, the Airflow plumbing they wrap and the pinned versions they are written for
# are its paths.
FULL_GATE_UNLESS_CHANGED: dict[str, tuple[str, ...]] = {
    "tests/dags/test_unpatched_tickit_night.py": (
        "devkit/patches/**",
        "devkit/airflow/**",
        "devkit/output.py",
        "requirements/lock.txt",
        "tests/dags/test_unpatched_tickit_night.py",
    ),
}

# Static checks (keyed by the first word of their name in run_tests_locally.sh) that read
# only some paths: with --changed they run when one of those changed. Checks not listed
# (detect-secrets) always run; every check runs when a shared path changed.
CHECK_SCOPES: dict[str, tuple[str, ...]] = {
    "flake8": ("**.py", ".flake8"),
    "black": ("**.py", "pyproject.toml"),
    "isort": ("**.py", "pyproject.toml"),
    "sqlfluff": ("sql/**", "**.sqlfluff", "sqlfluff_libs/**"),
    "workflow": (".github/**",),
    "dependabot": (".github/**",),
    "IAM": ("infra/**", "devkit/tools/iam_lint.py", "devkit/iam/infra_policies.py"),
    "cfn-lint": ("infra/**", ".cfnlintrc.yaml"),
    "checkov": ("infra/**", "devkit/tools/checkov_lint.py", "requirements/checkov/**"),
}
# Paths that change how the checks or tests themselves run: every check and every test.
GATE_ITSELF = (
    "run_tests_locally.sh",
    "devkit/tools/gate_domains.py",
    "devkit/bootstrap.sh",
    ".pre-commit-config.yaml",
    "pyproject.toml",
    "requirements/lock.txt",
    "requirements/bootstrap.txt",
    ".secrets.baseline",
)


SHARED = "shared (no domain owns it)"


@cache
def _regex(pattern: str) -> re.Pattern:
    """Glob to regex: `**` crosses folders, `*` and `?` stay inside one."""
    parts = re.split(r"(\*\*/?|\*|\?)", pattern)
    table = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(table.get(part, re.escape(part)) for part in parts) + r"\Z")


def matches(path: str, pattern: str) -> bool:
    return _regex(pattern).match(path) is not None


def test_modules(root: Path = TESTS_DIR) -> list[str]:
    """Every test module, as a path relative to the repository."""
    return sorted(p.relative_to(REPO).as_posix() for p in root.rglob("test_*.py"))


def owner(test_module: str) -> str | None:
    """The domain (or "core") a test module belongs to; None if TEST_OWNERS lacks it."""
    return next((who for pattern, who in TEST_OWNERS if matches(test_module, pattern)), None)


def domain_tests(domain: str) -> list[str]:
    return [module for module in test_modules() if owner(module) == domain]


def selects(path: str) -> tuple[tuple[str, ...] | None, str]:
    """What a changed path selects (STATIC_ONLY, CORE_ONLY or domains) and the rule why."""
    if path.startswith("tests/") and Path(path).name.startswith("test_"):
        who = owner(path)
        if who == "core":
            return CORE_ONLY, "a core test module"
        if who in DOMAINS:
            return (who,), f"a {who} test module"
    for pattern, selected in PATH_RULES:
        if matches(path, pattern):
            return selected, pattern
    return EVERYTHING, SHARED


@dataclass
class Plan:
    """What one gate run does: which checks it skips, which tests it runs, and why."""

    domains: tuple[str, ...] = EVERYTHING
    run_core: bool = True
    run_static: bool = True
    skip_checks: tuple[str, ...] = ()
    reasons: list[str] = field(default_factory=list)
    # Files the secrets scan reads: None = every tracked file; --changed: the changed ones.
    scan_files: list[str] | None = None
    # What sqlfluff lints: [] = sql/; --changed: the changed SQL files if no setting changed.
    sql_files: list[str] = field(default_factory=list)
    # Slow modules left to the full gate (FULL_GATE_UNLESS_CHANGED; --changed only).
    deferred: tuple[str, ...] = ()

    def pytest_args(self) -> list[str]:
        """Arguments after `pytest`: the test paths, or [] for pytest's own testpaths."""
        if self.run_core and self.domains == EVERYTHING and not self.deferred:
            return []
        if self.run_core:
            others = [d for d in DOMAINS if d not in self.domains]
            ignored = [module for d in others for module in domain_tests(d)]
            ignored += [module for module in self.deferred if module not in ignored]
            return ["tests", *(f"--ignore={module}" for module in ignored)]
        modules = [module for d in self.domains for module in domain_tests(d)]
        return [module for module in modules if module not in self.deferred]

    def scope(self) -> str:
        """One line for the gate's summary: which domains' tests ran."""
        if not self.runs_pytest():
            return "no tests"
        if not self.domains:
            return "core only (DAG validation and unit tests)"
        return ("core + " if self.run_core else "") + "domains: " + ", ".join(self.domains)

    def runs_pytest(self) -> bool:
        return self.run_core or bool(self.domains)

    def shell(self) -> str:
        """Bash array assignments for run_tests_locally.sh (values quoted)."""

        def array(name: str, values) -> str:
            return f"{name}=({' '.join(shlex.quote(v) for v in values)})"

        scan = []
        if self.scan_files is not None:
            scan = [array("scan_files", self.scan_files), "scan_changed=1"]
        scan.append(array("sql_files", self.sql_files))
        return "\n".join(
            [
                *scan,
                array("skip_checks", self.skip_checks),
                array("pytest_args", self.pytest_args()),
                f"run_pytest={int(self.runs_pytest())}",
                f"run_static={int(self.run_static)}",
                f"gate_scope={shlex.quote(self.scope())}",
            ]
        )


def plan_for_paths(paths: list[str]) -> Plan:
    """The selective gate for these changed paths."""
    domains: set[str] = set()
    run_core = False
    reasons = []
    for path in paths:
        selected, why = selects(path)
        if selected is STATIC_ONLY:
            label = "static checks only"
        else:
            run_core = True
            domains.update(selected)
            label = "core + " + ", ".join(selected) if selected else "core tests"
        reasons.append(f"  {path} -> {label} ({why})")
    gate_changed = any(p in GATE_ITSELF or matches(p, ".github/**") for p in paths)
    skip = sorted(
        check
        for check, scope in CHECK_SCOPES.items()
        if not gate_changed and not any(matches(p, s) for p in paths for s in scope)
    )
    ordered = tuple(d for d in DOMAINS if d in domains)
    existing = [p for p in paths if (REPO / p).is_file()]  # deleted files hold no secrets
    shared = any(selects(p)[1] == SHARED for p in paths)  # shared code: everything runs
    deferred = tuple(
        module
        for module, triggers in FULL_GATE_UNLESS_CHANGED.items()
        if not shared
        and owner(module) in ordered
        and not any(matches(p, t) for p in paths for t in triggers)
    )
    reasons += [
        f"  {module}: left to the full gate (none of its paths changed)" for module in deferred
    ]
    plan = Plan(ordered, run_core, skip_checks=tuple(skip), reasons=reasons, scan_files=existing)
    plan.deferred = deferred
    sql_inputs = [p for p in paths if any(matches(p, s) for s in CHECK_SCOPES["sqlfluff"])]
    if not gate_changed and all(matches(p, "sql/**.sql") for p in sql_inputs):
        plan.sql_files = [p for p in sql_inputs if p in existing]  # one statement per file
    return plan


def plan_only(what: str) -> Plan:
    """CI's jobs: `static` (the static checks), `unit` (the core tests), `domain=<d>`."""
    if what == "static":
        return Plan(domains=(), run_core=False, reasons=["--only static: the static checks"])
    if what == "unit":
        reason = "--only unit: DAG validation and the core's unit tests"
        return Plan(domains=(), run_core=True, run_static=False, reasons=[reason])
    name = what.removeprefix("domain=")
    if what.startswith("domain=") and name in DOMAINS:
        reason = f"--only {what}: the {name} domain's tests"
        return Plan(domains=(name,), run_core=False, run_static=False, reasons=[reason])
    raise SystemExit(
        f"gate: unknown --only {what!r}; use static, unit or domain=<{'|'.join(DOMAINS)}>"
    )


def _git(repo: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def merge_base(base: str | None = None, repo: Path = REPO) -> tuple[str, str] | None:
    """(ref, commit): the merge base of HEAD with `base`, else @{upstream}, origin/main, main."""
    for ref in [base] if base else ["@{upstream}", "origin/main", "main"]:
        commit = _git(repo, "merge-base", "HEAD", ref)
        if commit:
            if ref == "@{upstream}":
                ref = _git(repo, "rev-parse", "--abbrev-ref", "@{upstream}") or ref
            return ref, commit
    return None


def changed_paths(commit: str, repo: Path = REPO) -> list[str]:
    """Committed since `commit`, staged, unstaged and untracked paths (renames: both)."""
    diff = _git(repo, "diff", "--name-only", "--no-renames", commit) or ""
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard") or ""
    return sorted({line for line in (diff + "\n" + untracked).splitlines() if line})


def plan_changed(base: str | None = None) -> Plan:
    found = merge_base(base)
    if found is None:
        tried = base or "@{upstream}, origin/main, main"
        return Plan(reasons=[f"no merge base with {tried}: running everything"])
    ref, commit = found
    paths = changed_paths(commit)
    plan = plan_for_paths(paths)
    head = f"base {ref} (merge base {commit[:10]}), {len(paths)} changed path(s)"
    plan.reasons.insert(0, head)
    return plan


def describe(plan: Plan) -> str:
    ran = ", ".join(plan.domains) or "none"
    skipped = ", ".join(d for d in DOMAINS if d not in plan.domains) or "none"
    tests = "core + domain tests" if plan.run_core else "domain tests only"
    if not plan.runs_pytest():
        tests = "no tests (no path a test reads changed)"
    lines = [
        "gate: " + (plan.reasons[0] if plan.reasons else "the full gate"),
        *plan.reasons[1:],
        f"gate: domains run: {ran}; skipped: {skipped}; {tests}",
    ]
    if not plan.run_static:
        lines.append("gate: static checks: none in this run")
    elif plan.skip_checks:
        skipped_checks = ", ".join(plan.skip_checks)
        lines.append(f"gate: static checks skipped (nothing they read changed): {skipped_checks}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--matrix", action="store_true", help="the domains as JSON (CI matrix)")
    mode.add_argument("--changed", action="store_true", help="the plan for the current change")
    mode.add_argument("--only", metavar="WHAT", help="static | unit | domain=<name>")
    mode.add_argument("--paths", nargs="+", metavar="PATH", help="the plan for these paths")
    parser.add_argument("--base", help="compare with this ref (default: @{upstream}, ...)")
    parser.add_argument("--shell", action="store_true", help="print bash assignments")
    args = parser.parse_args(argv)

    if args.matrix:
        domains = json.dumps(list(DOMAINS))
        print(domains)
        if os.environ.get("GITHUB_OUTPUT"):
            with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
                out.write(f"domains={domains}\n")
        return 0
    if args.changed:
        plan = plan_changed(args.base)
    elif args.paths:
        plan = plan_for_paths(args.paths)
        plan.reasons.insert(0, f"{len(args.paths)} path(s) given")
    else:
        plan = plan_only(args.only)
    print(describe(plan), file=sys.stderr)
    if args.shell:
        print(plan.shell())
    return 0


if __name__ == "__main__":
    sys.exit(main())
