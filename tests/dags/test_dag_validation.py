"""House policy over the DagBag: each failure names the DAG file and the rule.

The deploy tool runs this module before it touches the bucket.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from devkit.airflow.dag_files import DAG_FILE_IDS, DAG_FILES, DAGS_DIR
from lakehouse.conventions import Domain, Tag, Team, notify_failure

MAX_RETRIES = 3
MIN_DESCRIPTION = 16
KNOWN_TAGS = {tag.value for tag in Tag}
TEAMS = {team.value for team in Team}

by_file = pytest.mark.parametrize("dag_file", DAG_FILES, ids=DAG_FILE_IDS)


@pytest.fixture(scope="session")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR), include_examples=False)


def dags_in(dagbag, dag_file: Path):
    return [dag for dag in dagbag.dags.values() if Path(dag.fileloc) == dag_file]


@pytest.fixture
def dag(dagbag, dag_file):
    dags = dags_in(dagbag, dag_file)
    assert len(dags) == 1, f"{dag_file.name}: expected exactly one DAG, found {len(dags)}"
    return dags[0]


def dag_call_keywords(dag_file: Path) -> set[str]:
    """Keyword arguments written in the file's DAG(...) or @dag(...) call."""
    for node in ast.walk(ast.parse(dag_file.read_text(), str(dag_file))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in ("DAG", "dag"):
                return {kw.arg for kw in node.keywords if kw.arg}
    pytest.fail(f"{dag_file.name}: no DAG(...) or @dag(...) call found")


def test_dag_files_exist():
    assert DAG_FILES, f"no DAG files found in {DAGS_DIR}"


def test_no_import_errors(dagbag):
    errors = {Path(path).name: err for path, err in dagbag.import_errors.items()}
    assert not errors, "DAG import errors:\n" + "\n".join(f"{f}: {e}" for f, e in errors.items())


@by_file
def test_one_dag_per_file_named_after_it(dag, dag_file):
    assert dag.dag_id == dag_file.stem, f"{dag_file.name}: dag_id {dag.dag_id!r} != file name"


@by_file
def test_dag_id_has_allowed_domain(dag, dag_file):
    domain, sep, name = dag.dag_id.partition("__")
    assert sep and name, f"{dag.dag_id}: dag_id must be <domain>__<name>"
    allowed = sorted(d.value for d in Domain)
    assert domain in allowed, f"{dag.dag_id}: domain {domain!r} not in {allowed}"


@by_file
def test_tags_from_taxonomy(dag, dag_file):
    assert Tag.PROJECT.value in dag.tags, f"{dag.dag_id}: missing project tag {Tag.PROJECT.value!r}"
    unknown = set(dag.tags) - KNOWN_TAGS
    assert not unknown, f"{dag.dag_id}: tags {sorted(unknown)} not in lakehouse.conventions.Tag"


@by_file
def test_description_is_meaningful(dag, dag_file):
    assert (
        dag.description and len(dag.description) >= MIN_DESCRIPTION
    ), f"{dag.dag_id}: description must be at least {MIN_DESCRIPTION} characters"


@by_file
def test_owner_is_a_team(dag, dag_file):
    owners = {task.owner for task in dag.tasks}
    assert owners <= TEAMS, f"{dag.dag_id}: owners {sorted(owners - TEAMS)} are not teams {TEAMS}"


@by_file
def test_no_email_alerts(dag, dag_file):
    mailing = [t.task_id for t in dag.tasks if t.email_on_failure or t.email_on_retry]
    assert not mailing, f"{dag.dag_id}: tasks send e-mail on failure/retry: {mailing}"


@by_file
def test_retries_bounded(dag, dag_file):
    too_many = {t.task_id: t.retries for t in dag.tasks if t.retries > MAX_RETRIES}
    assert not too_many, f"{dag.dag_id}: retries above {MAX_RETRIES}: {too_many}"


@by_file
def test_schedule_catchup_and_timeout_explicit(dag, dag_file):
    written = dag_call_keywords(dag_file)
    missing = {"schedule", "catchup", "dagrun_timeout"} - written
    assert not missing, f"{dag.dag_id}: set {sorted(missing)} explicitly in the DAG call"
    assert (
        type(dag.timetable).__name__ != "NullTimetable"
    ), f"{dag.dag_id}: schedule must not be None"
    assert dag.dagrun_timeout is not None, f"{dag.dag_id}: dagrun_timeout must not be None"


@by_file
def test_failures_notify(dag, dag_file):
    silent = [t.task_id for t in dag.tasks if notify_failure not in _callbacks(t)]
    assert not silent, f"{dag.dag_id}: tasks without notify_failure (use DEFAULT_ARGS): {silent}"


def _callbacks(task) -> list:
    callbacks = task.on_failure_callback
    return list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
