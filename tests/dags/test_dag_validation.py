"""House policy over the DagBag: each failure names the DAG file, the rule and the fix.

The deploy tool runs this module before it touches the bucket. It checks what protects
production, in any DAG style; when and from which day a DAG runs is the team's choice
(any schedule but none, any start date up to today). The house form of the repository's
own files is test_dag_style.py's.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jinja2.nodes
import pendulum
import pytest

from devkit.airflow.dag_files import DAG_FILE_IDS, DAG_FILES, DAGS_DIR
from devkit.domains.families import names as families
from lakehouse.conventions import Tag, Team, notify_failure

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
    assert len(dags) == 1, (
        f"{dag_file.name}: defines {len(dags)} DAGs; define exactly one per file, "
        f"with dag_id={dag_file.stem!r}"
    )
    return dags[0]


def dag_call_keywords(dag_file: Path) -> set[str]:
    """Keyword arguments written in the file's DAG(...) or @dag(...) call."""
    for node in ast.walk(ast.parse(dag_file.read_text(), str(dag_file))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in ("DAG", "dag"):
                return {kw.arg for kw in node.keywords if kw.arg}
    pytest.fail(f"{dag_file.name}: no DAG(...) or @dag(...) call; `make dag` writes one")


def test_dag_files_exist():
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}; `make dag NAME=<domain>__<name>` writes one"


def test_no_import_errors(dagbag):
    errors = {Path(path).name: err for path, err in dagbag.import_errors.items()}
    assert not errors, (
        "DAG import errors (fix the file; `python dags/<file>` shows the whole traceback):\n"
        + "\n".join(f"{f}: {e}" for f, e in errors.items())
    )


@by_file
def test_one_dag_per_file_named_after_it(dag, dag_file):
    assert dag.dag_id == dag_file.stem, (
        f"{dag_file.name}: dag_id {dag.dag_id!r} differs from the file name; "
        f"set dag_id={dag_file.stem!r} or rename the file {dag.dag_id}.py"
    )


@by_file
def test_dag_id_has_allowed_domain(dag, dag_file):
    domain, sep, name = dag.dag_id.partition("__")
    allowed = sorted(families())
    assert sep and name, (
        f"{dag.dag_id}: dag_id must be <domain>__<name> with a domain of {allowed}, "
        "e.g. tickit__refunds (the file name follows)"
    )
    assert domain in allowed, (
        f"{dag.dag_id}: domain {domain!r} not in {allowed}; use one of them, or add the "
        "family: its registration devkit/domains/<family>.py (docs/devkit.md)"
    )


@by_file
def test_tags_from_taxonomy(dag, dag_file):
    assert (
        Tag.PROJECT.value in dag.tags
    ), f"{dag.dag_id}: missing the project tag {Tag.PROJECT.value!r}; add Tag.PROJECT to tags"
    unknown = set(dag.tags) - KNOWN_TAGS
    assert not unknown, (
        f"{dag.dag_id}: tags {sorted(unknown)} not in lakehouse.conventions.Tag; use its "
        "members, or add the tag there (one line)"
    )


@by_file
def test_description_is_meaningful(dag, dag_file):
    assert dag.description and len(dag.description) >= MIN_DESCRIPTION, (
        f"{dag.dag_id}: description {dag.description!r} is shorter than {MIN_DESCRIPTION} "
        "characters; say in one sentence what the DAG produces (the UI's DAG list shows it)"
    )


@by_file
def test_owner_is_a_team(dag, dag_file):
    owners = {task.owner for task in dag.tasks}
    assert owners <= TEAMS, (
        f"{dag.dag_id}: owners {sorted(owners - TEAMS)} are not teams {sorted(TEAMS)}; use "
        "default_args=DEFAULT_ARGS or owned_by(Team.X) from lakehouse.conventions "
        "(a new team is a line in Team)"
    )


@by_file
def test_no_email_alerts(dag, dag_file):
    mailing = [t.task_id for t in dag.tasks if t.email_on_failure or t.email_on_retry]
    assert not mailing, (
        f"{dag.dag_id}: tasks send e-mail on failure/retry: {mailing}; alerts go to SNS "
        "through notify_failure: use default_args=DEFAULT_ARGS, which turns e-mail off"
    )


@by_file
def test_retries_bounded(dag, dag_file):
    too_many = {t.task_id: t.retries for t in dag.tasks if t.retries > MAX_RETRIES}
    assert not too_many, (
        f"{dag.dag_id}: retries above {MAX_RETRIES}: {too_many}; more retries only delay "
        f"the alert: set retries={MAX_RETRIES} or fewer (DEFAULT_ARGS has 2, with back-off)"
    )


# What the DAG call must state, and an example of each, from lakehouse.conventions.
RUN_POLICY = {
    "schedule": "schedule=NIGHTLY (or HOURLY, WEEKLY, daily_at(6), a cron, its Assets)",
    "catchup": "catchup=CATCHUP (no backfill on deploy or unpause)",
    "max_active_runs": "max_active_runs=MAX_ACTIVE_RUNS (runs must not overlap)",
    "dagrun_timeout": "dagrun_timeout=timedelta(hours=2)",
}


@by_file
def test_run_policy_is_explicit(dag, dag_file):
    """Airflow's defaults backfill (catchup), overlap (16 active runs) and never time out."""
    missing = [key for key in RUN_POLICY if key not in dag_call_keywords(dag_file)]
    assert (
        not missing
    ), f"{dag.dag_id}: set {missing} explicitly in the DAG call, e.g. " + "; ".join(
        RUN_POLICY[key] for key in missing
    )
    assert type(dag.timetable).__name__ != "NullTimetable", (
        f"{dag.dag_id}: schedule=None never runs on MWAA unless someone triggers it; "
        f"give it one: {RUN_POLICY['schedule']}"
    )
    assert dag.dagrun_timeout is not None, (
        f"{dag.dag_id}: dagrun_timeout=None lets a stuck run hold the DAG's only run slot; "
        f"set {RUN_POLICY['dagrun_timeout']} (how long a run may take)"
    )


@by_file
def test_start_date_is_not_in_the_future(dag, dag_file):
    start = dag.start_date
    assert start is None or start <= pendulum.now("UTC"), (
        f"{dag.dag_id}: start_date {start} is in the future, so the scheduler would run "
        "nothing until then, silently; use the first day of the DAG's data (it only anchors "
        "the intervals), and keep the DAG paused until it goes live (is_paused_upon_creation=True)"
    )


@by_file
def test_failures_notify(dag, dag_file):
    silent = [t.task_id for t in dag.tasks if notify_failure not in _callbacks(t)]
    assert not silent, (
        f"{dag.dag_id}: tasks without on_failure_callback=notify_failure: {silent}; use "
        "default_args=DEFAULT_ARGS (or owned_by(Team.X)) so every failure is published"
    )


def _callbacks(task) -> list:
    callbacks = task.on_failure_callback
    return list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]


def _params_read(env: jinja2.Environment, value) -> set[str]:
    """Keys of `params` that the Jinja in a template field reads (the DagBag loaded the files)."""
    if isinstance(value, str):
        tree = env.parse(value)
        named = [*tree.find_all(jinja2.nodes.Getattr), *tree.find_all(jinja2.nodes.Getitem)]
        return {
            getattr(node, "attr", None) or getattr(node.arg, "value", None)
            for node in named
            if getattr(node.node, "name", None) == "params"
        } - {None}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple, set)):
        return set().union(*(_params_read(env, item) for item in value))
    return set()


@by_file
def test_templates_read_only_params_their_task_has(dag, dag_file):
    """Airflow renders with StrictUndefined: a param no one passed fails the task at run time."""
    env = dag.get_template_env()
    missing = {}
    for task in dag.tasks:
        fields = (getattr(task, field, None) for field in task.template_fields)
        read = set().union(*(_params_read(env, value) for value in fields))
        if unknown := read - {*task.params, *dag.params}:
            missing[task.task_id] = sorted(unknown)
    assert not missing, (
        f"{dag.dag_id}: templates read params their task does not have: {missing}; the run "
        "would fail rendering them: pass params= with every key they read "
        "(TICKIT lanes: table.task_params())"
    )
