"""One DAG form (docs/dag_style.md): the DAGs in dags/ and what `make dag` writes.

The policy tests (test_dag_validation.py) check what a DAG does, in any style; these
hold the repository's own files to one form: `with DAG(...) as dag:` at module level,
the run policy named in `lakehouse.conventions`, a start date with a time zone, and
`dag.test()` under `__main__`. When and from which day a DAG runs is the team's choice:
any schedule Airflow accepts and any start date pass. Read from the source with `ast`:
the form is how a file is written, not what it builds. `DAGS_UNDER_TEST` points these
at another folder (test_policy_rejects_bad_dags.py does).
"""

from __future__ import annotations

import ast

import pytest

from devkit.airflow.dag_files import DAG_FILES, DAGS_DIR
from devkit.paths import DAGS_DIR as REPO_DAGS_DIR
from devkit.tools.new_dag import render

STYLE = "docs/dag_style.md"
# Calls that build a datetime with no time zone unless given one (pendulum's are UTC).
NAIVE_DATETIME_CALLS = ("datetime", "datetime.datetime", "dt.datetime", "pendulum.naive")


def _sources() -> list[tuple[str, str]]:
    scaffold = render("tickit__style_check")["dag.py.tmpl"]
    return [(p.name, p.read_text()) for p in DAG_FILES] + [("make_dag", scaffold)]


SOURCES = _sources()
by_source = pytest.mark.parametrize(
    ("name", "source"), SOURCES, ids=[n.removesuffix(".py") for n, _ in SOURCES]
)


def _is_dag_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DAG"


def _with_dag_blocks(tree: ast.Module) -> list[ast.With]:
    return [
        node
        for node in tree.body
        if isinstance(node, ast.With)
        and len(node.items) == 1
        and _is_dag_call(node.items[0].context_expr)
        and getattr(node.items[0].optional_vars, "id", None) == "dag"
    ]


def _dag_keywords(name: str, source: str) -> tuple[ast.Module, dict[str, ast.expr]]:
    tree = ast.parse(source, name)
    blocks = _with_dag_blocks(tree)
    assert len(blocks) == 1, (
        f"{name}: {len(blocks)} module-level `with DAG(...) as dag:` blocks; write the DAG as "
        f"exactly one, at module level, its arguments first, then its tasks ({STYLE})"
    )
    return tree, {kw.arg: kw.value for kw in blocks[0].items[0].context_expr.keywords}


def _module_value(tree: ast.Module, node: ast.expr) -> ast.expr | None:
    """What a module-level name was assigned; None when imported (the conventions' names)."""
    if not isinstance(node, ast.Name):
        return node
    for stmt in tree.body:
        targets = [getattr(t, "id", None) for t in getattr(stmt, "targets", ())]
        if isinstance(stmt, ast.Assign) and node.id in targets:
            return _module_value(tree, stmt.value)
    return None


def _is_naive(value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Call) or ast.unparse(value.func) not in NAIVE_DATETIME_CALLS:
        return False
    given_tz = any(kw.arg in ("tzinfo", "tz") for kw in value.keywords) or len(value.args) >= 8
    return ast.unparse(value.func) == "pendulum.naive" or not given_tz


def test_every_dag_file_is_checked():
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}"
    if DAGS_DIR == REPO_DAGS_DIR:
        assert len(DAG_FILES) >= 6, DAG_FILES


@by_source
def test_one_with_dag_block_and_no_dag_decorator(name, source):
    tree, _ = _dag_keywords(name, source)
    decorated = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(getattr(d, "id", getattr(getattr(d, "func", None), "id", None)) == "dag"
                for d in node.decorator_list)
    ]  # fmt: skip
    assert not decorated, (
        f"{name}: @dag functions {decorated}; move their body into the module-level "
        f"`with DAG(...) as dag:` block ({STYLE})"
    )


@by_source
def test_catchup_is_the_convention_or_an_explicit_backfill(name, source):
    _, keywords = _dag_keywords(name, source)
    written = ast.unparse(keywords["catchup"]) if "catchup" in keywords else None
    assert written in ("CATCHUP", "True"), (
        f"{name}: catchup={written}; write catchup=CATCHUP from lakehouse.conventions (no "
        "backfill of missed intervals on deploy or unpause), or catchup=True if this DAG "
        "must run every interval since its start_date"
    )


@by_source
def test_runs_never_overlap(name, source):
    _, keywords = _dag_keywords(name, source)
    written = ast.unparse(keywords["max_active_runs"]) if "max_active_runs" in keywords else None
    assert written == "MAX_ACTIVE_RUNS", (
        f"{name}: max_active_runs={written}; runs of one DAG write the same tables and must "
        "not overlap (Airflow's default lets 16 run at once): write "
        "max_active_runs=MAX_ACTIVE_RUNS from lakehouse.conventions"
    )


@by_source
def test_start_date_is_written_with_a_time_zone(name, source):
    """Any start date is fine; one with no time zone means whatever the environment's
    default_timezone is, so the same file would run at different hours in two places."""
    tree, keywords = _dag_keywords(name, source)
    example = 'pendulum.datetime(2026, 3, 1, tz="UTC")'
    assert "start_date" in keywords, (
        f"{name}: no start_date in the DAG call; write start_date=START_DATE from "
        f"lakehouse.conventions or the first day of the DAG's data, e.g. {example}"
    )
    written = ast.unparse(keywords["start_date"])
    assert not _is_naive(_module_value(tree, keywords["start_date"])), (
        f"{name}: start_date={written} has no time zone; give it one, e.g. {example} "
        "or datetime(..., tzinfo=timezone.utc)"
    )


@by_source
def test_runs_alone_with_dag_test(name, source):
    """`python dags/<id>.py` runs the DAG once (Airflow's dag.test()), in every file."""
    last = ast.parse(source, name).body[-1]
    ends_with_dag_test = (
        isinstance(last, ast.If)
        and "__main__" in ast.unparse(last.test)
        and [ast.unparse(stmt) for stmt in last.body] == ["dag.test()"]
    )
    assert ends_with_dag_test, (
        f'{name}: end the file with `if __name__ == "__main__": dag.test()` (on two lines), '
        "so that `python dags/<dag_id>.py` runs the DAG once"
    )
