"""The warm DataHub CLI (devkit/datahub/zygote.py) behind the emulated ECS RunTask.

A RunTask of the ingestion image goes through the process's zygote (its log
names the forked child), and a failing recipe fails the task as the cold CLI
would: non-zero exit code, its error in the CloudWatch stream. A request the
zygote must refuse runs cold with a one-line warning; stopping leaves no process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
import yaml

from devkit.datahub import cli_venv, zygote
from devkit.domains.datahub import INGESTION_IMAGE
from devkit.emulator.ecs import ingestion as ecs_ingestion
from devkit.paths import REPO as ROOT

VALIDATOR = str(ROOT / "devkit" / "datahub" / "validate.py")


def _run_task(aws, command: str, output_dir: Path) -> tuple[int, list[str]]:
    """RunTask of the ingestion image with this shell command: (exit code, log lines)."""
    ecs, name = aws.client("ecs"), f"zygote-{uuid.uuid4().hex[:8]}"
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.43.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=name)
    environment = {"DATAHUB_LOCAL_OUTPUT_DIR": str(output_dir), "AWS_REGION": aws.region}
    ecs.register_task_definition(
        family=name,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="4096",
        containerDefinitions=[
            {
                "name": "datahub-ingestion",
                "image": INGESTION_IMAGE,
                "cpu": 1024,
                "memory": 4096,
                "entryPoint": ["/bin/sh", "-c"],
                "command": [command],
                "environment": [{"name": k, "value": v} for k, v in environment.items()],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": name, "awslogs-stream-prefix": "datahub"},
                },
            }
        ],
    )
    (task,) = ecs.run_task(
        cluster=name,
        taskDefinition=name,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}
        },
    )["tasks"]
    (task,) = ecs.describe_tasks(cluster=name, tasks=[task["taskArn"]])["tasks"]
    stream = f"datahub/datahub-ingestion/{task['taskArn'].rsplit('/', 1)[1]}"
    events = aws.client("logs").get_log_events(logGroupName=name, logStreamName=stream)
    return task["containers"][0]["exitCode"], [e["message"] for e in events["events"]]


def test_failing_recipe_fails_the_task_through_the_warm_cli(local_aws, tmp_path):
    recipe = yaml.safe_load((ROOT / "recipes" / "glue.yml").read_text())
    recipe["source"]["config"]["database_patern"] = recipe["source"]["config"].pop(
        "database_pattern"
    )
    recipe["transformers"] = []
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(recipe))
    command = f"cp {tmp_path}/bad.yml . && exec datahub ingest -c bad.yml --strict-warnings"

    code, lines = _run_task(local_aws, command, tmp_path)

    log = "\n".join(lines)
    served = ecs_ingestion.warm_up().log("datahub").read_text()  # or why it could not serve
    assert "warm DataHub CLI not used" not in log, served
    assert "ingest -c .local-bad.yml --strict-warnings -> 1" in served, served
    assert code == 1, log
    assert "Failed to configure the source (glue)" in log and "database_patern" in log, log


def test_the_commands_python_runs_warm_as_a_new_interpreter_would(local_aws, tmp_path):
    """`python -c` and `python FILE` (the recipes' fetch) go through the interpreter's
    zygote, with python's own argv and sys.path[0], the output and exit status theirs."""
    (tmp_path / "show.py").write_text(
        "import os, sys\nprint('file', sys.argv, sys.path[0] == os.path.dirname(__file__))\n"
    )
    show = "import sys; print('code', sys.argv, repr(sys.path[0]), __name__); sys.exit(3)"
    command = f'python {tmp_path}/show.py a && python -c "{show}" b c'

    code, lines = _run_task(local_aws, command, tmp_path)

    served = ecs_ingestion.warm_up().log(zygote.PYTHON).read_text()
    assert f"{tmp_path}/show.py a -> 0" in served and " -c " in served, served
    assert re.search(r"/show\.py a -> 0 \(\d+\.\d\d CPU s\)\n", served), served
    assert code == 3, lines
    assert lines == [
        "file ['%s/show.py', 'a'] True" % tmp_path,
        "code ['-c', 'b', 'c'] '' __main__",
    ]


@pytest.mark.parametrize(
    ("variable", "value"), [("DATAHUB_DEBUG", "true"), ("SSL_CERT_FILE", "/no/such/ca.pem")]
)
def test_refused_request_runs_cold_with_a_warning(tmp_path, variable, value):
    """DATAHUB_DEBUG is read at import time, SSL_CERT_FILE when an import builds an SSL
    context (aiohttp's): a child would not see it, so it runs cold."""
    zygotes = ecs_ingestion.warm_up()
    env = {**ecs_ingestion.base_environment(), zygote.SOCKET_ENV: zygotes.wait(), variable: value}
    proc = subprocess.run(
        [str(cli_venv.python()), zygote.__file__, VALIDATOR],
        cwd=tmp_path,  # no recipes/ here: the validator reports none, quickly
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    first, *rest = proc.stdout.splitlines()
    assert first == zygote.WARNING.format(f"environment differs in {variable}")
    assert proc.returncode == 0 and rest[-1].startswith('{"recipes": []'), proc.stdout


# Two sessions' clients, as DataHub's AWS sources make them: the model files each parses
# (botocore.loaders), and a digest of the models they end up with.
BOTOCORE_MODELS = """
import hashlib, json, boto3, botocore.loaders as loaders
parsed, load_file = [], loaders.JSONFileLoader.load_file
loaders.JSONFileLoader.load_file = lambda self, path: parsed.append(path) or load_file(self, path)
clients = [boto3.session.Session(region_name="eu-west-1").client(s) for s in ("s3", "glue", "s3")]
operations = zip(clients, ("list_objects_v2", "get_tables"))
pages = [c.get_paginator(op)._pagination_cfg for c, op in operations]
by_clients = list(parsed)
models = [c.meta.service_model._service_description for c in clients] + pages
for c in clients:
    name, version = c.meta.service_model.service_name, c.meta.service_model.api_version
    models.append(c._loader.load_service_model(name, "endpoint-rule-set-1", api_version=version))
    for data in ("endpoints", "partitions", "_retry", "sdk-default-configuration"):
        models.append(c._loader.load_data(data))
digest = hashlib.sha256(json.dumps(models, sort_keys=True).encode()).hexdigest()
print(json.dumps({"parsed": by_clients, "digest": digest}))
"""


def test_children_reuse_the_botocore_models_the_zygote_loaded():
    """A warm child parses no botocore model file (the zygote did, once) but each session's
    endpoints data, and ends up with the same data as a fresh interpreter, which parses
    every file per session."""
    python = str(cli_venv.python())
    env = {**ecs_ingestion.base_environment(), zygote.SOCKET_ENV: ecs_ingestion.warm_up().wait()}

    def run(argv: list[str]) -> dict:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout.splitlines()[-1])

    warm = run([python, zygote.__file__, python, "-c", BOTOCORE_MODELS])
    cold = run([python, "-c", BOTOCORE_MODELS])

    assert len(warm["parsed"]) == 3, warm["parsed"]  # one per session
    assert all(path.endswith("/botocore/data/endpoints") for path in warm["parsed"]), warm
    assert sum("/s3/" in path for path in cold["parsed"]) >= 4, cold["parsed"]  # both sessions
    assert warm["digest"] == cold["digest"]


# What an exit does that anyone could see: a file left open, a thread still running,
# an atexit function, the exit code; and an object alive at exit, whose __del__ only a
# module teardown runs.
EXIT = """
import atexit, sys, threading, time
left_open = open(sys.argv[1], "w")
left_open.write("written, never closed")
atexit.register(print, "atexit ran")
threading.Thread(target=lambda: (time.sleep(0.2), print("thread done", flush=True))).start()
class Kept:
    def __del__(self):
        print("torn down", flush=True)
kept = Kept()
sys.exit(7)
"""


def test_a_warm_child_exits_as_a_new_interpreter_would_but_for_the_module_teardown(tmp_path):
    (tmp_path / "exit.py").write_text(EXIT)
    python = str(cli_venv.python())
    env = {**ecs_ingestion.base_environment(), zygote.SOCKET_ENV: ecs_ingestion.warm_up().wait()}
    ended = {}
    for how, argv in {"warm": [python, zygote.__file__, python], "cold": [python]}.items():
        out = tmp_path / f"{how}.txt"
        proc = subprocess.run(
            [*argv, str(tmp_path / "exit.py"), str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        ended[how] = (proc.returncode, proc.stdout.splitlines(), out.read_text())
    served = ecs_ingestion.warm_up().log(zygote.PYTHON).read_text()
    assert "exit.py " in served and "-> 7 (" in served, served
    assert ended["warm"] == (7, ["thread done", "atexit ran"], "written, never closed"), ended
    assert ended["cold"] == (7, ["thread done", "atexit ran", "torn down"], ended["warm"][2])


# Run in the CLI's zygote (a script named `datahub` is served there): each date, time and
# datetime cast tableschema's inference tries, on values it must accept or refuse, against
# the original cast; and how many strptime calls each needed.
TABLESCHEMA_CASTS = """
import _strptime, json, warnings
from tableschema import types
from tableschema.schema import _INFER_DATE_FORMATS

calls, strptime = [0], _strptime._strptime_datetime
_strptime._strptime_datetime = lambda *a: calls.__setitem__(0, calls[0] + 1) or strptime(*a)
values = ["2019-01-02", "2019-01-02T03:04:05Z", "2019-01-02t03:04:05z", "03:04:05", "3:4:5",
    "2019-02-30", "2019-13-01", "2019-01-02 ", " 2019-01-02", " 2/1/2019", "2/1/19",
    "20190102", "02.01.2019", "2019/01/02", "\u0662\u0660\u0661\u0669-01-02", "", "12",
    "1.5", "9a3f4c1e-0b7d-4c1a-9f1e-2d3c4b5a6f70", "Sinusitis (disorder)", "24:00:00"]
casts = [(types.cast_date, f) for f in ["default", "any", "fmt:%Y-%m-%d", *_INFER_DATE_FORMATS]]
casts += [(types.cast_time, f) for f in ("default", "%H:%M")]
casts += [(types.cast_datetime, f) for f in ("default", "%Y-%m-%dT%H:%M:%S%z", "%d %b %Y")]

def answers(use_original):
    found, calls[0] = [], 0
    for cast, fmt in casts:
        for value in values:
            with warnings.catch_warnings(record=True) as warned:
                warnings.simplefilter("always")
                result = (cast.__wrapped__ if use_original else cast)(fmt, value)
            found.append([fmt, value, repr(result), [str(w.message) for w in warned]])
    return found, calls[0]

(checked, fewer), (original, every) = answers(False), answers(True)
print(json.dumps({"same": checked == original, "strptime": [fewer, every], "cases": len(checked)}))
"""


def test_warm_cli_refuses_impossible_dates_before_strptime_with_the_same_answers(tmp_path):
    """The CLI's children answer tableschema's casts as the original does (results and
    warnings, in any locale-free format or not), calling strptime far less often."""
    script = tmp_path / "datahub"  # served by the CLI's zygote, as the real `datahub`
    script.write_text(TABLESCHEMA_CASTS)
    env = {**ecs_ingestion.base_environment(), zygote.SOCKET_ENV: ecs_ingestion.warm_up().wait()}
    proc = subprocess.run(
        [str(cli_venv.python()), zygote.__file__, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warm DataHub CLI not used" not in proc.stdout, proc.stdout
    found = json.loads(proc.stdout.splitlines()[-1])
    assert found["same"] and found["cases"] == 18 * 21, found
    fewer, every = found["strptime"]
    assert 0 < fewer < every / 3, found


def test_the_shims_load_only_the_callers_half():
    """Each `datahub` and `python` a container runs is a fresh interpreter loading the
    caller's half: none of the server's imports, which cost about as much as its start."""
    for shim in ("datahub", zygote.PYTHON):
        text = (ecs_ingestion._shim_dir() / shim).read_text()
        assert zygote.CALLER in text and zygote.__file__ not in text, text
    code = "import runpy, sys; runpy.run_path(sys.argv[1]); print(' '.join(sys.modules))"
    proc = subprocess.run(
        [str(cli_venv.python()), "-c", code, zygote.CALLER], capture_output=True, text=True
    )
    loaded = set(proc.stdout.split())
    assert "socket" in loaded, proc.stderr
    assert not loaded & {"logging", "subprocess", "threading", "tempfile", "shutil", "pathlib"}


def _sessions(roots: set[int]) -> set[int]:
    """The processes of these sessions (a zygote's tree keeps its root's)."""
    found = set()
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[3]) in roots:
            found.add(int(name))
    return found


def test_stop_leaves_no_process():
    zygotes = zygote.Zygotes(cli_venv.ensure, ecs_ingestion.base_environment())
    folder = Path(zygotes.wait())
    assert set(zygotes.pids) == set(zygote.PRELOAD)
    roots = set(zygotes.pids.values())
    assert len(roots) == len(zygote.PRELOAD) - len(zygote.SHARED) + 1  # SHARED: one tree
    assert zygotes.pids["datahub"] == zygotes.pids["validate.py"]
    deadline = time.monotonic() + 120
    while len(_sessions(roots)) <= len(roots) and time.monotonic() < deadline:
        time.sleep(0.2)  # until the validator's server is forked, after the shared imports
    pids = _sessions(roots)
    assert len(pids) == len(roots) + 1, pids
    zygotes.stop()
    assert not folder.exists()
    deadline = time.monotonic() + 10  # the forked server, an orphan, is reaped by init
    while _running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pids)


def _running(pids: set[int]) -> set[int]:
    """Those of `pids` still alive (a zombie is not: it only waits to be reaped)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def test_the_shim_folder_goes_when_its_process_exits_not_when_a_forked_child_does():
    code = textwrap.dedent("""
        import os
        from devkit.emulator.ecs import ingestion

        folder = ingestion._shim_dir()
        child = os.fork()
        if child == 0:
            raise SystemExit(0)  # a normal exit: atexit runs in the child too
        os.waitpid(child, 0)
        print(folder, *sorted(path.name for path in folder.iterdir()))
        """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    folder, *shims = done.stdout.split()
    assert sorted(shims) == sorted(["datahub", zygote.PYTHON]), done.stderr[-2000:]
    assert not Path(folder).exists()
