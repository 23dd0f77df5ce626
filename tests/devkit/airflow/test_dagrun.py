"""devkit/airflow/dagrun.py: deferred tasks of one dag.test() run wait together, then resume
(the scoped patch of devkit/patches/for_airflow.py), and without it plain dag.test()."""

from __future__ import annotations

import textwrap
import uuid

import pendulum

from devkit.airflow.dagrun import run_dag, stored_dags
from devkit.airflow.settings import migrate_metadata_db

TWO_SENSORS = """
import pendulum
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import DAG

with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2008, 1, 1, tz="UTC")) as dag:
    for n in range(2):
        # Each waits 1 s from its own start: long enough to defer (rendering and execute
        # take milliseconds); the order the tests assert comes from the triggers' plumbing.
        DateTimeSensorAsync(
            task_id=f"wait_{{n}}",
            target_time="{{{{ macros.datetime.fromtimestamp(macros.time.time() + 1)"
            ".astimezone().isoformat() }}}}",
        )
"""


def serialized(dag_id: str, source: str, folder):
    """The DAG of a file outside dags/, parsed and stored as dag.test() expects."""
    (folder / f"{dag_id}.py").write_text(textwrap.dedent(source))
    return stored_dags(folder)[dag_id]


def test_deferred_tasks_wait_together_then_resume_with_their_events(tmp_path):
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    migrate_metadata_db()
    dag_id = f"devkit__deferrals_{uuid.uuid4().hex[:8]}"
    dag = serialized(dag_id, TWO_SENSORS.format(dag_id=dag_id), tmp_path)

    result = run_dag(dag_id, pendulum.datetime(2008, 1, 2, tz="UTC"), dag=dag)

    assert result.state == "success", result.failed
    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id).all()
    assert sorted(ti.task_id for ti in tis) == ["wait_0", "wait_1"]
    # Both started (and deferred) before either ended: run one trigger at a time, as
    # plain dag.test() does, and the second would start only after the first ended.
    assert max(ti.start_date for ti in tis) < min(ti.end_date for ti in tis)


def test_without_the_patch_the_same_tasks_succeed_one_trigger_at_a_time(tmp_path, monkeypatch):
    """DEVKIT_PATCHES=off: plain dag.test() plumbing, same outcome (devkit/patches/)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    migrate_metadata_db()
    dag_id = f"devkit__unpatched_{uuid.uuid4().hex[:8]}"
    dag = serialized(dag_id, TWO_SENSORS.format(dag_id=dag_id), tmp_path)
    monkeypatch.setenv("DEVKIT_PATCHES", "off")

    result = run_dag(dag_id, pendulum.datetime(2008, 1, 2, tz="UTC"), dag=dag)

    assert result.state == "success", result.failed
    assert [t.state for t in result.tasks] == ["success", "success"]
    assert {t.log for t in result.tasks} == {result.log}, "every task logs into the run's log"
    with create_session() as session:
        first, second = sorted(
            session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id),
            key=lambda ti: ti.start_date,
        )
    assert second.start_date >= first.end_date, "each trigger ran as its task deferred"
