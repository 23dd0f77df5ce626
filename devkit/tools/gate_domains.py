"""What a change needs tested: changed paths -> pipeline families -> test modules.

Each family declares in its registration `devkit/domains/<family>.py` the paths whose
change runs its tests and its test modules (`GATE_PATHS`, `GATE_TESTS`, read by
devkit/domains/families.py); this module adds what no family owns: documentation
(`STATIC_ONLY`), paths only the always-run core reads (`CORE_PATHS`), the core's test
modules (`CORE_TESTS`), the few core modules a family's SQL can break (`SQL_READERS`)
and the paths each static check reads (`CHECK_SCOPES`). Used by the pre-push gate
(`./run_tests_locally.sh --changed`), by CI's per-family matrix (`--matrix`) and by
CI's jobs (`--only ...`), so all three select the same tests. Standard library
only: the gate calls it before anything heavy starts.

    python -m devkit.tools.gate_domains --matrix               the families, as JSON (CI)
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

from devkit.domains.families import families
from devkit.paths import REPO, TESTS_DIR

# The pipeline families (the dag_id prefixes), found in devkit/domains/.
FAMILIES = families()
DOMAINS = tuple(family.name for family in FAMILIES)

# What a matching path selects. STATIC_ONLY: no test reads it (docs, benchmarks), so only
# the static checks run. CORE_ONLY: the always-run core covers it (it always runs when
# anything but docs changed). EVERYTHING: shared code, every family's tests.
STATIC_ONLY = None
CORE_ONLY: tuple[str, ...] = ()
EVERYTHING = DOMAINS

# Documentation no test reads: before the families' paths (spark/README.md is no job).
STATIC_PATHS = ("docs/**", "README.md", "spark/README.md", "plugins/README.md", "bench/**")
# Paths inside a CORE_PATHS folder that every family's tests read: EVERYTHING.
SHARED_PATHS: tuple[str, ...] = (
    "deploy/dags/**",  # the DAG catalogue and SQL rendering: the run command, the SQL tests
)
# After the families' paths (deploy/redshift_bootstrap.py is the warehouse families'):
# the deploy tool and the IAM policies, whose unit tests are in the core.
CORE_PATHS = (
    "deploy/**",
    "devkit/tools/iam_lint.py",
    "devkit/tools/checkov_lint.py",
    "devkit/tools/checkov_main.py",
    "requirements/checkov/**",
    "devkit/mwaa/**",
    "devkit/run/ui.py",
    "devkit/tools/new_dag.py",
    "devkit/tools/templates/**",
    "sqlfluff_libs/**",
    "tests/dags/new_dags/**",  # read by tests/dags/test_new_dags_access.py only
)
# A path matching none of these selects EVERYTHING (a forgotten rule costs time, never a
# missed test): conventions, devkit's core, requirements, the gate, CI, infra/ and the
# IAM check (every family's accesses), patches, conftest files. `*` stays inside one
# folder, `**` crosses folders. Test modules are matched by their owners first.

# The always-run core: DAG validation of every DAG, and the fast unit tests. The other
# test modules belong to one family each (its GATE_TESTS, matched first: a family's
# module under tests/deploy/ is the family's); test_gate_domains.py requires an owner
# for every module.
CORE_TESTS = (
    "tests/dags/test_dag_validation.py",
    "tests/dags/test_dag_style.py",
    "tests/dags/test_no_resource_names.py",
    "tests/dags/test_parse_*.py",
    "tests/dags/test_policy_rejects_bad_dags.py",
    "tests/dags/test_new_dag_runs.py",
    "tests/dags/test_new_dags_access.py",
    "tests/dags/test_new_family.py",  # a toy family in a copy of the repository
    "tests/dags/lakehouse/test_athena.py",
    "tests/dags/lakehouse/test_conventions.py",
    "tests/deploy/**",
    "tests/requirements/**",
    "tests/devkit/tools/test_iam_lint.py",
    "tests/devkit/tools/test_checkov_lint.py",
    "tests/devkit/tools/test_secrets_scan.py",
    "tests/devkit/iam/**",
    "tests/devkit/patches/**",
    "tests/devkit/emulator/athena/test_table_metadata.py",
    "tests/devkit/emulator/cloudformation/test_resources.py",
    "tests/devkit/emulator/standins/test_fake_mwaa_rest_api.py",
    "tests/deploy/sample_data/test_night.py",
    "tests/infra/**",
    "tests/devkit/tools/test_gate_domains.py",
    "tests/devkit/tools/test_gate_cache.py",
    "tests/devkit/domains/test_families.py",
    "tests/devkit/test_layout.py",
    "tests/test_doc_references.py",
    "tests/devkit/airflow/test_dagrun.py",
    "tests/devkit/emulator/redshift/test_postgres.py",
    "tests/devkit/emulator/glue/test_crawler_and_athena.py",
    "tests/devkit/emulator/test_moto_extensions.py",
    "tests/devkit/emulator/test_moto_server.py",
    "tests/test_layers.py",
    "tests/devkit/emulator/test_operators.py",
    "tests/devkit/run/test_ui.py",
    "tests/devkit/run/test_local_up.py",  # deploy up's steps on the emulation
    "tests/devkit/emulator/test_secrets_backend.py",
)
TEST_OWNERS: tuple[tuple[str, str], ...] = (
    *((pattern, family.name) for family in FAMILIES for pattern in family.tests),
    *((pattern, "core") for pattern in CORE_TESTS),
)

# A family's own SQL (`sql/<family>/**.sql`) is read by no DAG when it is parsed: its
# family's tests run it and sqlfluff lints it (a template that does not render fails
# both). Of the core only these modules read the repository's SQL files, each the ones
# given (test_gate_domains.py finds every core module that names sql/, so a new one
# cannot be missed). Other SQL (the bootstrap's, run by the deploy's tests) runs the
# whole core.
SQL_READERS: dict[str, tuple[str, ...]] = {
    # The search path reaches a real merge file.
    "tests/dags/lakehouse/test_conventions.py": ("sql/tickit/merge/delete_matching.sql",),
    # Its SQL case edits this file (the review renders both trees' SQL alike otherwise).
    "tests/deploy/test_deploy_review.py": ("sql/tickit/unload/sales_by_category.sql",),
    "tests/devkit/tools/test_gate_domains.py": ("sql/**",),  # the rules name SQL paths
    "tests/test_doc_references.py": ("sql/**",),  # the docs name SQL files
}

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
    "checkov": ("infra/**", "devkit/tools/checkov_*.py", "requirements/checkov/**"),
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


SHARED = "shared (no family owns it)"


@cache
def _regex(pattern: str) -> re.Pattern:
    """Glob to regex: `**` crosses folders, `*` and `?` stay inside one."""
    parts = re.split(r"(\*\*/?|\*|\?)", pattern)
    table = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(table.get(part, re.escape(part)) for part in parts) + r"\Z")


def matches(path: str, pattern: str) -> bool:
    return _regex(pattern).match(path) is not None


def first_match(path: str, patterns) -> str | None:
    return next((pattern for pattern in patterns if matches(path, pattern)), None)


def test_modules(root: Path = TESTS_DIR) -> list[str]:
    """Every test module, as a path relative to the repository."""
    return sorted(p.relative_to(REPO).as_posix() for p in root.rglob("test_*.py"))


def owner(test_module: str) -> str | None:
    """The domain (or "core") a test module belongs to; None if TEST_OWNERS lacks it."""
    return next((who for pattern, who in TEST_OWNERS if matches(test_module, pattern)), None)


def domain_tests(domain: str) -> list[str]:
    return [module for module in test_modules() if owner(module) == domain]


def selects(path: str) -> tuple[tuple[str, ...] | None, str]:
    """What a changed path selects (STATIC_ONLY, CORE_ONLY or families) and the rule why:
    documentation first, then every family whose GATE_PATHS match, then the core's."""
    if path.startswith("tests/") and Path(path).name.startswith("test_"):
        who = owner(path)
        if who == "core":
            return CORE_ONLY, "a core test module"
        if who in DOMAINS:
            return (who,), f"a {who} test module"
    if rule := first_match(path, STATIC_PATHS):
        return STATIC_ONLY, rule
    chosen = {f.name: rule for f in FAMILIES if (rule := first_match(path, f.paths))}
    if chosen:
        return tuple(chosen), ", ".join(dict.fromkeys(chosen.values()))
    if rule := first_match(path, SHARED_PATHS):
        return EVERYTHING, rule
    if rule := first_match(path, CORE_PATHS):
        return CORE_ONLY, rule
    return EVERYTHING, SHARED


def core_needed(path: str) -> tuple[str, ...] | None:
    """The core modules a change to `path` can break: those of SQL_READERS that read it
    for a family's own SQL, None (the whole core) for anything else a test reads."""
    if any(matches(path, f"sql/{name}/**.sql") for name in DOMAINS):
        return tuple(m for m, read in SQL_READERS.items() if any(matches(path, g) for g in read))
    return None


@dataclass
class Plan:
    """What one gate run does: which checks it skips, which tests it runs, and why."""

    domains: tuple[str, ...] = EVERYTHING
    run_core: bool = True
    # With run_core: None = every core module; else only these (a family's SQL changed).
    core: tuple[str, ...] | None = None
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
        whole_core = self.run_core and self.core is None
        if whole_core and self.domains == EVERYTHING and not self.deferred:
            return []
        if whole_core:
            others = [d for d in DOMAINS if d not in self.domains]
            ignored = [module for d in others for module in domain_tests(d)]
            ignored += [module for module in self.deferred if module not in ignored]
            return ["tests", *(f"--ignore={module}" for module in ignored)]
        modules = [module for d in self.domains for module in domain_tests(d)]
        modules += [m for m in test_modules() if self.run_core and m in (self.core or ())]
        return [module for module in modules if module not in self.deferred]

    def scope(self) -> str:
        """One line for the gate's summary: which domains' tests ran."""
        if not self.runs_pytest():
            return "no tests"
        if not self.domains:
            whole = "core only (DAG validation and unit tests)"
            return whole if self.core is None else f"{self.core_label()} only"
        core = f"{self.core_label()} + " if self.run_core else ""
        return core + "domains: " + ", ".join(self.domains)

    def core_label(self) -> str:
        return "core" if self.core is None else f"SQL-reading core ({len(self.core)} modules)"

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


def tests_for_paths(paths: list[str]) -> Plan:
    """Which tests these changed paths run, and a reason line per path."""
    domains: set[str] = set()
    run_core = False
    reasons, cores = [], []
    for path in paths:
        selected, why = selects(path)
        if selected is STATIC_ONLY:
            label = "static checks only"
        else:
            run_core = True
            domains.update(selected)
            cores.append(core_needed(path))
            core = Plan(core=cores[-1]).core_label()
            label = f"{core} + " + ", ".join(selected) if selected else f"{core} tests"
        reasons.append(f"  {path} -> {label} ({why})")
    core = None if None in cores else tuple(sorted({m for c in cores for m in c}))
    ordered = tuple(d for d in DOMAINS if d in domains)
    return Plan(ordered, run_core, core, reasons=reasons)


def plan_for_paths(paths: list[str]) -> Plan:
    """The selective gate for these changed paths."""
    plan = tests_for_paths(paths)
    gate_changed = any(p in GATE_ITSELF or matches(p, ".github/**") for p in paths)
    skip = sorted(
        check
        for check, scope in CHECK_SCOPES.items()
        if not gate_changed and not any(matches(p, s) for p in paths for s in scope)
    )
    existing = [p for p in paths if (REPO / p).is_file()]  # deleted files hold no secrets
    shared = any(selects(p)[1] == SHARED for p in paths)  # shared code: everything runs
    deferred = tuple(
        module
        for module, triggers in FULL_GATE_UNLESS_CHANGED.items()
        if not shared
        and owner(module) in plan.domains
        and not any(matches(p, t) for p in paths for t in triggers)
    )
    plan.reasons += [
        f"  {module}: left to the full gate (none of its paths changed)" for module in deferred
    ]
    plan.skip_checks, plan.scan_files, plan.deferred = tuple(skip), existing, deferred
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
    tests = f"{plan.core_label()} + domain tests" if plan.run_core else "domain tests only"
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
