"""ECS RunTask that really runs the DataHub ingestion container's command, without Docker.

moto's RunTask only records a task. Here a RunTask of a task definition whose
container image is the DataHub ingestion image runs the container's command
(entry point + command override, its environment from the task definition)
with `/bin/sh` on this machine, the DataHub CLI coming from `.venv-datahub`,
against the emulated AWS (`AWS_ENDPOINT_URL*`, moto's dummy credentials). The
container's output goes to the CloudWatch Logs stream the task definition's
`awslogs` options name, so EcsRunTaskOperator reads it back as on AWS, and
DescribeTasks reports STOPPED with the command's exit code. RunTask returns at
once and the container runs in the background, so tasks started together run
side by side; DescribeTasks waits up to `DESCRIBE_WAIT_SECONDS` for a running
container to exit before it answers, so the trigger sees the end at its first
poll and never sleeps its production `waiter_delay` locally.

Two local substitutions, both printed in the container's log: a `datahub` shim
first on PATH replaces the recipe's `datahub-rest` sink by a `file` sink (there
is no DataHub server), and recipes whose source cannot reach the emulation
(Redshift and Athena: SQLAlchemy over their wire protocols) are validated with
devkit/datahub/validate.py instead of run.

Both run in warm DataHub processes (devkit/datahub/zygote.py), started in the
background once per process (`warm_up`: when the datahub domain provisions, or
at the first RunTask), so a container pays for its recipe, not for importing
DataHub; so does the command's `python` (the image's), which fetches the recipes
with boto3 first. Without them the shims run cold, as before, warning in one line.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from devkit.datahub import cli_venv, zygote

if TYPE_CHECKING:
    from moto.ecs.models import EC2ContainerServiceBackend

INGESTION_IMAGE_REPOSITORY = "acryldata/datahub-ingestion"
VALIDATE_ONLY_SOURCES = ("redshift", "athena")
DESCRIBE_WAIT_SECONDS = 40.0  # below botocore's 60 s read timeout
_exited: dict[str, threading.Event] = {}  # task ARN and id -> set when its container exits
_zygotes: zygote.Zygotes | None = None
_lock = threading.Lock()  # guards the warm processes
# Where the containers' AWS SDK goes and the key it signs with: given by `serve`.
_emulation: dict[str, str] = {"endpoint_url": "", "key": ""}

SHIM = '''#!{python}
"""datahub, as the local ECS emulation runs it: file sink; validate-only sources; warm CLI."""
import os, runpy, sys
from pathlib import Path

import yaml

REAL = {real!r}
VALIDATOR = {validator!r}
run = runpy.run_path({caller!r})["run"]  # in its warm process, else exec'd here
args = sys.argv[1:]
if args[:1] == ["ingest"] and "-c" in args:
    at = args.index("-c") + 1
    recipe = Path(args[at])
    raw = yaml.safe_load(recipe.read_text())
    source = raw["source"]["type"]
    if source in {validate_only!r}:
        print(f"[local emulation] {{recipe}}: source {{source}} cannot run against the "
              "emulation; validated, not run", flush=True)
        os.environ["DATAHUB_RECIPES_DIR"] = "."
        run(VALIDATOR, [str(recipe)])
    stem = recipe.parent.name if recipe.stem == "recipe" else recipe.stem
    out = Path(os.environ["DATAHUB_LOCAL_OUTPUT_DIR"]) / f"{{stem}}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    raw["sink"] = {{"type": "file", "config": {{"filename": str(out)}}}}
    local = recipe.with_name(".local-" + recipe.name)
    local.write_text(yaml.safe_dump(raw, sort_keys=False))
    args[at] = str(local)
    print(f"[local emulation] {{recipe}}: sink datahub-rest replaced by file {{out}}", flush=True)
run(REAL, args)
'''

PYTHON_SHIM = '''#!{python}
"""python, as the local ECS emulation runs it: `-c CODE` and `FILE` in a warm process."""
import os, runpy, sys

args = sys.argv[1:]
if args[:1] == ["-c"] and len(args) > 1 or args and os.path.isfile(args[0]):
    runpy.run_path({caller!r})["run"]({python!r}, args)  # exits; execs it here if it cannot
os.execv({python!r}, [{python!r}, *args])
'''


def serve(endpoint_url: str, key: str) -> None:
    """Containers call the emulation at `endpoint_url`, signing with `key` (or with their
    task role's own key). RunTask and DescribeTasks are replaced by moto_extensions.py."""
    _emulation.update(endpoint_url=endpoint_url, key=key)


# moto 5.2's awsvpc RunTask reads an attribute its ENI model lacks.
eni_private_dns_name = property(
    lambda eni: "ip-%s.ec2.internal" % eni.private_ip_address.replace(".", "-")
)


def warm_up() -> zygote.Zygotes:
    """Start this process's warm DataHub processes in the background, once (see `stop`)."""
    global _zygotes
    with _lock:
        if _zygotes is None:
            _zygotes = zygote.Zygotes(_interpreter, base_environment())
        return _zygotes


def stop() -> None:
    """Kill the warm DataHub processes and what they run (by LocalAws.stop, or at exit)."""
    global _zygotes
    with _lock:
        if _zygotes is not None:
            _zygotes.stop()
            _zygotes = None


atexit.register(stop)  # also without LocalAws (tests/devkit/datahub/test_recipes.py)


def _interpreter() -> Path:
    """The python that the `datahub` console script names (built first if need be)."""
    cli_venv.ensure()
    return Path(cli_venv.datahub_cli().read_text().split("\n", 1)[0].removeprefix("#!"))


def running_ingestion(moto_run_task):
    """RunTask that also runs a DataHub ingestion container's command (moto only records it)."""

    def run_task(self: EC2ContainerServiceBackend, *args, **kwargs):
        tasks = moto_run_task(self, *args, **kwargs)
        _start_ingestion(self, tasks)
        return tasks

    return run_task


def _start_ingestion(self: EC2ContainerServiceBackend, tasks) -> None:
    for task in tasks:
        definition = self.describe_task_definition(task.task_definition_arn)
        container = definition.container_definitions[0]
        if str(container.get("image", "")).startswith(INGESTION_IMAGE_REPOSITORY):
            exited = _exited[task.task_arn] = _exited[task.id] = threading.Event()
            task.last_status = "RUNNING"
            threading.Thread(
                target=_run_in_background,
                args=(self, task, definition, container, exited),
                name=f"ecs-task-{task.id}",
                daemon=True,
            ).start()


def waiting_for_exit(moto_describe_tasks):
    """DescribeTasks that waits (up to DESCRIBE_WAIT_SECONDS) for a running container."""

    def describe_tasks(self: EC2ContainerServiceBackend, cluster_str: str, tasks: list[str]):
        for task in tasks:
            if task in _exited:
                _exited[task].wait(DESCRIBE_WAIT_SECONDS)
        return moto_describe_tasks(self, cluster_str, tasks)

    return describe_tasks


def _run_in_background(backend, task, definition, container: dict, exited) -> None:
    try:
        _run_container(backend, task, definition, container)
    except PermissionError as error:  # the awslogs driver's role may not write the logs
        _stop(task, 1, f"ResourceInitializationError: {error}")
    except Exception as error:  # the emulation broke, not the container: say so, stop the task
        _stop(task, 1, f"local emulation could not run the container: {error}")
    finally:
        exited.set()


def _command(task, container: dict) -> list[str]:
    command = container.get("command") or []
    for override in task.overrides.get("containerOverrides", []):
        if override.get("name") == container.get("name") and override.get("command"):
            command = override["command"]
    return [*(container.get("entryPoint") or []), *command]


def task_principal(task, definition) -> str:
    """The task role the container's AWS SDK signs as (an override wins, as on ECS).

    A task definition without one (ad-hoc tests) gets the set-up key ("" here).
    """
    from devkit.iam import emulated

    role = task.overrides.get("taskRoleArn") or getattr(definition, "task_role_arn", None)
    return emulated.role_principal(role) if role else ""


def _environment(task, container: dict, principal: str = "") -> dict[str, str]:
    env = {pair["name"]: pair["value"] for pair in container.get("environment") or []}
    for override in task.overrides.get("containerOverrides", []):
        if override.get("name") == container.get("name"):
            env.update({p["name"]: p["value"] for p in override.get("environment") or []})
    url, fake = _emulation["endpoint_url"], _emulation["key"]
    return {
        **env,
        "AWS_ENDPOINT_URL": url,
        "AWS_ENDPOINT_URL_GLUE": url,
        "AWS_ENDPOINT_URL_S3": url,
        # The task role's own key: its calls are checked against its policies.
        "AWS_ACCESS_KEY_ID": principal or fake,
        "AWS_SECRET_ACCESS_KEY": fake,
        "AWS_DEFAULT_REGION": env.get("AWS_REGION", "us-east-1"),
        **base_environment(),
        zygote.SOCKET_ENV: warm_up().wait(),
    }


def base_environment() -> dict[str, str]:
    """What every container has, whatever its task: the warm CLI imports DataHub with it."""
    venv_bin = cli_venv.python().parent
    return {
        "DATAHUB_TELEMETRY_ENABLED": "false",
        "PATH": f"{_shim_dir()}:{venv_bin}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
    }


@functools.cache
def _shim_dir() -> Path:
    """A folder holding the `datahub` shim, written once per process, removed at its exit
    (one a process: a run or a test worker used to leave one behind in the temp folder)."""
    folder = Path(tempfile.mkdtemp(prefix="devkit-datahub-shim-"))
    atexit.register(_remove_in, os.getpid(), folder)
    python = cli_venv.python()
    shims = {
        "datahub": SHIM.format(
            python=python,
            real=str(cli_venv.datahub_cli()),
            validator=str(Path(zygote.__file__).with_name("validate.py")),
            caller=zygote.CALLER,
            validate_only=VALIDATE_ONLY_SOURCES,
        ),
        zygote.PYTHON: PYTHON_SHIM.format(python=str(python), caller=zygote.CALLER),
    }
    for name, text in shims.items():
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    return folder


def _remove_in(owner: int, folder: Path) -> None:
    """Remove `folder` at the exit of the process that made it, not of a forked child."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _run_container(backend, task, definition, container: dict) -> None:
    # waits for the warm CLI, which ensures the venv
    env = _environment(task, container, task_principal(task, definition))
    cli_venv.ensure()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="devkit-ecs-") as workdir:
        proc = subprocess.run(
            _command(task, container),
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=900,
        )
    _write_logs(backend, task, container, proc.stdout, started)
    _stop(task, proc.returncode, "Essential container in task exited")


def _stop(task, exit_code: int, reason: str) -> None:
    task.status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    for running in task.containers:
        running.last_status = "STOPPED"
        running.exitCode = exit_code


def definition_of(backend, task):
    return backend.describe_task_definition(task.task_definition_arn)


def _record_log_writes(task, definition, group: str, stream_prefix: str) -> None:
    """The awslogs driver writes as the task execution role, not the task role."""
    from devkit.iam import emulated

    role = getattr(definition, "execution_role_arn", None)  # moto sets it only when given
    principal = emulated.role_principal(role) if role else "(ECS task without execution role)"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    emulated.logs(principal, "ECS awslogs driver", actions, group, f"{stream_prefix}/{task.id}")


def _write_logs(backend, task, container: dict, output: str, started: float) -> None:
    """Put the container's output where the awslogs driver would: group / prefix/name/task-id."""
    from moto.logs.models import logs_backends

    options = (container.get("logConfiguration") or {}).get("options") or {}
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if not group or not prefix:
        return
    logs = logs_backends[backend.account_id][backend.region_name]
    _record_log_writes(task, definition_of(backend, task), group, f"{prefix}/{container['name']}")
    if group not in logs.groups:
        logs.create_log_group(group, {})
    stream = f"{prefix}/{container['name']}/{task.id}"
    logs.create_log_stream(group, stream)
    millis = int(started * 1000)
    events = [
        {"timestamp": millis + n, "message": line}
        for n, line in enumerate(output.splitlines() or ["(no output)"])
    ]
    for first in range(0, len(events), 5000):
        logs.put_log_events(group, stream, events[first : first + 5000])
