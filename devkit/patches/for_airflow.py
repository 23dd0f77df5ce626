"""Patches of Airflow (core and task SDK) internals that dag.test() runs through.

dag.test() pays start-up costs per task that a real worker pays once per process,
and runs deferred tasks' triggers one at a time. Nothing here changes what a task
runs, reads, writes or emits; if the targets move, runs are slower, not different.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from pathlib import Path

from devkit.patches import Patch

AIRFLOW = {"apache-airflow-core": "3.2.1", "apache-airflow-task-sdk": "1.2.1"}


def build_in_process_api_once() -> None:
    """Build dag.test()'s in-process Execution API once per process, for one API version.

    Airflow 3.2 creates (and initialises) a new FastAPI app for every task
    dag.test() runs; the app holds no per-task state, so one is enough. Cadwyn
    then generates routes and schemas for each of the nine API versions at the
    first request (~4 s of CPU); the in-process client speaks only the newest,
    so the app keeps that one (and the one before, which its changes migrate
    from).
    """
    from airflow.sdk.execution_time import supervisor

    original = supervisor.in_process_api_server
    _newest_execution_api_version_only()

    @functools.cache
    def in_process_api_server():
        api = original()
        _without_per_request_middleware(api.app)
        return api

    supervisor.in_process_api_server = in_process_api_server


def _without_per_request_middleware(app) -> None:
    """Drop the token-reissue and correlation-id middlewares from the in-process app.

    The in-process client sends no token to reissue, and its error messages fall
    back to the correlation id of its own request. Each `BaseHTTPMiddleware` still
    costs a task group and two streams per request, three requests a task: about
    a tenth of a no-op task's time. Starlette builds its middleware stack at the
    first request, so the list can still change here.
    """
    from airflow.api_fastapi.execution_api import app as execution_api

    skipped = {
        getattr(execution_api, name, None)
        for name in ("JWTReissueMiddleware", "CorrelationIdMiddleware")
    }
    if getattr(app, "middleware_stack", None) is None:
        app.user_middleware = [m for m in app.user_middleware if m.cls not in skipped]


def _newest_execution_api_version_only() -> None:
    from airflow.api_fastapi.execution_api import versions
    from airflow.sdk.api.datamodels._generated import API_VERSION
    from cadwyn import Version, VersionBundle

    full = versions.bundle
    if len(full.versions) < 3 or full.versions[0].value != API_VERSION:
        return
    newest, previous = full.versions[0], full.versions[1]
    for change in newest.changes:
        change._bound_version_bundle = None  # cadwyn binds a change to one bundle
    versions.bundle = VersionBundle(full.head_version, newest, Version(previous.value))


def reuse_json_type_adapter() -> None:
    """Build pydantic's `TypeAdapter(JsonValue)` once, not per rendered field.

    The task runner validates every rendered template field with a new
    `TypeAdapter(JsonValue)`, ~3.5 ms each (pydantic rebuilds the schema), so
    ~20-30 ms for a task with a handful of templated fields. The adapter is
    stateless, so one serves every call.
    """
    from airflow.sdk.execution_time import task_runner
    from pydantic import JsonValue, TypeAdapter

    json_value = TypeAdapter(JsonValue)

    def type_adapter(type_, *args, **kwargs):
        if type_ is JsonValue and not args and not kwargs:
            return json_value
        return TypeAdapter(type_, *args, **kwargs)

    task_runner.TypeAdapter = type_adapter


# What `initialize_secrets_backends` reads: these options (file, env, `conf.set`), the
# per-key `..._KWARG__` variables beside them, and the AWS variables a client reads.
SECRETS_OPTIONS = (
    ("secrets", "backend"),
    ("secrets", "backend_kwargs"),
    ("workers", "secrets_backend"),
    ("workers", "secrets_backend_kwargs"),
)
SECRETS_ENV = ("AIRFLOW__SECRETS__", "AIRFLOW__WORKERS__", "AWS_")


def build_secrets_backends_once_per_setting() -> None:
    """Build the task SDK's secrets backends once per configuration, not per look-up.

    Every Connection, Variable and config look-up of a task rebuilds the backends
    (`ensure_secrets_loaded` even twice) and so creates a new Secrets Manager
    client at its first secret: ~750 builds and ~250 clients for two TICKIT
    nights. The backends hold no per-look-up state (each secret is still fetched
    from Secrets Manager, with the same call); only their options and the AWS
    environment shape them, so those are the key: each pipeline's stack and role
    gets its own. A task's own variables (AIRFLOW_CTX_*) are not read.
    """
    from airflow.sdk import configuration

    original = configuration.initialize_secrets_backends
    server_default = configuration._SERVER_DEFAULT_SECRETS_SEARCH_PATH

    @functools.lru_cache(maxsize=32)
    def built(default_backends: tuple, _setting: tuple) -> tuple:
        return tuple(original(default_backends=list(default_backends)))

    def initialize_secrets_backends(default_backends=server_default):
        return list(built(tuple(default_backends), _secrets_setting(configuration.conf)))

    configuration.initialize_secrets_backends = initialize_secrets_backends


def _secrets_setting(conf) -> tuple:
    options = tuple(conf.get(section, key, fallback=None) for section, key in SECRETS_OPTIONS)
    return options, _secrets_environ()


def _secrets_environ() -> tuple:
    """The SECRETS_ENV variables, as a key. Built at every look-up (hundreds a TICKIT
    night), so from the environment's bytes: decoding all of it each time cost more."""
    import os

    raw = getattr(os.environ, "_data", None) if os.name == "posix" else None  # bytes: bytes
    if raw is None:
        return tuple(sorted(i for i in os.environ.items() if i[0].startswith(SECRETS_ENV)))
    prefixes = tuple(os.fsencode(prefix) for prefix in SECRETS_ENV)
    return tuple(sorted(item for item in raw.items() if item[0].startswith(prefixes)))


def sqlite_commits_without_fsync() -> None:
    """Let Airflow's SQLite metadata DB commit without waiting for the disk each time.

    Airflow puts its SQLite DB in WAL mode and leaves `synchronous` at FULL, so each
    of the ~270 commits of a TICKIT night (dag.test()'s state changes, every Execution
    API call) waits for an fsync: 3-4 ms here, more on a busy disk. In WAL mode NORMAL
    syncs at checkpoints only: each commit is still atomic and seen at once by every
    connection and process; only a power cut could lose the last commits of this
    throw-away DB. Airflow's hook for new engines is wrapped too, so the engine that
    `reconfigure_orm` builds after a migration gets it; an engine on another database
    than SQLite is left alone.
    """
    from airflow import settings

    original = settings.setup_event_handlers
    if getattr(original, "_devkit_without_fsync", False):
        return

    def setup_event_handlers(engine):
        original(engine)
        _commit_without_fsync(engine)

    setup_event_handlers._devkit_without_fsync = True
    settings.setup_event_handlers = setup_event_handlers
    if settings.engine is not None:
        _commit_without_fsync(settings.engine)


def _commit_without_fsync(engine) -> None:
    """`synchronous=NORMAL` on each of `engine`'s SQLite connections, pooled ones included
    (a pragma is per connection: set at a connection's first checkout, then kept)."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    def on_checkout(dbapi_connection, record, _proxy) -> None:
        if not record.info.get("devkit_without_fsync"):
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            record.info["devkit_without_fsync"] = True

    event.listen(engine, "checkout", on_checkout)


@contextlib.contextmanager
def task_logs_and_deferrals(run_dir: Path, logs: dict[str, Path], total: int, progress):
    """Wrap dag.test()'s per-task runner for one DagRun: one log file per task, progress
    after each, and deferred tasks resumed the way a triggerer would (`_DeferralsTogether`).

    Without it (DEVKIT_PATCHES=off) every task logs into the run's own log and each
    trigger runs inline as soon as its task defers: same tasks, same results, slower.
    """
    from airflow.sdk.definitions import dag as dag_module

    from devkit.output import log_records_to, output_to

    original = dag_module._run_task
    deferrals = _DeferralsTogether(original)
    done: set[str] = set()

    def run_task(*, ti, task, run_triggerer=False):
        path = run_dir / f"task_id={ti.task_id}" / f"attempt={ti.try_number}.log"
        if not deferrals.resuming(ti):
            path.unlink(missing_ok=True)  # a new local run of the same night starts a new log
        logs[ti.task_id] = path
        if progress:
            progress(len(done), total, ti.task_id)
        try:
            with output_to(path), log_records_to(path):
                return deferrals.run(ti, task)
        finally:
            if ti.state != "deferred":
                done.add(ti.task_id)
            if progress:
                progress(len(done), total, ti.task_id)
            deferrals.resume_all_if_last(ti, logs)

    dag_module._run_task = run_task
    try:
        yield
    finally:
        dag_module._run_task = original


class _DeferralsTogether:
    """Defer tasks the way the scheduler and triggerer do, not one at a time.

    dag.test() runs a deferred task's trigger inline, at once: eleven Spark jobs
    that the scheduler would start together run one after another, each waited
    for before the next is submitted. Here a task that defers is left deferred
    while dag.test() starts the other tasks that are ready; after the last of
    them, the triggers run (the jobs they wait for already running on the
    emulation) and their tasks are marked scheduled with the trigger's event, as
    a triggerer does, for dag.test()'s next loop to resume. Private API (the
    body of `_run_task`'s deferral branch).
    """

    def __init__(self, run_task):
        self._run_task = run_task
        self._waiting: list[tuple] = []  # (ti, message)
        self._resumed: set[str] = set()

    def resuming(self, ti) -> bool:
        return ti.id in self._resumed

    def run(self, ti, task):
        from airflow.sdk.execution_time.comms import DeferTask

        result = self._run_task(ti=ti, task=task, run_triggerer=False)
        if result is not None and ti.state == "deferred" and isinstance(result.msg, DeferTask):
            self._waiting.append((ti, result.msg))
        return result

    def resume_all_if_last(self, ti, logs: dict[str, Path]) -> None:
        """After the last task dag.test() started in this loop, run the triggers."""
        from devkit.output import log_records_to, output_to

        if not self._waiting or _others_scheduled(ti):
            return
        waiting, self._waiting = self._waiting, []
        for deferred, message in waiting:
            path = logs[deferred.task_id]
            with output_to(path), log_records_to(path):
                self._resume(deferred, message)

    def _resume(self, ti, message) -> None:
        from uuid import UUID

        from airflow.sdk._shared.module_loading import import_string
        from airflow.sdk.api.datamodels._generated import TaskInstance as TaskInstanceSDK
        from airflow.sdk.definitions.dag import _run_inline_trigger
        from airflow.sdk.serde import deserialize, serialize
        from airflow.utils.session import create_session
        from airflow.utils.state import TaskInstanceState

        self._resumed.add(ti.id)
        try:
            ti.set_state(TaskInstanceState.QUEUED)  # the API resumes only queued tasks
            trigger = import_string(message.classpath)(**deserialize(message.trigger_kwargs))
            sdk_ti = TaskInstanceSDK(
                id=UUID(str(ti.id)),
                task_id=ti.task_id,
                dag_id=ti.dag_id,
                run_id=ti.run_id,
                try_number=ti.try_number,
                map_index=ti.map_index,
                dag_version_id=UUID(str(ti.dag_version_id)),
            )
            event = _run_inline_trigger(trigger, sdk_ti)
        except Exception:
            logging.getLogger(__name__).exception("trigger of %s failed", ti.task_id)
            ti.set_state(TaskInstanceState.FAILED)
            return
        ti.next_method = message.next_method
        ti.next_kwargs = {"event": serialize(event.payload)} if event else message.next_kwargs
        with create_session() as session:
            ti.state = TaskInstanceState.SCHEDULED
            session.add(ti)


def _others_scheduled(ti) -> bool:
    """Whether dag.test() still has tasks of this run to start in its current loop."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        return bool(
            session.query(TaskInstance.id)
            .filter(
                TaskInstance.dag_id == ti.dag_id,
                TaskInstance.run_id == ti.run_id,
                TaskInstance.state == TaskInstanceState.SCHEDULED,
                TaskInstance.id != ti.id,
            )
            .first()
        )


PATCHES = (
    Patch(
        "build_in_process_api_once",
        {**AIRFLOW, "cadwyn": "6.2.0", "starlette": "0.52.1"},
        build_in_process_api_once,
    ),
    Patch("reuse_json_type_adapter", {**AIRFLOW, "pydantic": "2.13.1"}, reuse_json_type_adapter),
    Patch(
        "build_secrets_backends_once_per_setting",
        {**AIRFLOW, "apache-airflow-providers-amazon": "9.25.0"},
        build_secrets_backends_once_per_setting,
    ),
    Patch(
        "sqlite_commits_without_fsync",
        {**AIRFLOW, "sqlalchemy": "2.0.49"},
        sqlite_commits_without_fsync,
    ),
    Patch("task_logs_and_deferrals", AIRFLOW, task_logs_and_deferrals, scoped=True),
)
