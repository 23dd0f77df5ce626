"""TICKIT's load with DEVKIT_PATCHES=off: nothing the tests assert comes from a local patch.

Each devkit patch (devkit/patches/) replaces one function of Airflow, the amazon
provider, FastAPI, botocore, jsonschema, Jinja or the DataHub plugin. The proof needs the
unpatched run to pass through each of those functions, once: one table's lane of
tickit__redshift_load up to its target's key check, after the sensor (6 of the night's
46 tasks: one task of each operator kind of the DAG, the deferred sensor and the merge
included; create_schema's statement is sent beforehand, through the same Data API as
the same role), lineage on for two of them (LINEAGE_FOR), in a fresh process (patches
are process-wide) with no patch applied and an Airflow home of its own, on this
worker's emulation and a stack of its own. A profile hook observes (replaces nothing),
in the thread that runs the DAG and as little as it can, which of the functions in
PATCHED_CODE ran; the tests check that it names every patch, that each ran, and that
the lane's rows and lineage are there without any patch: the patches change speed and
plumbing only. Unpatched, every task pays its own start-up (a new Execution API app
per task) and the plugin's file emitter rewrites the whole file per record (quadratic
in the records; each task re-emits the DAG's), so the lane is as short, and records as
little lineage, as the proof allows; LONGEST_FIRST in tests/conftest.py starts it first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from devkit.airflow.settings import LINEAGE_OFF, LINEAGE_ON, LINEAGE_SWITCH, airflow_settings
from devkit.paths import DAGS_DIR, REPO

pytestmark = pytest.mark.integration

NIGHT = date(2008, 1, 2)
DAG_ID = "tickit__redshift_load"
TABLE = "category"  # a snapshot table: one staging check (a fact's lane has two)
# The sensor and the lane up to its key check (check_reconciles, after it, is a second
# SQLCheckOperator). create_schema, between them, is one more task start-up unpatched
# for a statement its kind (the Data API operator) sends in the lane twice: the fixture
# sends that statement itself, so the lane starts from the schema.
RUNS = {
    "wait_for_extracts",
    *(
        f"{TABLE}.{task}"
        for task in (
            "ensure_tables",
            "copy_to_staging",
            "check_staging_keys",
            "merge_into_target",
            "check_target_keys",
        )
    ),
}
# The tasks the DataHub plugin records (its kill switch is on for the others): the first
# SQL check, whose statement the plugin parses (parse_each_sql_once); and the merge,
# whose lineage the test checks. Unpatched, the plugin's file emitter re-reads and
# rewrites the whole file for each record: every other task's records would only make
# the later ones slower.
LINEAGE_FOR = (f"{TABLE}.check_staging_keys", f"{TABLE}.merge_into_target")

# Each patch's name -> the function(s) it replaces ("module:qualname"), whose unpatched
# code the run must pass through. A new patch without an entry fails the test below.
PATCHED_CODE = {
    "build_in_process_api_once": ("airflow.sdk.execution_time.supervisor:in_process_api_server",),
    "reuse_json_type_adapter": (
        "airflow.sdk.execution_time.task_runner:_serialize_rendered_fields",
    ),
    "build_secrets_backends_once_per_setting": (
        "airflow.sdk.configuration:initialize_secrets_backends",
    ),
    # It wraps the runner of each task (and resumes deferred tasks together; the emulation
    # finishes this lane's statements and sensor at once, so none defers).
    "task_logs_and_deferrals": ("airflow.sdk.definitions.dag:_run_task",),
    "sqlite_commits_without_fsync": ("sqlalchemy.engine.default:DefaultDialect.do_commit",),
    "one_client_per_in_process_api": (
        "airflow.sdk.execution_time.supervisor:InProcessTestSupervisor._api_client",
    ),
    "compile_each_template_string_once": ("jinja2.environment:Environment.compile",),
    "find_aws_hook_callers_cheaply": (
        "airflow.providers.amazon.aws.hooks.base_aws:AwsGenericHook._find_operator_class_name",
    ),
    "share_boto3_sessions_per_thread": (
        "airflow.providers.amazon.aws.hooks.base_aws:BaseSessionFactory._create_basic_session",
    ),
    "share_botocore_loader": ("botocore.loaders:create_loader",),
    "sanitize_each_user_agent_part_once": (
        "botocore.useragent:sanitize_user_agent_string_component",
    ),
    "analyse_overridden_dependencies_once": ("fastapi.dependencies.utils:get_dependant",),
    "serve_in_process_api_in_its_own_thread": ("a2wsgi.asgi:ASGIResponder.__call__",),
    "check_each_param_schema_once": ("jsonschema.validators:validate",),
    "append_only_file_emitter": (
        "datahub.emitter.synchronized_file_emitter:SynchronizedFileEmitter.emit",
    ),
    "dataflow_once_per_dag_run": (
        "datahub_airflow_plugin.airflow3.datahub_listener:DataHubListener.on_dag_start",
    ),
    "parse_each_sql_once": (
        "datahub.sql_parsing.sqlglot_lineage:create_lineage_sql_parsed_result",
    ),
}


def _code_of(target: str):
    import importlib
    import inspect

    module, qualname = target.split(":")
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return inspect.unwrap(found).__code__


def _observing(codes: set):
    """A profile function recording which of `codes` were entered (it changes nothing).

    Observing runs the interpreter's slow path (about 2x the CPU), so as little runs
    observed as the proof allows: only the thread that runs the DAG (it enters every
    patched function; the Execution API's threads build Cadwyn's routes, a task's
    largest cost, in functions it entered already), narrowed after the first task
    (`_narrowing`), and in no thread once every code was entered.
    """
    seen: set = set()

    def observe(frame, event, arg):
        if len(seen) == len(codes):
            sys.setprofile(None)
        elif event == "call" and frame.f_code in codes:
            seen.add(frame.f_code)

    return observe, seen


def _narrowing(observe, task_ids) -> tuple:
    """Two Airflow listeners (they replace nothing) narrowing `observe` once the first
    task has ended: by then every patched function was entered but the DataHub plugin's
    (its hooks return at once in a task whose lineage is off). From then on, only the
    hooks of the tasks in `task_ids` (lineage on) are observed: the first listener's
    hooks run before any other's, the second's after all. Observing less can only fail
    the test, never pass it wrongly."""
    from airflow.listeners import hookimpl

    ended: list = []

    def before(task_id: str, end: bool) -> None:
        if ended and task_id in task_ids:
            sys.setprofile(observe)  # it drops itself if every code was entered

    def after(task_id: str, end: bool) -> None:
        if end:
            ended.append(task_id)
        if ended:
            sys.setprofile(None)

    def listener(switch, **order):
        class Switch:
            @hookimpl(**order)
            def on_task_instance_running(self, previous_state, task_instance):
                switch(task_instance.task_id, end=False)

            @hookimpl(**order)
            def on_task_instance_success(self, previous_state, task_instance):
                switch(task_instance.task_id, end=True)

            @hookimpl(**order)
            def on_task_instance_failed(self, previous_state, task_instance, error):
                switch(task_instance.task_id, end=True)

        return Switch()

    return listener(before, tryfirst=True), listener(after, trylast=True)


def _lineage_only_for(task_ids) -> object:
    """An Airflow listener (the plugin API; it replaces nothing) that sets the DataHub
    plugin's kill switch, an env var the plugin reads at each hook, before the plugin's
    hooks of each task run: lineage on for `task_ids`, off for the others."""
    from airflow.listeners import hookimpl

    switch = f"AIRFLOW_VAR_{LINEAGE_SWITCH.upper()}"

    class LineageOnlyFor:
        @hookimpl(tryfirst=True)
        def on_task_instance_running(self, previous_state, task_instance):
            os.environ[switch] = LINEAGE_ON if task_instance.task_id in task_ids else LINEAGE_OFF

    return LineageOnlyFor()


def run_unpatched_lane() -> dict:
    """In the child process, in its pipeline's environment: the lane's night; as JSON."""
    from airflow.sdk.listener import get_listener_manager

    from devkit import patches
    from devkit.airflow.dagrun import interval_end, run_dag, stored_dags
    from devkit.airflow.settings import migrate_metadata_db

    migrate_metadata_db()  # a check of the copy's revision; a fresh worker's copy lacks tables
    # Only its own file stored: dag.test() then finds its version, where it would parse
    # and store every DAG of the folder.
    dag = stored_dags(DAGS_DIR, DAGS_DIR / f"{DAG_ID}.py")[DAG_ID]
    lane = dag.partial_subset(task_ids=sorted(RUNS), include_upstream=False)
    get_listener_manager().add_listener(_lineage_only_for(LINEAGE_FOR))
    codes = {target: _code_of(target) for targets in PATCHED_CODE.values() for target in targets}
    observe, seen = _observing(set(codes.values()))
    for listener in _narrowing(observe, LINEAGE_FOR):
        get_listener_manager().add_listener(listener)
    sys.setprofile(observe)
    try:
        result = run_dag(DAG_ID, interval_end(NIGHT), dag=lane)
    finally:
        sys.setprofile(None)
    return {
        "patches_applied": list(patches.apply_all()),
        "states": {t.task_id: t.state for t in result.tasks},
        "kinds": {t.task_id: type(t).__name__ for t in dag.tasks},
        "entered": sorted(t for t, code in codes.items() if code in seen),
    }


def _schema_made(pipeline) -> None:
    """create_schema's statement (its SQL file) through the Data API, as the MWAA role:
    what that task sends, checked against the role's policies and kept in its accesses."""
    from devkit.domains.house import MWAA_ROLE
    from devkit.iam.gate import enforcing
    from devkit.iam.recorder import LOG
    from devkit.paths import SQL_DIR

    mark = LOG.mark()
    try:
        with pipeline.environment(), enforcing(pipeline.policies()):
            data_api = pipeline.aws.client("redshift-data", principal=MWAA_ROLE)
            sent = data_api.execute_statement(
                WorkgroupName=pipeline.variables["redshift_workgroup"],
                Database=pipeline.variables["redshift_database"],
                Sql=(SQL_DIR / "tickit/ddl/create_schema.sql").read_text(),
            )
            done = data_api.describe_statement(Id=sent["Id"])
    finally:
        pipeline.accesses.extend(LOG.since(mark))
    assert done["Status"] == "FINISHED", done


def _run_in_a_child(pipeline, home: Path) -> dict:
    """run_unpatched_lane in a fresh process, as `pipeline.run` runs a DAG in this one:
    in its settings' environment, its roles' policies enforced and its accesses kept
    (the child's AWS calls reach this process's emulation)."""
    from devkit.emulator import patched_environ
    from devkit.iam.gate import enforcing
    from devkit.iam.recorder import LOG

    code = (
        "import json, sys; from tests.dags.test_unpatched_tickit_night import run_unpatched_lane;"
        "found = run_unpatched_lane(); sys.stdout.write('\\nRESULT ' + json.dumps(found))"
    )
    mark = LOG.mark()
    try:
        own_home = patched_environ(airflow_settings(home))
        with own_home, pipeline.environment(), enforcing(pipeline.policies()):
            env = {**os.environ, "DEVKIT_PATCHES": "off"}  # the pipeline's lineage switch on
            done = subprocess.run(
                [sys.executable, "-c", code],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
    finally:
        pipeline.accesses.extend(LOG.since(mark))
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.rsplit("\nRESULT ", 1)[-1])


@pytest.fixture(scope="module")
def unpatched(tmp_path_factory, local_aws, airflow_db):
    """The lane's night in a child process on this worker's emulation, on a stack of its
    own; what it left behind."""
    from devkit.domains import for_dags
    from devkit.domains.lineage import lineage_edges, lineage_file
    from devkit.domains.tickit import sample_data
    from devkit.emulator import patched_environ
    from devkit.run.local_up import new_stack_name, pipeline_on_stack
    from lakehouse.tickit import TABLES

    home = tmp_path_factory.mktemp("airflow-unpatched")
    # A copy of this worker's metadata DB: the child migrates it only if it must.
    shutil.copy(Path(os.environ["AIRFLOW_HOME"]) / "airflow.db", home / "airflow.db")
    with patched_environ({"AIRFLOW_HOME": str(home)}):  # the plugin's file: in the child's home
        domains = for_dags((DAG_ID,), also=("lineage",))
        pipeline = pipeline_on_stack(local_aws, new_stack_name(), domains=domains)
        lineage = lineage_file()
    pipeline.land(NIGHT)
    _schema_made(pipeline)
    found = _run_in_a_child(pipeline, home)
    (table,) = [t for t in TABLES if t.name == TABLE]
    landed = sample_data(pipeline.scale).rows_for_day(TABLE, NIGHT)
    merged = pipeline.query(f"SELECT {table.key_column} FROM tickit.{TABLE} ORDER BY 1")
    return {
        **found,
        "landed": sorted({row[0] for row in landed}),
        "merged": [row[0] for row in merged],
        "database": pipeline.names.database("dev"),
        "lineage": lineage_edges(lineage, pipeline.names.tag),
    }


def test_no_devkit_patch_was_applied(unpatched):
    assert unpatched["patches_applied"] == []


def test_every_task_of_the_lane_succeeds_unpatched(unpatched):
    states = unpatched["states"]
    assert set(states) == RUNS, sorted(states)
    assert set(states.values()) == {"success"}, states


def test_the_lane_runs_every_operator_kind_of_the_dag(unpatched):
    """One task of each kind: what the patches touch differs by operator (AWS hooks,
    sessions, deferrals, SQL checks), and no kind of the DAG goes unproven."""
    kinds = unpatched["kinds"]
    ran = {kinds[task_id] for task_id in unpatched["states"]}
    assert ran == set(kinds.values()), sorted(set(kinds.values()) - ran)


def test_the_target_holds_exactly_the_nights_rows(unpatched):
    assert unpatched["landed"], f"no sample rows for {TABLE}"
    assert unpatched["merged"] == unpatched["landed"]


def test_the_plugin_records_the_merge_lineage_unpatched(unpatched):
    db = unpatched["database"]
    edge = (f"redshift:{db}.tickit.stg_{TABLE}", f"redshift:{db}.tickit.{TABLE}")
    assert edge in unpatched["lineage"], unpatched["lineage"]


def test_the_run_passes_through_every_patched_function(unpatched):
    from devkit.patches import all_patches

    assert set(PATCHED_CODE) == {p.name for p in all_patches()}, (
        "every devkit patch needs an entry in PATCHED_CODE (tests/dags/"
        "test_unpatched_tickit_night.py): the function it replaces"
    )
    targets = {target for targets in PATCHED_CODE.values() for target in targets}
    assert set(unpatched["entered"]) == targets, sorted(targets - set(unpatched["entered"]))
