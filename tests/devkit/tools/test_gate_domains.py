"""The pre-push gate's mapping (devkit/tools/gate_domains.py and each family's GATE_PATHS and
GATE_TESTS in devkit/domains/<family>.py): no test module is left out, and a change to a
family's files runs that family's tests."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from devkit.paths import REPO
from devkit.tools import gate_domains as gd


def tracked(*patterns: str) -> list[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [f for f in files if any(gd.matches(f, p) for p in patterns)]


def selected_tests(plan: gd.Plan) -> set[str]:
    """The test modules pytest runs for this plan (what its arguments collect)."""
    args = plan.pytest_args()
    if not plan.runs_pytest():
        return set()
    if not args:
        return set(gd.test_modules())
    if args[0] == "tests":
        ignored = {a.removeprefix("--ignore=") for a in args[1:]}
        return set(gd.test_modules()) - ignored
    return set(args)


def test_every_test_module_belongs_to_one_family_or_else_to_the_core():
    for module in gd.test_modules():
        owners = [who for pattern, who in gd.TEST_OWNERS if gd.matches(module, pattern)]
        assert owners, (
            f"{module}: add it to its family's GATE_TESTS (devkit/domains/<family>.py) or "
            "to CORE_TESTS in devkit/tools/gate_domains.py"
        )
        # The families' globs come first (tests/deploy/sample_data/test_tickit.py is
        # TICKIT's, though under the core's tests/deploy/**); two families: ambiguous.
        families = {who for who in owners if who != "core"}
        assert len(families) <= 1, f"{module}: in the GATE_TESTS of {sorted(families)}"
        assert gd.owner(module) == owners[0]


def test_every_owner_entry_still_matches_a_test_module():
    modules = gd.test_modules()
    for pattern, who in gd.TEST_OWNERS:
        assert any(gd.matches(m, pattern) for m in modules), f"stale TEST_OWNERS: {pattern}"


def test_every_family_path_still_matches_a_tracked_file():
    for family in gd.FAMILIES:
        for pattern in family.paths:
            assert tracked(pattern), f"{family.registration}: stale GATE_PATHS {pattern}"


def test_the_families_are_the_registrations_that_own_tests_and_the_dag_id_prefixes():
    assert gd.DOMAINS == ("data_lake", "datahub", "tickit")  # not house nor lineage
    prefixes = {path.split("/")[-1].split("__")[0] for path in tracked("dags/*__*.py")}
    assert prefixes == set(gd.DOMAINS)
    for family in gd.FAMILIES:
        assert f"dags/{family.name}__*" in family.paths, family.registration


@pytest.mark.parametrize("domain", gd.DOMAINS)
def test_each_domain_has_an_end_to_end_test_module(domain):
    e2e = [m for m in gd.domain_tests(domain) if m.startswith(f"tests/dags/test_{domain}__")]
    assert e2e, f"{domain}: no tests/dags/test_{domain}__*.py"
    assert all("pytest.mark.integration" in (REPO / m).read_text() for m in e2e)


DOMAIN_FILES = {
    "tickit": ("dags/tickit__*", "sql/tickit/**", "dags/lakehouse/tickit.py"),
    "data_lake": ("dags/data_lake__*", "sql/data_lake/**", "dags/lakehouse/data_lake.py"),
    "datahub": ("dags/datahub__*", "recipes/**", "requirements/datahub/**"),
}
DOMAIN_FILES["tickit"] += ("devkit/domains/tickit.py",)
DOMAIN_FILES["data_lake"] += ("devkit/domains/data_lake.py", "spark/jobs/*.py")
DOMAIN_FILES["datahub"] += ("devkit/domains/datahub.py",)


@pytest.mark.parametrize("domain", gd.DOMAINS)
def test_a_change_to_a_domains_files_runs_its_tests_and_the_core(domain):
    files = tracked(*DOMAIN_FILES[domain])
    assert len(files) >= 3, f"{domain}: expected its DAGs, SQL/jobs/recipes and registration"
    core = {m for m in gd.test_modules() if gd.owner(m) == "core"}
    for path in files:
        plan = gd.plan_for_paths([path])
        assert domain in plan.domains, path
        expected = set(gd.domain_tests(domain)) - set(plan.deferred) - set(plan.sql_blind())
        needed = core if gd.core_needed(path) is None else set(gd.core_needed(path))
        assert expected | needed <= selected_tests(plan), path


def test_one_sql_file_runs_one_family_the_cores_sql_readers_and_its_sql_lint():
    plan = gd.plan_for_paths(["sql/tickit/merge/merge_sales.sql"])
    assert plan.domains == ("tickit",) and plan.run_core
    assert {"flake8", "black", "isort", "workflow", "IAM"} <= set(plan.skip_checks)
    assert "sqlfluff" not in plan.skip_checks
    ran = selected_tests(plan)
    # TICKIT's logic runs the SQL: a change that breaks it fails the pre-push gate.
    assert "tests/dags/test_tickit__redshift_load.py" in ran
    assert "tests/sql/test_tickit_merge_sql.py" in ran
    core = {m for m in gd.test_modules() if gd.owner(m) == "core"}
    # Not the deploy, stacks, environments...: the core modules that read any SQL file.
    assert ran & core == {"tests/devkit/tools/test_gate_domains.py", "tests/test_doc_references.py"}
    assert not ran & set(gd.domain_tests("data_lake") + gd.domain_tests("datahub"))
    # Every TICKIT module but those that run none of its SQL (the emulation's own tests...).
    blind = {m for m in gd.domain_tests("tickit") if gd.first_match(m, gd.SQL_BLIND_TESTS)}
    assert "tests/devkit/emulator/redshift/test_copy_load.py" in blind
    tickit = set(gd.domain_tests("tickit")) - set(plan.deferred)
    assert ran & tickit == tickit - blind
    assert "tests/dags/test_redshift_privileges.py" in ran  # it runs the DAG's DDL and checks
    # The review's SQL case edits one file: a change to it runs the review's test too.
    sales = selected_tests(gd.plan_for_paths(["sql/tickit/unload/sales_by_category.sql"]))
    assert "tests/deploy/test_deploy_review.py" in sales


# A core module that names the repository's sql/ folder (`SQL_DIR`, "sql/...", `/ "sql"`)
# may read a file there; "dags/sql/..." keys in a fake bucket are no such name.
NAMES_SQL = re.compile(r"""SQL_DIR|["'`(]sql/|/ ?["']sql["']""")
# Core modules that name sql/ files but read none of the repository's, and why.
NOT_SQL_READERS = {
    "tests/dags/test_new_family.py": "its toy family's own sql/toy/, in a copy",
    "tests/devkit/domains/test_families.py": "a toy registration's globs, in a folder of its own",
    "tests/deploy/test_deploy_sync.py": "a fake repository of its own (tests/deploy/conftest.py)",
}


def test_every_core_module_that_names_sql_files_runs_when_a_familys_sql_changes():
    core = [m for m in gd.test_modules() if gd.owner(m) == "core"]
    readers = {m for m in core if NAMES_SQL.search((REPO / m).read_text())}
    assert readers - set(NOT_SQL_READERS) == set(gd.SQL_READERS), "update SQL_READERS"
    for module, read in gd.SQL_READERS.items():
        named = re.findall(r"""["'](sql/[\w/.-]+\.sql)["']""", (REPO / module).read_text())
        for path in named:
            if (REPO / path).is_file():  # a real file it names, not an example
                assert any(gd.matches(path, g) for g in read), f"{module} reads {path}"
        assert all(tracked(g) for g in read), f"{module}: stale SQL_READERS {read}"


# What running a family's SQL takes: naming it (sql/<family>, the repository's SQL_DIR),
# rendering a DAG's tasks, or running a DAG or a pipeline (its fixtures, its classes).
RUNS_FAMILY_SQL = re.compile(
    r"sql/(?:" + "|".join(gd.DOMAINS) + r")\b|devkit\.paths import[^\n]*SQL_DIR|load_dag|"
    r"task_sql|run_dag|dag\.test|new_pipeline|pipeline_on_stack|LocalPipeline|tickit_two_"
    r"nights|first_night|dag_catalog|DAGS_DIR|[\"']dags/"
)


def test_the_modules_a_familys_sql_leaves_out_run_none_of_it():
    for pattern in gd.SQL_BLIND_TESTS:
        (module,) = [m for m in gd.test_modules() if gd.matches(m, pattern)] or [pattern]
        assert gd.owner(module) in gd.DOMAINS, f"{pattern}: no family's test module"
        found = RUNS_FAMILY_SQL.search((REPO / module).read_text())
        assert found is None, f"{module} may run a family's SQL ({found and found.group()})"
    # Every other change runs them: a change to the emulation runs its own tests.
    plan = gd.plan_for_paths(["devkit/emulator/redshift/copy_load.py"])
    assert "tests/devkit/emulator/redshift/test_copy_load.py" in selected_tests(plan)


def test_other_sql_runs_the_whole_core():
    for path in ("sql/redshift_bootstrap/01_users.sql", "sql/tickit/merge/x.sql.jinja"):
        plan = gd.plan_for_paths([path])
        assert plan.run_core and plan.core is None, path
    assert gd.plan_for_paths(["sql/tickit/a.sql", "dags/tickit__x.py"]).core is None


def test_sqlfluff_lints_only_the_changed_sql_files_unless_its_settings_changed():
    one = tracked("sql/tickit/merge/*.sql")[0]
    assert gd.plan_for_paths([one, "docs/gate.md"]).sql_files == [one]
    assert gd.plan_for_paths([one, "sqlfluff_libs/params.py"]).sql_files == []  # all of sql/
    assert gd.plan_for_paths([one, "run_tests_locally.sh"]).sql_files == []
    assert gd.plan_for_paths(["sql/tickit/merge/deleted.sql"]).sql_files == []


def test_a_docs_only_change_runs_no_tests_and_only_the_secrets_scan():
    plan = gd.plan_for_paths(["docs/gate.md", "README.md"])
    assert not plan.runs_pytest()
    assert set(plan.skip_checks) == set(gd.CHECK_SCOPES)  # detect-secrets still runs


@pytest.mark.parametrize(
    "path",
    [
        "dags/lakehouse/conventions.py",
        "devkit/paths.py",
        "requirements/lock.txt",
        "run_tests_locally.sh",
        ".github/workflows/test_dags.yml",
        "infra/mwaa.yaml",
        "tests/conftest.py",
        "a/file/nobody/mapped.txt",
    ],
)
def test_a_shared_path_selects_everything(path):
    plan = gd.plan_for_paths([path])
    assert plan.domains == gd.DOMAINS and plan.run_core
    assert plan.pytest_args() == []  # pytest's own testpaths: the whole suite


def test_the_gate_itself_runs_every_static_check():
    assert gd.plan_for_paths(["run_tests_locally.sh"]).skip_checks == ()


def test_ci_jobs_together_run_every_test_module_exactly_once():
    unit = selected_tests(gd.plan_only("unit"))
    per_domain = [selected_tests(gd.plan_only(f"domain={d}")) for d in gd.DOMAINS]
    jobs = [unit, *per_domain]
    assert set().union(*jobs) == set(gd.test_modules())
    assert sum(len(job) for job in jobs) == len(gd.test_modules())
    assert not gd.plan_only("unit").run_static and gd.plan_only("static").run_static
    assert not gd.plan_only("static").runs_pytest()
    with pytest.raises(SystemExit, match=re.escape("domain=<data_lake|datahub|tickit>")):
        gd.plan_only("domain=nope")


def test_matrix_is_written_to_github_output(tmp_path, monkeypatch, capsys):
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert gd.main(["--matrix"]) == 0
    assert output.read_text() == f"domains={json.dumps(list(gd.DOMAINS))}\n"
    assert json.loads(capsys.readouterr().out) == list(gd.DOMAINS)


def test_the_explanation_names_each_path_and_the_domains_run(capsys):
    gd.main(["--paths", "sql/tickit/merge/merge_sales.sql", "docs/gate.md", "--shell"])
    out, err = capsys.readouterr()
    assert "sql/tickit/merge/merge_sales.sql -> SQL-reading core (2 modules) + tickit" in err
    assert "docs/gate.md -> static checks only (docs/**)" in err
    assert "domains run: tickit; skipped: data_lake, datahub" in err
    script = out + (
        'echo "$gate_scope"; echo "$scan_changed ${scan_files[*]}";'
        ' printf "%s|" "${skip_checks[@]}"; echo; printf "%s\\n" "${pytest_args[@]}"'
    )
    printed = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    scope, scan, checks, *args = printed.stdout.splitlines()
    assert scope == "SQL-reading core (2 modules) + domains: tickit"  # the summary's too
    # The secrets scan reads the changed files that exist (merge_sales.sql is made up).
    assert scan == "1 docs/gate.md"
    assert "sqlfluff" not in checks.split("|") and "flake8" in checks.split("|")
    assert "tests/dags/test_tickit__redshift_load.py" in args
    assert "tests/dags/test_data_lake__pipeline.py" not in args


def git(repo, *args):
    identity = ["-c", "user.name=gate", "-c", "user.email=gate@example.invalid"]
    return subprocess.run(
        ["git", *identity, *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_changed_paths_are_committed_staged_unstaged_and_untracked_since_main(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    for name in ("docs.md", "unstaged.py", "renamed_from.sql"):
        (tmp_path / name).write_text("x\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-qb", "feature")
    (tmp_path / "committed.py").write_text("x\n")
    git(tmp_path, "add", "committed.py")
    git(tmp_path, "mv", "renamed_from.sql", "renamed_to.sql")
    git(tmp_path, "commit", "-qm", "change")
    (tmp_path / "staged.py").write_text("x\n")
    git(tmp_path, "add", "staged.py")
    (tmp_path / "unstaged.py").write_text("y\n")
    (tmp_path / "untracked.py").write_text("x\n")

    ref, commit = gd.merge_base(repo=tmp_path)  # no upstream, no origin: falls back to main
    assert ref == "main" and commit == git(tmp_path, "rev-parse", "main")
    assert gd.changed_paths(commit, repo=tmp_path) == [
        "committed.py",
        "renamed_from.sql",
        "renamed_to.sql",
        "staged.py",
        "unstaged.py",
        "untracked.py",
    ]
    assert gd.merge_base("no-such-ref", repo=tmp_path) is None


def test_each_slow_guards_paths_still_exist():
    for module, triggers in gd.FULL_GATE_UNLESS_CHANGED.items():
        assert module in gd.test_modules(), f"stale FULL_GATE_UNLESS_CHANGED: {module}"
        for pattern in triggers:
            assert tracked(pattern), f"{module}: no tracked file matches {pattern}"


def test_the_unpatched_night_waits_for_the_full_gate_unless_a_patch_changed():
    night = "tests/dags/test_unpatched_tickit_night.py"
    sql = gd.plan_for_paths([tracked("sql/tickit/**.sql")[0]])
    assert "tickit" in sql.domains and night not in selected_tests(sql)
    assert any("left to the full gate" in line for line in sql.reasons)
    patch = gd.plan_for_paths([tracked("devkit/patches/*.py")[0]])
    assert night in selected_tests(patch)
    assert night in selected_tests(gd.plan_only("domain=tickit"))  # CI always runs it
