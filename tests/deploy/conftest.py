"""Fixtures: a moto S3 server, a fake MWAA endpoint, fake repositories, write counters."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from deploy.aws import Clients
from deploy.config import Settings
from devkit.emulator.moto_server import QuickStoppingMotoServer
from devkit.emulator.standins import fake_mwaa
from devkit.iam import recorder as iam_recorder
from devkit.iam.check import check
from devkit.iam.policies import policies_for, stack_resources

REGION = "us-east-1"
# moto's dummy credentials: the set-up key (not recorded) for the tests' own clients...
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# ...and the deploy role's key for the tool's clients: their calls are checked (docs/iam_check.md).
DEPLOY_CREDENTIALS = {**CREDENTIALS, "aws_access_key_id": iam_recorder.access_key("DeployRole")}

REPO_FILES: dict[str, str] = {
    "dags/.airflowignore": "sql/\nspark/\nrecipes/\nconstraints/\n",
    "dags/redshift_demo__create_tables.py": "# dag 1\n",
    "dags/redshift_demo__initial_load.py": "# dag 2\n",
    "dags/data_lake__raw.py": "# dag 3\n",
    "dags/__pycache__/data_lake__raw.cpython-311.pyc": "junk",
    "dags/.DS_Store": "junk",
    "dags/tests/test_local_only.py": "def test(): pass\n",
    "sql/tickit/create_tables.sql": "create table users (userid int);\n",
    "sql/tickit/merge_users.sql": "delete from users using stage_users;\n",
    "sql/tickit/unload_sales.sql": "unload ('select 1') to 's3://x/';\n",
    "plugins/lakehouse/__init__.py": '"""Lakehouse helpers."""\n',
    "plugins/lakehouse/redshift.py": "def table_name(x):\n    return x\n",
    "plugins/lakehouse/__pycache__/redshift.cpython-311.pyc": "junk",
    "plugins/lakehouse/tests/test_redshift.py": "def test(): pass\n",
    "requirements/requirements.txt": (
        '--constraint "/usr/local/airflow/dags/constraints/constraints-3.2.1-python3.12.txt"\n'
        "apache-airflow-providers-amazon\n"
    ),
    "requirements/mwaa/constraints-3.2.1-python3.12.txt": "boto3==1.42.84\n",
    "requirements/mwaa/README.md": "# vendored\n",
}
CONSTRAINTS_KEY = "dags/constraints/constraints-3.2.1-python3.12.txt"
DAG_SIDE_KEYS = {
    "dags/.airflowignore",
    "dags/redshift_demo__create_tables.py",
    "dags/redshift_demo__initial_load.py",
    "dags/data_lake__raw.py",
    "dags/sql/tickit/create_tables.sql",
    "dags/sql/tickit/merge_users.sql",
    "dags/sql/tickit/unload_sales.sql",
    CONSTRAINTS_KEY,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def endpoints():
    """moto S3 in server mode plus the fake MWAA endpoint, shared by all tests."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request
    port = _free_port()
    moto = QuickStoppingMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    fake = fake_mwaa.FakeMwaa()
    server, mwaa_url = fake_mwaa.start(fake)
    yield {"s3": f"http://127.0.0.1:{port}", "mwaa": mwaa_url, "fake": fake}
    server.shutdown()
    moto.stop()


@dataclass
class Recorder:
    """S3 writes and MWAA updates seen by the clients, by botocore event hooks."""

    puts: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # "PutObject <key>" / "UpdateEnvironment"
    fail_on_put: int | None = None  # raise on this (1-based) PutObject of the run

    def reset(self) -> None:
        self.puts.clear()
        self.deletes.clear()
        self.copies.clear()
        self.updates.clear()
        self.calls.clear()

    def on_put(self, params, **_):
        if self.fail_on_put is not None and len(self.puts) + 1 == self.fail_on_put:
            raise ClientError(
                {"Error": {"Code": "InternalError", "Message": "injected"}}, "PutObject"
            )
        self.puts.append(params["Key"])
        self.calls.append(f"PutObject {params['Key']}")

    def on_delete(self, params, **_):
        self.deletes.append(params["Key"])

    def on_delete_many(self, params, **_):
        self.deletes.extend(o["Key"] for o in params["Delete"]["Objects"])

    def on_copy(self, params, **_):
        self.copies.append(params["Key"])

    def on_update(self, params, **_):
        self.updates.append(dict(params))
        self.calls.append("UpdateEnvironment")

    @property
    def writes(self) -> int:
        return len(self.puts) + len(self.deletes) + len(self.copies)


@dataclass
class World:
    """One isolated bucket + environment, with clients that record their writes."""

    bucket: str
    environment: str
    clients: Clients
    raw_s3: object
    fake: fake_mwaa.FakeMwaa
    recorder: Recorder
    endpoints: dict
    access_mark: int = 0  # where this world's AWS accesses start in devkit/iam's log

    def settings(self, repo: Path, **overrides) -> Settings:
        values = dict(
            repo=repo,
            bucket=self.bucket,
            environment=self.environment,
            region=REGION,
            poll_interval=0,
            timeout=30,
            confirm_timeout=0,  # the tests of MWAA's confirmation ask for it
        )
        values.update(overrides)
        return Settings(**values)

    def keys(self) -> set[str]:
        pages = self.raw_s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {o["Key"] for p in pages for o in p.get("Contents", [])}


def _client(service: str, url: str, credentials: dict = CREDENTIALS, **config):
    retry = {"mode": "adaptive", "max_attempts": 3}
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        config=Config(retries=retry, **config),
        **credentials,
    )


def _record_mwaa_call(params, model, **_):
    """The fake MWAA endpoint is not moto: its calls are recorded from the client side."""
    iam_recorder.record_call("DeployRole", "mwaa", model.name, params, REGION)


@pytest.fixture
def world(endpoints) -> World:
    """A fresh versioned bucket and AVAILABLE environment with recording clients."""
    return make_world(endpoints)


def make_world(endpoints) -> World:
    """One more world (a second environment); check its calls with `deploy_role_check`."""
    name = f"mwaa-{uuid.uuid4().hex[:10]}"
    raw_s3 = _client("s3", endpoints["s3"])
    raw_s3.create_bucket(Bucket=name)
    raw_s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    endpoints["fake"].add(name, name)
    s3 = _client("s3", endpoints["s3"], DEPLOY_CREDENTIALS)
    mwaa = _client("mwaa", endpoints["mwaa"], DEPLOY_CREDENTIALS, inject_host_prefix=False)
    mwaa.meta.events.register("before-parameter-build.mwaa", _record_mwaa_call)
    mark = iam_recorder.LOG.mark()
    recorder = Recorder()
    events = s3.meta.events
    events.register("before-parameter-build.s3.PutObject", recorder.on_put)
    events.register("before-parameter-build.s3.DeleteObject", recorder.on_delete)
    events.register("before-parameter-build.s3.DeleteObjects", recorder.on_delete_many)
    events.register("before-parameter-build.s3.CopyObject", recorder.on_copy)
    mwaa.meta.events.register("before-parameter-build.mwaa.UpdateEnvironment", recorder.on_update)
    return World(
        name, name, Clients(s3, mwaa), raw_s3, endpoints["fake"], recorder, endpoints, mark
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """The deploy tool's calls in a test, against the deploy role's policy: a denial fails
    the test, naming the action, the resource and the template resource to change."""
    result = yield
    world = item.funcargs.get("world")
    if isinstance(world, World):
        deploy_role_check(world).raise_for_problems()
    return result


def deploy_role_policies(world: World) -> dict:
    """The deploy role's policy in infra/pipelines.yaml, resolved to this world's names."""
    resources = stack_resources(
        iam_recorder.ACCOUNT_ID,
        REGION,
        world.environment,  # the template names the environment after ProjectName
        names={"MwaaBucket": world.bucket, "MwaaEnvironment": world.environment},
        ids={},
    )
    return policies_for(resources, principals=("DeployRole",))


def deploy_role_check(world: World, policies: dict | None = None):
    """The deploy role's calls since the world was made, against its (or given) policies."""
    accesses = [a for a in iam_recorder.LOG.since(world.access_mark) if a.principal == "DeployRole"]
    return check(accesses, policies or deploy_role_policies(world))


def write_tree(root: Path, files: dict[str, str], mtime: float | None = None) -> Path:
    """Create files (in the given order); optionally force one mtime on all of them."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    return root


@pytest.fixture
def repo(tmp_path) -> Path:
    """A small fake repository (independent of the real dags/ being finished)."""
    return write_tree(tmp_path / "repo", REPO_FILES)


def fresh_copy(src: Path, dst: Path, mtime: float) -> Path:
    """What a new CI checkout looks like: same content, all-new mtimes."""
    shutil.copytree(src, dst)
    for path in dst.rglob("*"):
        os.utime(path, (mtime, mtime))
    return dst


def passed(_repo: Path, _command: str) -> tuple[bool, str]:
    """Injected validation step that always passes."""
    return True, "1 passed"


@pytest.fixture(autouse=True, scope="session")
def moto_as_the_emulation_extends_it():
    """The emulation's moto extensions (devkit/emulator/moto_extensions.py): stack outputs
    after a change set, bucket versioning from CloudFormation, the resource types the real
    template uses, the IAM recorder. LocalAws installs them too; the deploy tests' moto
    server needs them."""
    from devkit.emulator import moto_extensions

    with moto_extensions.installed():
        yield
