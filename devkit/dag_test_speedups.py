"""Local-only patches that make dag.test() cheaper; they change no behaviour.

dag.test() pays start-up costs per task that a real worker pays once per
process (or that MWAA's workers hide behind many cores). Each patch below says
what it saves. They touch private APIs on purpose: if Airflow, the provider,
botocore, pydantic or jsonschema move, `apply` skips that patch and local runs
are merely slower. Nothing here is deployed to MWAA.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading


@functools.cache
def apply() -> None:
    """Every patch, once per process (called before every local DagRun)."""
    for patch in (
        build_in_process_api_once,
        analyse_overridden_dependencies_once,
        share_botocore_loader,
        share_boto3_sessions_per_thread,
        find_aws_hook_callers_cheaply,
        reuse_json_type_adapter,
        check_each_param_schema_once,
    ):
        try:
            patch()
        except (ImportError, AttributeError) as moved:
            logging.getLogger(__name__).warning("%s skipped: %s", patch.__name__, moved)


def build_in_process_api_once() -> None:
    """Build dag.test()'s in-process Execution API once per process, for one API version.

    Airflow 3.2 creates (and initialises) a new FastAPI app for every task
    dag.test() runs; the app holds no per-task state, so one is enough. Cadwyn
    then generates routes and schemas for each of the nine API versions at the
    first request (~4 s of CPU); the in-process client speaks only the newest,
    so the app keeps that one (and the one before, which its changes migrate
    from). Private API: if it moves, runs are merely slower.
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


def analyse_overridden_dependencies_once() -> None:
    """Analyse each FastAPI dependency once, not at every request of the in-process API.

    The in-process Execution API overrides its four auth dependencies. While an
    app has any override, FastAPI's `solve_dependencies` re-analyses every
    sub-dependency of every request (signature, pydantic fields): about a tenth
    of a no-op task's time. The analysis depends only on its arguments, so it is
    kept. Calls with other arguments (a route's first analysis) are left alone.
    """
    from fastapi.dependencies import utils

    analyse = utils.get_dependant

    @functools.cache
    def analysed(path, call, name, scopes, scope):
        scopes = list(scopes)
        return analyse(path=path, call=call, name=name, parent_oauth_scopes=scopes, scope=scope)

    @functools.wraps(analyse)
    def get_dependant(*, path, call, name=None, parent_oauth_scopes=None, scope=None, **other):
        if not other:
            try:
                return analysed(path, call, name, tuple(parent_oauth_scopes or ()), scope)
            except TypeError:  # an unhashable dependency: analysed every time, as before
                pass
        return analyse(
            path=path,
            call=call,
            name=name,
            parent_oauth_scopes=parent_oauth_scopes,
            scope=scope,
            **other,
        )

    get_dependant.analysed = analysed
    utils.get_dependant = get_dependant


def share_botocore_loader() -> None:
    """One botocore data loader for every boto3 session in the process.

    Every hook builds a new boto3 session, and each session's loader re-reads
    the endpoint tables and service models (megabytes of JSON) and rescans the
    data folders; locally that was a third of a DAG run's CPU. botocore treats
    the loaded data as read-only, so one caching loader can serve all sessions.
    """
    from botocore import loaders, session

    session.create_loader = functools.cache(loaders.create_loader)


def find_aws_hook_callers_cheaply() -> None:
    """Find the operator behind an AWS hook by walking frames, not `inspect.stack()`.

    The amazon provider names the calling operator in its user agent. It does so
    with `inspect.stack()`, which reads source context for every frame and scans
    sys.modules for each: under dag.test() that was a quarter of a local run's
    CPU. Walking the frames finds the same class. Private API: if it moves,
    runs are merely slower.
    """
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

    def find_operator_class_name(target_function_name: str) -> str | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == target_function_name and "self" in frame.f_locals:
                return type(frame.f_locals["self"]).__name__
            frame = frame.f_back
        return None

    AwsGenericHook._find_operator_class_name = staticmethod(find_operator_class_name)
    AwsGenericHook._find_executor_class_name = staticmethod(lambda: None)


def share_boto3_sessions_per_thread() -> None:
    """One boto3 session per thread and set of session arguments.

    Every AWS hook builds a new boto3 session (~15 ms: botocore registers some
    hundred event handlers each time), several per task. A session carries no
    per-hook state once built (clients are created from it, each with its own
    copy of the handlers), so hooks on one thread with the same credentials and
    region can share it. Per thread, because botocore sessions are not
    thread-safe.
    """
    from airflow.providers.amazon.aws.hooks.base_aws import BaseSessionFactory

    original = BaseSessionFactory._create_basic_session
    sessions: dict[tuple, object] = {}

    def create_basic_session(self, session_kwargs):
        try:
            key = (threading.get_ident(), frozenset(session_kwargs.items()))
        except TypeError:  # an unhashable argument: build one as the provider does
            return original(self, session_kwargs)
        if key not in sessions:
            sessions[key] = original(self, session_kwargs)
        return sessions[key]

    BaseSessionFactory._create_basic_session = create_basic_session


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


def check_each_param_schema_once() -> None:
    """Check a Param's JSON schema against the meta-schema once, not at every resolve.

    `Param.resolve` calls `jsonschema.validate`, which re-checks the schema itself
    each time (~1.2 ms) before validating the value; tasks resolve every DAG and
    task param several times, ~1 s of a 46-task TICKIT night. Values are still
    validated every time, and a schema is still checked (and rejected) the first
    time it is seen.
    """
    import json

    import jsonschema

    validate = jsonschema.validate
    checked: set[str] = set()

    def validate_checking_schema_once(instance, schema, cls=None, *args, **kwargs):
        try:
            key = json.dumps(schema, sort_keys=True)
        except (TypeError, ValueError):
            return validate(instance, schema, cls, *args, **kwargs)
        if key not in checked:
            validate(instance, schema, cls, *args, **kwargs)  # checks the schema too
            checked.add(key)
            return None
        cls = cls or jsonschema.validators.validator_for(schema)
        error = jsonschema.exceptions.best_match(cls(schema, *args, **kwargs).iter_errors(instance))
        if error is not None:
            raise error
        return None

    jsonschema.validate = validate_checking_schema_once
