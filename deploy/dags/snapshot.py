"""What the DAGs of one tree are, as plain JSON a review can compare between two commits.

`python -m deploy review` runs this in a subprocess (the deploy tool's own process
never imports Airflow): Airflow and the operator modules are imported once, then one forked
child per tree parses that tree's dags/ with its own `lakehouse` first on sys.path,
renders each task's templated SQL for one representative day and writes JSON. A DAG
file that does not import is reported with its error, never raised.

    python -m deploy.dags.snapshot OUT.json TREE [TREE ...]  # OUT.json: list per TREE
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
from datetime import date, timedelta
from enum import Enum
from pathlib import Path

from deploy.dags.catalog import asset_names, describe
from deploy.dags.render import interval_context

# The first night the local run covers (devkit/run: --first-day): SQL is rendered for it.
REPRESENTATIVE_DAY = date(2008, 1, 1)
# Task attributes compared besides the operator's template fields.
TASK_ATTRIBUTES = (
    "retries",
    "retry_delay",
    "execution_timeout",
    "owner",
    "trigger_rule",
    "pool",
    "deferrable",
)
# Imported before forking, so each child only executes the DAG files themselves.
WARM_MODULES = (
    "airflow.sdk",
    "airflow.dag_processing.dagbag",
    "airflow.providers.amazon.aws.notifications.sns",
    "airflow.providers.amazon.aws.operators.athena",
    "airflow.providers.amazon.aws.operators.ecs",
    "airflow.providers.amazon.aws.operators.emr",
    "airflow.providers.amazon.aws.operators.glue_crawler",
    "airflow.providers.amazon.aws.operators.redshift_data",
    "airflow.providers.amazon.aws.operators.s3",
    "airflow.providers.amazon.aws.sensors.s3",
    "airflow.providers.amazon.aws.transfers.redshift_to_s3",
    "airflow.providers.amazon.aws.transfers.s3_to_redshift",
    "airflow.providers.common.sql.operators.sql",
    "airflow.providers.standard.operators.python",
)


def plain(value, depth: int = 0):
    """A JSON value that is equal between two parses exactly when the argument is."""
    if isinstance(value, Enum):
        return plain(value.value, depth)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, timedelta):
        return str(value)
    if depth > 5:
        return type(value).__name__
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v, depth + 1) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "name") and type(value).__name__.startswith("Asset"):
        return f"Asset({value.name})"
    if callable(value):
        return callable_text(value)
    return type(value).__name__


def callable_text(function) -> str:
    """Name and a hash of the source: a changed @task body shows as a changed argument."""
    name = getattr(function, "__qualname__", type(function).__name__)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return name
    return f"{name} (source {hashlib.sha256(source.encode()).hexdigest()[:10]})"


def sql_fields(task) -> list[str]:
    """The task's template fields that hold SQL (Airflow has read the .sql file into them)."""
    return [
        name
        for name in task.template_fields
        if ("sql" in name or "query" in name) and _is_text(getattr(task, name, None))
    ]


def _is_text(value) -> bool:
    """A statement, or a list of statements."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(item, str) for item in value)
    return isinstance(value, str)


def params_of(task) -> dict:
    """The task's params as given (not validated: `dump()` runs JSON Schema per param)."""
    params = task.params
    if hasattr(params, "get_param"):
        return {name: params.get_param(name).value for name in params}
    return dict(params or {})


def task_args(task, params: dict) -> dict:
    """The arguments a reviewer compares: template fields (SQL apart), retries, owner, ..."""
    names = (set(task.template_fields) | set(TASK_ATTRIBUTES)) - set(sql_fields(task))
    args = {name: plain(getattr(task, name, None)) for name in sorted(names)}
    if params:
        args["params"] = plain(params)
    if getattr(task, "python_callable", None) is not None:
        args["python_callable"] = callable_text(task.python_callable)
    return args


def templated_sql(dag, task, params: dict, jinja_env) -> dict[str, str]:
    """field -> the SQL as the task submits it on REPRESENTATIVE_DAY (Jinja rendered).

    Rendered field by field with the task's own `render_template`, which leaves the
    task as it is: no copy of the task (and with it the whole DAG) per task.
    """
    rendered = {}
    context = interval_context(dag, task, REPRESENTATIVE_DAY, params=params)
    for name in sql_fields(task):
        try:
            value = task.render_template(getattr(task, name), context, jinja_env)
        except Exception as exc:  # noqa: BLE001 (reported, the review goes on)
            value = f"-- cannot render: {type(exc).__name__}: {exc}"
        rendered[name] = _statements(value)
    return rendered


def _statements(value) -> str:
    """One text, statements of a list one after the other."""
    return "\n\n".join(value) if isinstance(value, (list, tuple)) else str(value)


def task_record(dag, task, jinja_env) -> dict:
    params = params_of(task)
    return {
        "operator": type(task).__name__,
        "args": task_args(task, params),
        "upstream": sorted(task.upstream_task_ids),
        "produces": sorted(plain(list(task.outlets))),
        "sql": templated_sql(dag, task, params, jinja_env),
    }


def dag_record(dag, dags_dir: Path) -> dict:
    """One DAG as JSON: schedule, Assets, owners, tags, tasks with arguments and edges."""
    info = describe(dag)
    jinja_env = dag.get_template_env()
    tasks = {task.task_id: task_record(dag, task, jinja_env) for task in dag.tasks}
    return {
        "file": Path(dag.fileloc).relative_to(dags_dir.parent).as_posix(),
        "schedule": info.schedule,
        "timetable": type(dag.timetable).__name__,
        "consumes": sorted(asset_names(info.waits_for)) if info.waits_for is not None else [],
        "produces": sorted(info.updates),
        "owners": sorted({str(t.owner) for t in dag.tasks}),
        "tags": sorted(str(t) for t in dag.tags),
        "dagrun_timeout": plain(dag.dagrun_timeout),
        "variables": sorted(info.variables),
        "connections": sorted(info.connections),
        "tasks": tasks,
    }


def declared_settings() -> dict[str, list[str]]:
    """The Var and Conn enums of the tree's lakehouse.conventions (used outside tasks too)."""
    try:
        from lakehouse import conventions
    except ImportError:
        return {"variables": [], "connections": []}
    return {
        "variables": sorted(str(v.value) for v in getattr(conventions, "Var", [])),
        "connections": sorted(str(c.value) for c in getattr(conventions, "Conn", [])),
    }


def snapshot(tree: Path) -> dict:
    """Parse tree/dags (its own lakehouse first on sys.path) and describe every DAG."""
    from airflow.dag_processing.dagbag import DagBag

    dags_dir = tree / "dags"
    sys.path.insert(0, str(dags_dir))
    bag = DagBag(dag_folder=str(dags_dir), include_examples=False)
    errors = {
        Path(path).relative_to(tree).as_posix(): error.strip()
        for path, error in sorted(bag.import_errors.items())
    }
    dags = {dag_id: dag_record(dag, dags_dir) for dag_id, dag in sorted(bag.dags.items())}
    return {"dags": dags, "import_errors": errors, "declared": declared_settings()}


def snapshot_in_child(tree: Path, out: Path) -> int:
    """Fork; the child writes tree's snapshot to `out` and exits. Returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        out.write_text(json.dumps(snapshot(tree)))
    except BaseException as exc:  # noqa: BLE001 (the parent reports the tree as failed)
        out.write_text(json.dumps({"failed": f"{type(exc).__name__}: {exc}"}))
        code = 1
    finally:
        os._exit(code)


def main(argv: list[str]) -> int:
    out, trees = Path(argv[0]), [Path(t).resolve() for t in argv[1:]]
    for module in WARM_MODULES:
        try:
            __import__(module)
        except ImportError:  # only a warm-up: the DAG file's own import reports it
            pass
    parts = [out.with_suffix(f".{n}.json") for n in range(len(trees))]
    running: list[int] = []
    for tree, part in zip(trees, parts):
        if len(running) >= max(os.cpu_count() or 1, 1):
            os.waitpid(running.pop(0), 0)
        running.append(snapshot_in_child(tree, part))
    for pid in running:
        os.waitpid(pid, 0)
    results = [json.loads(p.read_text()) if p.is_file() else {"failed": "no output"} for p in parts]
    out.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
