"""Render a task's SQL for a data interval with Airflow's own template machinery.

Tests use it to see exactly the statements a DAG submits for a given day,
through the real DAG objects (searchpath, params, filters) rather than a copy.
"""

from __future__ import annotations

import copy
from datetime import date

import pendulum


class _Variables(dict):
    """`var.value.<name>`: the given values, else a visible placeholder."""

    def __missing__(self, name: str) -> str:
        return f"<variable {name}>"


def interval_context(
    dag, task, day: date, variables: dict | None = None, params: dict | None = None
) -> dict:
    """The template variables the DAG SQL uses, for the interval [day, day + 1) UTC.

    `params`: the task's params when the caller has them already (dumping validates each).
    """
    start = pendulum.datetime(day.year, day.month, day.day, tz="UTC")
    end = start.add(days=1)
    if params is None:
        params = task.params.dump() if hasattr(task.params, "dump") else dict(task.params)
    return {
        "dag": dag,
        "task": task,
        "params": params,
        "data_interval_start": start,
        "data_interval_end": end,
        "logical_date": end,
        "ds": end.to_date_string(),
        "var": {"value": _Variables(variables or {})},
    }


def render_task(dag, task_id: str, day: date, variables: dict | None = None):
    """A rendered copy of the task (the DAG's own task is left untouched)."""
    task = copy.deepcopy(dag.get_task(task_id))
    context = interval_context(dag, task, day, variables)
    task.render_template_fields(context, jinja_env=dag.get_template_env())
    return task


def task_sql(dag, task_id: str, day: date, variables: dict | None = None) -> list[str]:
    """The SQL statements the task submits for `day`, as a list."""
    task = render_task(dag, task_id, day, variables)
    sql = getattr(task, "sql", None) or getattr(task, "select_query", None)
    return [sql] if isinstance(sql, str) else list(sql)
