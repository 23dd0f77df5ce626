"""The local stand-in for an MWAA environment: Airflow on SQLite, AWS emulated.

A `LocalPipeline` is one isolated environment on the emulation. The run command's
stands on the `local` stack that `deploy up`'s steps made (devkit/run/local_up.py):
its names are the stack's outputs (`StackNames`) and Airflow reads the Variables
the settings step wrote through the template's secrets backend (`StackSettings`).
Each integration-test module gets unique `LocalNames` instead, the resources every
registered domain (devkit/domains/) provisions and the Variables and Connections
they provide as AIRFLOW_VAR_* / AIRFLOW_CONN_* environment variables, so tests
never see each other's data. Both run DAGs
through `devkit.airflow.dagrun.run_dag`: one runner.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache

from devkit.airflow.dagrun import DagRunResult, Progress, interval_end, run_dag
from devkit.domains import LocalDomain, registered
from devkit.domains.house import MWAA_ROLE
from devkit.paths import REPO
from devkit.run.running import RUNNING


@cache
def local_stack_name() -> str:
    """The stack of the `local` environment, named like every other environment's."""
    from deploy.environments import load

    return load(REPO, "local").stack


@dataclass(frozen=True)
class LocalNames:
    """Resource names: `local-<role>` for the run command, `<role>-<tag>` in tests."""

    tag: str = ""
    stack_made = False  # LocalNames: each domain provisions what the stack would

    @classmethod
    def unique(cls) -> "LocalNames":
        return cls(uuid.uuid4().hex[:10])

    def bucket(self, role: str) -> str:
        return f"{role}-{self.tag}" if self.tag else f"local-{role}"

    def database(self, role: str) -> str:
        """A database name (Postgres, Glue): underscores only."""
        return f"{role}_{self.tag}" if self.tag else role

    @property
    def project(self) -> str:
        """The stack name these names stand for: the `local` environment's
        (infra/environments/local.json), or the test's tag."""
        return self.tag or local_stack_name()

    @property
    def landing_bucket(self) -> str:
        return self.bucket("landing")

    @property
    def lake_bucket(self) -> str:
        return self.bucket("lake")


@dataclass(frozen=True)
class StackNames(LocalNames):
    """The names a stack's outputs give (the run command's: the `local` environment's
    stack, made by `deploy up`'s steps, devkit/run/local_up.py)."""

    outputs: tuple[tuple[str, str], ...] = ()
    stack_made = True  # the stack made the buckets, databases, workgroup: domains don't

    @classmethod
    def of(cls, outputs: dict[str, str]) -> "StackNames":
        return cls(outputs=tuple(sorted(outputs.items())))

    def bucket(self, role: str) -> str:
        o = dict(self.outputs)
        topic = o["AlertsSnsTopicArn"].rsplit(":", 1)[-1]
        made = {"landing": "LandingBucket", "lake": "LakeBucket", "mwaa": "MwaaBucket"}
        return (
            o[made[role]]
            if role in made
            else topic if role == "airflow-alerts" else (f"{self.project}-{role}")
        )

    def database(self, role: str) -> str:
        o = dict(self.outputs)
        made = {
            "dev": "RedshiftDatabase",
            "tickit_gold": "GlueDatabase",
            "lake_bronze": "LakeBronzeDatabase",
            "lake_silver": "LakeSilverDatabase",
            "lake_gold": "LakeGoldDatabase",
        }
        return o[made[role]] if role in made else f"{self.project}_{role}"


@dataclass(frozen=True)
class StackSettings:
    """What `deploy infra settings` wrote for a stack, and Airflow's secrets backend
    configured as the template configures MWAA's, reading it (devkit/run/local_up.py)."""

    variables: dict[str, str]
    backend_env: dict[str, str]  # AIRFLOW__SECRETS__BACKEND(_KWARGS)


class SettingConflict(ValueError):
    """Two domains give one Variable or Connection different values."""


def _merge(kind: str, parts: list[tuple[str, dict]]) -> dict:
    merged: dict = {}
    owner: dict[str, str] = {}
    for domain, values in parts:
        for key, value in values.items():
            if key in merged and merged[key] != value:
                raise SettingConflict(
                    f"{kind} {key!r} differs between devkit/domains/{owner[key]}.py and "
                    f"devkit/domains/{domain}.py"
                )
            merged[key], owner[key] = value, domain
    return merged


class LocalPipeline:
    """Provision every domain on `aws`, then run DAGs with their settings."""

    def __init__(
        self,
        aws,
        names: LocalNames | None = None,
        scale: float = 1.0,
        domains: tuple[LocalDomain, ...] | None = None,
        stack: "StackSettings | None" = None,
    ):
        self.aws, self.names, self.scale = aws, names or LocalNames.unique(), scale
        RUNNING.add(self)  # its roles' policies now apply on the emulation
        self.accesses: list = []  # every AWS access of its DAG runs (devkit/iam/recorder.py)
        self._checked = 0  # how many of them `check_iam` has seen
        self.domains = domains if domains is not None else registered()
        for domain in self.domains:
            domain.provision(self)
        self.variables = _merge("Variable", [(d.name, d.variables(self)) for d in self.domains])
        self.connections = _merge(
            "Connection", [(d.name, d.connections(self)) for d in self.domains]
        )
        if self.domains:
            from devkit.run.local_stack import create_crawlers

            create_crawlers(self)  # the stack's own, so the DAGs never create one
        own = dict(self.variables)  # what no stack writes (e.g. the lineage switch)
        if stack is not None:
            self.variables.update(stack.variables)
            own = {k: v for k, v in own.items() if k not in stack.variables}
        self.env = {
            **aws.environment(principal=MWAA_ROLE),  # bare boto3 in a task: the MWAA role
            **{f"AIRFLOW_VAR_{k.upper()}": str(v) for k, v in own.items()},
            **{f"AIRFLOW_CONN_{k.upper()}": json.dumps(v) for k, v in self.connections.items()},
            **(stack.backend_env if stack is not None else {}),
        }

    def check_iam(self, everything: bool = False):
        """Its runs' accesses (since the last check, or all) against its roles' policies.

        With `everything`, every role gets a row (used, denied, granted but never used).
        """
        from devkit.iam.check import check
        from devkit.iam.recorder import ROLE_NAMES

        start = 0 if everything else self._checked
        records = self.accesses[start:]
        self._checked = len(self.accesses)
        return check(records, self.policies(), principals=ROLE_NAMES if everything else ())

    def policies(self) -> dict[str, list[dict]]:
        """Each role's policies in infra/pipelines.yaml, for this pipeline's resources."""
        from devkit.iam.policies import policies_for
        from devkit.iam.recorder import ROLE_NAMES
        from devkit.run.local_stack import local_resources

        return policies_for(local_resources(self), principals=ROLE_NAMES)

    def domain(self, name: str) -> LocalDomain:
        return next(d for d in self.domains if d.name == name)

    def land(self, *days: date) -> int:
        """Every domain's sample source data for these nights; returns the object count."""
        return sum(domain.land(self, list(days)) for domain in self.domains)

    def run(
        self,
        dag_id: str,
        day: date,
        without: tuple[str, ...] = (),
        only: str | None = None,
        progress: Progress | None = None,
    ) -> DagRunResult:
        """dag.test() for the interval [day, day + 1); `without` hides settings (env vars).

        A call a role may not make fails in its task, as on AWS (devkit/iam/gate.py)."""
        return self.run_parsed(None, dag_id, day, without, only, progress)

    def run_parsed(
        self,
        dag,
        dag_id: str,
        day: date,
        without: tuple[str, ...] = (),
        only: str | None = None,
        progress: Progress | None = None,
    ) -> DagRunResult:
        """As `run`, for a DAG already parsed (`dag`, e.g. from a test's own folder)."""
        from devkit.iam.gate import enforcing
        from devkit.iam.recorder import LOG

        mark = LOG.mark()
        try:
            with self.environment(without), enforcing(self.policies()):
                return run_dag(dag_id, interval_end(day), only, progress, dag=dag)
        finally:
            self.accesses.extend(LOG.since(mark))

    def environment(self, without: tuple[str, ...] = ()):
        """This pipeline's settings as env vars for a block; `without` unsets some."""
        from devkit.emulator import patched_environ

        return patched_environ({**self.env, **dict.fromkeys(without)})

    def effects(self) -> dict[str, object]:
        effects: dict[str, object] = {}
        for domain in self.domains:
            try:
                effects.update(domain.effects(self))
            except Exception as err:  # a summary must not hide the task results above it
                where = f"{domain.name} (devkit/domains/{domain.name}.py)"
                effects[where] = f"effects failed: {err}"
        return effects

    def query(self, sql: str, *args, database: str = "dev") -> list[tuple]:
        """Rows of a query on one of the warehouse's (Postgres) databases."""
        conn = self.aws.postgres.connect(self.names.database(database))
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            conn.close()

    def alerts(self) -> list[tuple[str, str]]:
        """(subject, message) of every failure alert published to this pipeline's topic."""
        from moto.sns.models import sns_backends

        arn = self.variables["alerts_sns_topic_arn"]
        topic = sns_backends[self.aws.account_id][self.aws.region].topics[arn]
        return [(subject, message) for _, message, subject, *_ in topic.sent_notifications]

    def statements_since(self, mark: int) -> list[str]:
        return [record.sql for record in self.aws.statements[mark:]]
