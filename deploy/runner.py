"""The three commands as functions: plan (dry run), deploy, status.

Deploy order matters: validate, check the bucket and environment, upload the
DAG-side files requirements.txt reads on install (MWAA's constraints), upload
plugins/requirements/startup and update the environment (new DAGs may need
them), upload the other DAG-side files, delete last, write the manifest. Any failure
stops the run before the deletes, and a rerun converges because every
decision compares content hashes and versions, never what a run "did".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from deploy import environment as env_mod
from deploy import manifest as manifest_mod
from deploy import mwaa_confirm, promotion, s3sync
from deploy.aws import Clients
from deploy.config import Settings
from deploy.errors import DeployError
from deploy.plan import Change, Plan, compute, delete_guard
from deploy.shipment import REQUIREMENTS, collect_local, prerequisite_keys
from deploy.sources import ARTIFACT_KEYS, LocalObject
from deploy.validation import run_validation

Say = Callable[[str], None]
Validator = Callable[[Path, str], "tuple[bool, str]"]


@dataclass
class State:
    """Working tree, bucket, manifest and environment, read once per run."""

    local: dict[str, LocalObject]
    remote: dict[str, s3sync.RemoteObject]
    manifest: dict | None
    versioning: str
    env: dict | None


@dataclass
class Summary:
    """What a deploy did, for the final line and for tests."""

    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    environment_update: dict[str, str] = field(default_factory=dict)
    manifest_written: bool = False
    seconds: float = 0.0


@dataclass
class Deployment:
    """One deploy in progress: what it was told and read, and what it has written so far."""

    settings: Settings
    clients: Clients
    say: Say
    sleep: Callable[[float], None]
    state: State
    summary: Summary
    written: dict[str, s3sync.RemoteObject] = field(default_factory=dict)


def local_objects(settings: Settings, say: Say) -> dict[str, LocalObject]:
    """What the bucket should hold: the tree's files and build, or (`--from`) exactly what
    the environment this one is promoted from deployed (deploy/promotion.py)."""
    if settings.bundle is None:
        return collect_local(settings.repo)
    if not settings.promote_from:
        raise DeployError(
            f"--from needs an environment promoted from another (--env {settings.env})"
        )
    commit, _ = manifest_mod.git_commit(settings.repo)
    document, objects = promotion.load(settings.bundle, settings.promote_from, commit)
    say(f"promoting {promotion.summary(document)}: {len(objects)} objects, none rebuilt")
    return objects


def read_state(settings: Settings, clients: Clients, say: Say, require_versioning: bool) -> State:
    """Read everything a decision needs; a deploy (not a plan) refuses an unversioned bucket."""
    local = local_objects(settings, say)
    versioning = s3sync.versioning_status(clients.s3, settings.bucket)
    if require_versioning:
        s3sync.require_versioning(clients.s3, settings.bucket)
    elif versioning != "Enabled":
        say(f"warning: bucket versioning is {versioning}; deploy will refuse until Enabled")
    document = s3sync.read_manifest(clients.s3, settings.bucket)
    known = manifest_mod.entries(document)
    remote = s3sync.remote_state(clients.s3, settings.bucket, local, known)
    env = None
    if settings.environment:
        env = env_mod.describe(clients.mwaa, settings.environment)
    return State(local, remote, document, versioning, env)


def bucket_versions(
    state: State, written: dict[str, s3sync.RemoteObject] | None = None
) -> dict[str, str | None]:
    """Artifact key -> the object version the bucket holds (after this run's `written`)."""
    versions: dict[str, str | None] = {}
    for key in state.local:
        if key in ARTIFACT_KEYS:
            remote = (written or {}).get(key) or state.remote.get(key)
            versions[key] = remote.version_id if remote else None
    return versions


def environment_update(state: State, plan: Plan) -> env_mod.EnvironmentUpdate:
    """Before any write: the update the plan's artifact uploads and the bucket would need."""
    uploading = {c.key for c in plan.artifact_uploads}
    return env_mod.decide_update(state.env, bucket_versions(state), uploading)


def run_plan(settings: Settings, clients: Clients, say: Say) -> tuple[Plan, dict[str, str]]:
    """Dry run: compute and return the plan; writes nothing."""
    state = read_state(settings, clients, say, require_versioning=False)
    plan = compute(state.local, state.remote, prerequisite_keys(state.local))
    return plan, environment_update(state, plan).reasons


def run_deploy(
    settings: Settings,
    clients: Clients,
    say: Say,
    validate: Validator = run_validation,
    sleep: Callable[[float], None] = time.sleep,
) -> Summary:
    """Validate, then converge bucket and environment onto the working tree."""
    started = time.monotonic()
    _refuse_without_a_target(settings)
    validation = _validate(settings, say, validate)
    state = read_state(settings, clients, say, require_versioning=True)
    assert state.env is not None
    env_mod.check_ready(state.env, settings.bucket, say)
    plan = _checked_plan(settings, state, say)
    run = Deployment(settings, clients, say, sleep, state, Summary(unchanged=len(plan.unchanged)))
    since = datetime.now(timezone.utc)
    # MWAA reads the constraints from dags/ while it installs the new requirements.txt.
    _upload(run, plan.prerequisite_uploads)
    _upload(run, plan.artifact_uploads)
    _update_environment(run)
    _upload(run, plan.uploads)
    run.summary.deleted = [c.key for c in plan.deletes]
    s3sync.delete(clients.s3, settings.bucket, run.summary.deleted, say)
    run.summary.manifest_written = _write_manifest(run, validation)
    _confirm(run, since)
    run.summary.seconds = time.monotonic() - started
    return run.summary


def _refuse_without_a_target(settings: Settings) -> None:
    """No environment to update, or a promoted environment given the tree instead of --from."""
    if not settings.environment:
        raise DeployError("no environment: set MWAA_ENVIRONMENT or pass --environment")
    if settings.promote_from and settings.bundle is None:
        raise DeployError(
            f"environment {settings.env} is promoted from {settings.promote_from}: it deploys "
            f"only what {settings.promote_from} deployed. Run `python -m deploy export --env "
            f"{settings.promote_from} --out DIR` with {settings.promote_from}'s role, then "
            "pass --from DIR"
        )


def _confirm(run: Deployment, since: datetime) -> None:
    """MWAA parsed what was shipped, without import errors (deploy/mwaa_confirm.py)."""
    settings = run.settings
    if settings.confirm_timeout <= 0:
        run.say("warning: MWAA's parse of the DAGs not confirmed (--confirm-timeout 0)")
        return
    expected = mwaa_confirm.shipped_dag_ids(run.state.local)
    fresh = expected & mwaa_confirm.shipped_dag_ids(run.summary.uploaded)
    mwaa_confirm.confirm(
        run.clients.mwaa,
        settings.environment,
        expected,
        fresh,
        since,
        say=run.say,
        poll_interval=min(settings.poll_interval, 15.0),
        timeout=settings.confirm_timeout,
        sleep=run.sleep,
    )


def _checked_plan(settings: Settings, state: State, say: Say) -> Plan:
    plan = compute(state.local, state.remote, prerequisite_keys(state.local))
    refusal = delete_guard(plan, settings.max_delete_share, settings.force_delete)
    if refusal:
        raise DeployError(refusal)
    _warn_prerequisite_changed_in_place(plan, say)
    uploads = plan.prerequisite_uploads + plan.artifact_uploads + plan.uploads
    say(
        f"plan: {len(uploads)} to upload, "
        f"{len(plan.deletes)} to delete, {len(plan.unchanged)} unchanged"
    )
    return plan


def _warn_prerequisite_changed_in_place(plan: Plan, say: Say) -> None:
    """Workers MWAA starts later would install with the new file while the others keep the old."""
    if any(c.key == REQUIREMENTS.key for c in plan.artifact_uploads):
        return
    for change in plan.prerequisite_uploads:
        if change.reason == "changed":
            say(
                f"warning: {change.key} changed but {REQUIREMENTS.key} did not, so MWAA installs "
                "nothing now; give the file a new name (its version) and point "
                f"{REQUIREMENTS.local} at it"
            )


def _upload(run: Deployment, changes: list[Change]) -> None:
    for change in changes:
        local = run.state.local[change.key]
        run.written[change.key] = s3sync.upload(run.clients.s3, run.settings.bucket, local)
        run.summary.uploaded.append(change.key)
        run.say(f"  uploaded  {change.key} ({change.reason})")


def _update_environment(run: Deployment) -> None:
    """UpdateEnvironment when the environment runs other artifact versions than the bucket."""
    state, settings = run.state, run.settings
    params = env_mod.decide_update(state.env, bucket_versions(state, run.written)).params
    if not params:
        return
    env_mod.update_and_wait(
        run.clients.mwaa,
        state.env,
        params,
        poll_interval=settings.poll_interval,
        timeout=settings.timeout,
        say=run.say,
        worker_replacement=settings.worker_replacement,
        sleep=run.sleep,
    )
    run.summary.environment_update = params


def _write_manifest(run: Deployment, validation: str) -> bool:
    objects = _manifest_objects(run.state, run.written)
    if objects == manifest_mod.entries(run.state.manifest):
        return False
    settings = run.settings
    document = manifest_mod.build(
        settings.repo,
        objects,
        environment=settings.environment,
        validation=validation,
        env=settings.env,
        promoted_from=settings.promote_from if settings.bundle else None,
    )
    s3sync.write_manifest(run.clients.s3, settings.bucket, document)
    return True


def _validate(settings: Settings, say: Say, validate: Validator) -> str:
    if settings.skip_validation:
        say("WARNING: --skip-validation: DAG validation NOT run (recorded in the manifest)")
        return "skipped"
    say(f"validating DAGs ({settings.validate_command}) ...")
    passed, tail = validate(settings.repo, settings.validate_command)
    if not passed:
        raise DeployError(f"DAG validation failed; nothing was deployed.\n{tail}")
    return "passed"


def _manifest_objects(
    state: State, written: dict[str, s3sync.RemoteObject]
) -> dict[str, dict[str, str]]:
    objects: dict[str, dict[str, str]] = {}
    for key, local in state.local.items():
        remote = written.get(key) or state.remote[key]
        entry = {"sha256": local.sha256, "etag": remote.etag}
        if remote.version_id and key in ARTIFACT_KEYS:
            entry["version_id"] = remote.version_id
        objects[key] = entry
    return objects


@dataclass(frozen=True)
class Drift:
    """One difference between working tree, bucket, manifest and environment."""

    key: str
    kind: str
    detail: str


def run_status(settings: Settings, clients: Clients, say: Say) -> list[Drift]:
    """Everything that differs; an empty list means the bucket matches the repo."""
    state = read_state(settings, clients, say, require_versioning=False)
    known = manifest_mod.entries(state.manifest)
    drift: list[Drift] = []
    for key in sorted(set(state.local) | set(state.remote) | set(known)):
        item = _drift_for(key, state.local.get(key), state.remote.get(key), known.get(key))
        if item:
            drift.append(item)
    update = environment_update(state, compute(state.local, state.remote))
    for key, reason in update.reasons.items():
        if reason != env_mod.NEW_CONTENT:
            drift.append(Drift(key, "environment-stale", reason))
    return drift


def _drift_for(
    key: str,
    local: LocalObject | None,
    remote: s3sync.RemoteObject | None,
    known: dict[str, str] | None,
) -> Drift | None:
    if local and not remote:
        return Drift(key, "missing", "in the repo, not in the bucket")
    if remote and not local:
        where = "deployed earlier, removed from the repo" if known else "not written by deploy"
        return Drift(key, "extra", f"in the bucket, not in the repo ({where})")
    if not local and not remote:
        return Drift(key, "missing", "in the manifest only: deleted from the bucket out of band")
    assert local and remote
    if local.sha256 == remote.sha256:
        return None
    if known and known.get("etag") == remote.etag:
        return Drift(key, "changed", "changed in the repo since the last deploy")
    return Drift(key, "changed-out-of-band", "the bucket copy was changed outside deploy")
