"""One DAG style (docs/dag_style.md): the DAGs in dags/ and what `make dag` writes.

The policy tests (test_dag_validation.py) accept any style that behaves; these hold
the repository's own files to one: `with DAG(...) as dag:` at module level, the run
policy named in `lakehouse.conventions`, and `dag.test()` under `__main__`.
Read from the source with `ast`: the style is how a file is written, not what it builds.
"""

from __future__ import annotations

import ast

import pytest

from devkit.paths import DAGS_DIR
from devkit.tools.new_dag import render

REPO_DAG_FILES = sorted(p for p in DAGS_DIR.glob("*__*.py"))
# keyword -> the conventions name it must be (the schedule: NIGHTLY, or Assets).
NAMED_CONVENTIONS = {
    "start_date": "START_DATE",
    "catchup": "CATCHUP",
    "max_active_runs": "MAX_ACTIVE_RUNS",
}
ASSET_SCHEDULES = (ast.List, ast.ListComp, ast.BinOp)  # [assets...] or `a | b`, `a & b`


def _sources() -> list[tuple[str, str]]:
    scaffold = render("tickit__style_check")["dag.py.tmpl"]
    return [(p.name, p.read_text()) for p in REPO_DAG_FILES] + [("make_dag", scaffold)]


SOURCES = _sources()
by_source = pytest.mark.parametrize(("name", "source"), SOURCES, ids=[n for n, _ in SOURCES])


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


def test_every_dag_file_is_checked():
    assert len(REPO_DAG_FILES) >= 6, REPO_DAG_FILES


@by_source
def test_one_style_with_dag_and_named_conventions(name, source):
    tree = ast.parse(source, name)
    blocks = _with_dag_blocks(tree)
    assert len(blocks) == 1, f"{name}: write the DAG as one module-level `with DAG(...) as dag:`"
    decorated = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(getattr(d, "id", getattr(getattr(d, "func", None), "id", None)) == "dag"
                for d in node.decorator_list)
    ]  # fmt: skip
    assert not decorated, f"{name}: @dag functions {decorated}; use `with DAG` (docs/dag_style.md)"
    keywords = {kw.arg: kw.value for kw in blocks[0].items[0].context_expr.keywords}
    for keyword, convention in NAMED_CONVENTIONS.items():
        written = getattr(keywords.get(keyword), "id", None)
        assert written == convention, (
            f"{name}: {keyword}={ast.unparse(keywords[keyword]) if keyword in keywords else '?'}"
            f"; use {keyword}={convention} from lakehouse.conventions"
        )
    schedule = keywords.get("schedule")
    assert getattr(schedule, "id", None) == "NIGHTLY" or isinstance(schedule, ASSET_SCHEDULES), (
        f"{name}: schedule={ast.unparse(schedule) if schedule else None}; "
        "use NIGHTLY from lakehouse.conventions, or the Assets the DAG waits for"
    )


@by_source
def test_runs_alone_with_dag_test(name, source):
    """`python dags/<id>.py` runs the DAG once (Airflow's dag.test()), in every file."""
    last = ast.parse(source, name).body[-1]
    assert isinstance(last, ast.If) and "__main__" in ast.unparse(last.test), name
    assert [ast.unparse(stmt) for stmt in last.body] == ["dag.test()"], name
