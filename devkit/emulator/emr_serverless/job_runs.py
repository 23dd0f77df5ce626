"""EMR Serverless job runs that really run: the job file in local Spark on the emulated S3.

moto marks every job run SUCCESS at once. Here StartJobRun queues the run for two
worker threads (two runs at a time, as on an application that runs jobs side by side),
which, in the process's one SparkSession from
devkit/emulator/emr_serverless/local_spark.py (one JVM start per run command):

1. fetches the entry point (`s3://<mwaa bucket>/dags/spark/jobs/<job>.py`) from moto's S3;
2. rewrites every `s3://bucket/key` argument to `<tmp>/bucket/key` and copies the objects
   under it from moto's S3 into that folder;
3. imports the job file and calls its `main(arguments)` in this process;
4. copies back what the job wrote under those folders and deletes the objects it removed.

The run goes SUBMITTED -> RUNNING -> SUCCESS, or FAILED with the job's error (S3 paths
restored) as stateDetails, or CANCELLED (CancelJobRun cancels its Spark job group).
GetJobRun waits up to `GET_WAIT_SECONDS` for a running run to finish before answering,
so the deferrable trigger sees the final state at its first poll and never sleeps its
production `waiter_delay` locally; a longer run is reported RUNNING, as on AWS.
"""

from __future__ import annotations

import importlib.util
import logging
import queue
import shutil
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from moto.emrserverless.models import EMRServerlessBackend, JobRun

from devkit.emulator.emr_serverless import local_spark
from devkit.emulator.s3 import store as s3store
from devkit.iam import emulated

GET_WAIT_SECONDS = 40.0  # below botocore's 60 s read timeout
log = logging.getLogger(__name__)

_original_start = EMRServerlessBackend.start_job_run
_original_get = EMRServerlessBackend.get_job_run
_original_cancel = EMRServerlessBackend.cancel_job_run
_original_list = EMRServerlessBackend.list_job_runs
_queue: "queue.Queue[JobRun]" = queue.Queue()
WORKERS = 2  # job runs at a time, as many as local[2] has cores
_workers: list[threading.Thread] = []
_guard = threading.Lock()


class LocalRun:
    """One job run's local folder and the S3 prefixes it mirrors."""

    def __init__(self, job_run: JobRun):
        self.job_run = job_run
        self.role = emulated.role_principal(job_run.execution_role_arn or "")
        self.via = f"EMR Serverless job run {job_run.id}"
        self.root = Path(tempfile.mkdtemp(prefix=f"emr-{job_run.id[:8]}-"))
        self.prefixes: dict[tuple[str, str], Path] = {}
        self.before: dict[Path, tuple[int, int]] = {}

    def local(self, uri: str) -> str:
        """Local path of an S3 URI; remembers the prefix to mirror."""
        bucket, key = s3store.split_uri(uri)
        path = self.root / bucket / key
        self.prefixes[(bucket, key.rstrip("/"))] = path
        return str(path) + ("/" if uri.endswith("/") else "")

    def rewrite(self, argument: str) -> str:
        return self.local(argument) if argument.startswith(("s3://", "s3a://")) else argument

    def download(self) -> None:
        for (bucket, prefix), _ in self.prefixes.items():
            # The job's file system lists each argument path (a directory: `prefix/`)...
            emulated.s3_listed(self.role, self.via, bucket, f"{prefix}/" if prefix else "")
            if not s3store.bucket_exists(bucket):
                continue
            for key in s3store.list_keys(bucket, prefix):
                if key != prefix and not key.startswith(prefix + "/") and prefix:
                    continue
                # ...and may read any object under it (inputs, and outputs it overwrites).
                emulated.s3_objects(self.role, self.via, "s3:GetObject", bucket, [key])
                target = self.root / bucket / key
                if key.endswith("/"):
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3store.get_bytes(bucket, key))
        self.before = self._snapshot()

    def _snapshot(self) -> dict[Path, tuple[int, int]]:
        return {
            path: (path.stat().st_size, path.stat().st_mtime_ns)
            for path in self.root.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        }

    def upload(self) -> None:
        """Mirror the job's writes and deletes under the argument prefixes back to S3."""
        after = self._snapshot()
        for (bucket, prefix), folder in self.prefixes.items():
            inside = [p for p in set(after) | set(self.before) if _under(p, folder)]
            for path in sorted(inside):
                key = path.relative_to(self.root / bucket).as_posix()
                if path not in after:
                    emulated.s3_objects(self.role, self.via, "s3:DeleteObject", bucket, [key])
                    s3store.delete_key(bucket, key)
                elif after[path] != self.before.get(path):
                    self._record_commit(bucket, prefix, key)
                    s3store.put_bytes(bucket, key, path.read_bytes())

    def _record_commit(self, bucket: str, prefix: str, key: str) -> None:
        """A file committed the Hadoop way on S3: written under the output's `_temporary/`,
        then renamed into place (a rename on S3 is a copy and a delete)."""
        if key.rsplit("/", 1)[-1].startswith("_"):  # _SUCCESS: written in place
            emulated.s3_objects(self.role, self.via, "s3:PutObject", bucket, [key])
            return
        relative = key[len(prefix) :].lstrip("/") if prefix else key
        temporary = f"{prefix}/_temporary/0/task_{self.job_run.id}/{relative}".lstrip("/")
        emulated.s3_objects(self.role, self.via, "s3:PutObject", bucket, [temporary])
        emulated.s3_renamed(self.role, self.via, bucket, temporary, key)

    def restore_uris(self, text: str) -> str:
        """Local paths in an error message back to the S3 URIs the job was given."""
        for root in (f"file:{self.root}/", f"file://{self.root}/", f"{self.root}/"):
            text = text.replace(root, "s3://")
        return text

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _record_logs(run: LocalRun) -> None:
    """The driver's logs, which EMR Serverless writes to the log URI as the job role."""
    overrides = run.job_run.configuration_overrides or {}
    monitoring = (overrides.get("monitoringConfiguration") or {}).get("s3MonitoringConfiguration")
    if not monitoring or not monitoring.get("logUri"):
        return
    bucket, prefix = s3store.split_uri(monitoring["logUri"])
    job = run.job_run
    key = f"{prefix.rstrip('/')}/applications/{job.application_id}/jobs/{job.id}/"
    key = key.lstrip("/") + "SPARK_DRIVER/stdout.gz"
    emulated.s3_objects(run.role, run.via, "s3:PutObject", bucket, [key])


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _load_job(entry_point: str, run: LocalRun):
    bucket, key = s3store.split_uri(entry_point)
    emulated.s3_objects(run.role, run.via, "s3:GetObject", bucket, [key])
    try:
        source = s3store.get_bytes(bucket, key)
    except Exception as error:
        raise FileNotFoundError(f"entry point {entry_point} not found: {error}") from None
    path = run.root / "_entrypoint" / key.rsplit("/", 1)[-1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source)
    name = f"devkit_emr_job_{run.job_run.id}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def execute(job_run: JobRun) -> None:
    """Run one job run to its final state (called on a worker thread)."""
    if job_run.state == "CANCELLED":
        return
    driver = (job_run.job_driver or {}).get("sparkSubmit") or {}
    run = LocalRun(job_run)
    job_run.state = "RUNNING"
    job_run.devkit_states.append("RUNNING")
    try:
        arguments = [run.rewrite(a) for a in driver.get("entryPointArguments") or []]
        job_run.devkit_local_arguments = arguments
        module = _load_job(driver["entryPoint"], run)
        run.download()
        spark = local_spark.session()
        spark.sparkContext.setJobGroup(job_run.id, job_run.name or job_run.id, True)
        try:
            module.main(arguments)
        finally:
            spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        if job_run.state == "CANCELLED":
            return
        run.upload()
        _record_logs(run)
        job_run.state, job_run.state_details = "SUCCESS", ""
    except BaseException as error:  # noqa: B036 - a job's SystemExit (argparse) fails the run
        if job_run.state == "CANCELLED":
            return
        message = run.restore_uris(f"{type(error).__name__}: {error}".strip())
        first = message.splitlines()[0] if message else type(error).__name__
        job_run.state, job_run.state_details = "FAILED", first[:2000]
        job_run.devkit_traceback = run.restore_uris(traceback.format_exc())
        log.info("EMR Serverless job run %s failed: %s", job_run.id, first)
    finally:
        job_run.devkit_states.append(job_run.state)
        job_run.devkit_done.set()
        run.cleanup()


def _work() -> None:
    while True:
        job_run = _queue.get()
        try:
            execute(job_run)
        finally:
            job_run.devkit_done.set()
            _queue.task_done()


def start_job_run(self: EMRServerlessBackend, **kwargs) -> JobRun:
    job_run = _original_start(self, **kwargs)
    job_run.state, job_run.state_details = "SUBMITTED", ""
    job_run.devkit_states = ["SUBMITTED"]
    job_run.devkit_done = threading.Event()
    _ensure_worker()
    _queue.put(job_run)
    return job_run


def get_job_run(self: EMRServerlessBackend, application_id: str, job_run_id: str) -> JobRun:
    job_run = _original_get(self, application_id, job_run_id)
    done = getattr(job_run, "devkit_done", None)
    if done is not None:
        done.wait(GET_WAIT_SECONDS)
    return job_run


def cancel_job_run(self: EMRServerlessBackend, application_id: str, job_run_id: str):
    job_run = _original_get(self, application_id, job_run_id)
    if job_run.state in ("SUCCESS", "FAILED", "CANCELLED"):
        return application_id, job_run_id  # as on AWS: cancelling a finished run changes nothing
    result = _original_cancel(self, application_id, job_run_id)
    job_run.state_details = "Job run cancelled by CancelJobRun"
    local_spark.cancel_job_group(job_run_id)
    return result


def list_job_runs(self: EMRServerlessBackend, application_id: str, *args, **kwargs):
    """An application with no run yet lists none (moto: ResourceNotFoundException)."""
    if application_id in self.applications and application_id not in self.job_runs:
        return []
    return _original_list(self, application_id, *args, **kwargs)


def _ensure_worker() -> None:
    with _guard:
        _workers[:] = [worker for worker in _workers if worker.is_alive()]
        while len(_workers) < WORKERS:
            worker = threading.Thread(target=_work, name="emr-serverless-runs", daemon=True)
            worker.start()
            _workers.append(worker)
