"""S3 writes and UpdateEnvironment calls: this deploy tool vs. an mtime sync.

Runs against a local moto S3 server and the test suite's fake MWAA endpoint,
using the real repository tree (dags/, sql/, spark/, recipes/, plugins/,
requirements/, startup/) copied into a temporary directory. Prints figures;
asserts nothing.

    .venv/bin/python bench/deploy_writes.py

The comparison tool decides like `aws s3 sync`: upload when the object is
missing, its size differs, or the local mtime is newer than the object's
LastModified; no deletes. plugins.zip is rebuilt on each run, as a CI job
would, and UpdateEnvironment is called whenever plugins.zip or
requirements.txt was uploaded, which is the kindest version of that pipeline.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from deploy import environment as env_mod
from deploy import runner
from deploy.aws import Clients
from deploy.config import Settings
from deploy.plugins_zip import build_plugins_zip
from deploy.sources import ARTIFACTS, MANIFEST_KEY, SOURCES, collect_dag_side
from devkit.emulator.standins import fake_mwaa
from devkit.paths import REPO

COPIED = [s.folder for s in SOURCES] + ["plugins", "requirements", "startup"]
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


class Counter:
    """Counts S3 writes and UpdateEnvironment calls through botocore event hooks."""

    def __init__(self, clients: Clients) -> None:
        self.writes = 0
        self.manifest_writes = 0
        self.updates = 0
        for op in ("PutObject", "DeleteObject", "DeleteObjects", "CopyObject"):
            clients.s3.meta.events.register(f"before-parameter-build.s3.{op}", self._write)
        clients.mwaa.meta.events.register(
            "before-parameter-build.mwaa.UpdateEnvironment", self._update
        )

    def _write(self, params, **_):
        if params.get("Key") == MANIFEST_KEY:
            self.manifest_writes += 1
            return
        objects = params.get("Delete", {}).get("Objects")
        self.writes += len(objects) if objects else 1

    def _update(self, **_):
        self.updates += 1

    def take(self, with_manifest: bool = True) -> tuple[int, ...]:
        figures = (self.writes, self.manifest_writes, self.updates)
        self.writes = self.manifest_writes = self.updates = 0
        return figures if with_manifest else (figures[0], figures[2])


def clone(dst: Path, mtime: float, src: Path = REPO) -> Path:
    """A checkout: copy the deployable folders and stamp every file with one mtime."""
    for folder in COPIED:
        if (src / folder).is_dir():
            shutil.copytree(src / folder, dst / folder, ignore=shutil.ignore_patterns(".venv"))
    dst.mkdir(parents=True, exist_ok=True)
    for path in dst.rglob("*"):
        os.utime(path, (mtime, mtime))
    return dst


def change_one_file(repo: Path) -> str:
    """Edit one DAG-side file, a DAG when there is one (or add one when the tree is empty)."""
    objects = collect_dag_side(repo)
    if objects:
        keys = sorted(objects, key=lambda k: (not k.endswith(".py"), Path(k).name[0] == ".", k))
        target = objects[keys[0]].path
    else:
        target = repo / "dags" / "bench_probe.py"
        target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "a", encoding="utf-8") as handle:
        handle.write("\n# bench: one-line change\n")
    return target.relative_to(repo).as_posix()


def mtime_sync(clients: Clients, bucket: str, environment: str, repo: Path) -> None:
    """What `aws s3 sync` + `aws s3 cp plugins.zip` + `update-environment` would do."""
    zip_bytes = build_plugins_zip(repo / "plugins")
    local: dict[str, Path] = {k: o.path for k, o in collect_dag_side(repo).items()}
    if zip_bytes is not None:
        built = repo / "build" / "plugins.zip"  # rebuilt every run: new mtime
        built.parent.mkdir(exist_ok=True)
        built.write_bytes(zip_bytes)
        local["plugins.zip"] = built
    for artifact in ARTIFACTS:
        if artifact.local and (repo / artifact.local).is_file():
            local[artifact.key] = repo / artifact.local
    remote = {}
    for page in clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            remote[item["Key"]] = item
    versions = {}
    for key, path in sorted(local.items()):
        stat, item = path.stat(), remote.get(key)
        if (
            item is None
            or item["Size"] != stat.st_size
            or stat.st_mtime > item["LastModified"].timestamp()
        ):
            response = clients.s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            if key in {a.key for a in ARTIFACTS}:
                versions[key] = response.get("VersionId")
    env = env_mod.describe(clients.mwaa, environment)
    params = env_mod.decide_update(env, versions).params
    if params:
        env_mod.update_and_wait(
            clients.mwaa, env, params, poll_interval=0, timeout=60, say=lambda _m: None
        )


def make_world(s3_url: str, mwaa_url: str, fake: fake_mwaa.FakeMwaa, name: str):
    """A versioned bucket, an AVAILABLE environment and counted clients."""
    config = Config(retries={"mode": "adaptive", "max_attempts": 3})
    kwargs = dict(region_name="us-east-1", **CREDENTIALS)
    s3 = boto3.client("s3", endpoint_url=s3_url, config=config, **kwargs)
    mwaa_config = config.merge(Config(inject_host_prefix=False))
    mwaa = boto3.client("mwaa", endpoint_url=mwaa_url, config=mwaa_config, **kwargs)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    fake.add(name, name)
    clients = Clients(s3, mwaa)
    return clients, Counter(clients)


def main() -> None:
    """Run the three scenarios for both tools and print a table."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    fake = fake_mwaa.FakeMwaa()
    server, mwaa_url = fake_mwaa.start(fake)
    s3_url = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = run(Path(tmp), s3_url, mwaa_url, fake)
    finally:
        server.shutdown()
        moto.stop()
    print_table(rows)


def run(tmp: Path, s3_url: str, mwaa_url: str, fake: fake_mwaa.FakeMwaa) -> list[tuple]:
    ours, our_count = make_world(s3_url, mwaa_url, fake, "bench-deploy")
    theirs, their_count = make_world(s3_url, mwaa_url, fake, "bench-mtime-sync")
    now = time.time()
    first = clone(tmp / "checkout-1", now - 3600)
    dag_side = len(collect_dag_side(first))
    has_zip = build_plugins_zip(first / "plugins") is not None
    print(f"input: {dag_side} DAG-side files from {REPO}, plugins.zip: {has_zip}, ", end="")
    print(f"requirements.txt: {(first / 'requirements/requirements.txt').is_file()}")
    print("note: the DAG validation step is replaced by a no-op in this benchmark\n")

    second = clone(tmp / "checkout-2", now + 60)  # a later CI checkout, same content
    third = clone(tmp / "checkout-3", now + 120)  # a later checkout with one change
    changed = change_one_file(third)
    os.utime(third / changed, (now + 120, now + 120))
    scenarios = [
        ("(a) first deploy", first),
        ("(b) no change, fresh clone", second),
        (f"(c) one file changed ({changed})", third),
    ]
    rows = []
    for label, checkout in scenarios:
        settings = Settings(
            repo=checkout,
            bucket="bench-deploy",
            environment="bench-deploy",
            poll_interval=0,
            confirm_timeout=0,
        )
        runner.run_deploy(
            settings, ours, lambda _m: None, lambda _repo, _command: (True, "skipped")
        )
        mtime_sync(theirs, "bench-mtime-sync", "bench-mtime-sync", checkout)
        rows.append((label, *our_count.take(), *their_count.take(with_manifest=False)))
    return rows


def print_table(rows: list[tuple]) -> None:
    """Fixed-width table of the figures."""
    width = max(len(r[0]) for r in rows) + 2
    header = (
        "scenario",
        "deploy: file writes",
        "deploy: manifest",
        "deploy: UpdateEnv",
        "mtime sync: S3 writes",
        "mtime sync: UpdateEnv",
    )
    print(f"{header[0]:<{width}}" + "".join(f"{h:>24}" for h in header[1:]))
    for label, *figures in rows:
        print(f"{label:<{width}}" + "".join(f"{f:>24}" for f in figures))
    print("\nwrites = PutObject + deleted keys (DeleteObject(s)) + CopyObject of repository")
    print("files and artifacts; the deploy tool's manifest object is counted on its own.")


if __name__ == "__main__":
    main()
