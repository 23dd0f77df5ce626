"""The local stand-in for an MWAA environment: Airflow on SQLite, AWS emulated.

A `LocalPipeline` is one isolated environment on the emulation, standing on a stack of
infra/pipelines.yaml that `deploy up`'s own steps made (devkit/run/local_up.py): the run
command's on the `local` environment's stack, each integration test's on a stack of its
own (its name is the test's tag), so tests never see each other's data and are
provisioned by the same code as the run. Its names are the stack's outputs
(`StackNames`), its roles the ones CloudFormation named, and Airflow reads every
Variable and Connection the settings step wrote through the template's secrets backend
(`StackSettings`); the domains (devkit/domains/) add only what no stack writes. Both
run DAGs through `devkit.airflow.dagrun.run_dag`: one runner.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
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
class StackNames:
    """The names a stack's outputs give. `tag` tells a test's stack (its name) from the
    run command's (empty: the `local` environment's stack)."""

    outputs: tuple[tuple[str, str], ...] = ()
    tag: str = ""

    @classmethod
    def of(cls, outputs: dict[str, str], tag: str = "") -> "StackNames":
        return cls(outputs=tuple(sorted(outputs.items())), tag=tag)

    @property
    def project(self) -> str:
        """The stack's name (the MWAA environment is named after it)."""
        return dict(self.outputs)["MwaaEnvironmentName"]

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
        """A database name (Postgres, Glue): the stack's, or one of its own for `role`."""
        o = dict(self.outputs)
        made = {
            "dev": "RedshiftDatabase",
            "tickit_gold": "GlueDatabase",
            "lake_bronze": "LakeBronzeDatabase",
            "lake_silver": "LakeSilverDatabase",
            "lake_gold": "LakeGoldDatabase",
        }
        return o[made[role]] if role in made else f"{self.project}_{role}"

    @property
    def landing_bucket(self) -> str:
        return self.bucket("landing")

    @property
    def lake_bucket(self) -> str:
        return self.bucket("lake")


# Connections the emulation answers its own way, so Airflow must not take the stack's:
# the SQL check operators' Redshift connection is PostgreSQL, not IAM authentication
# to a workgroup endpoint (redshift_connector speaks Redshift's dialect of the protocol).
EMULATION_CONNECTIONS = ("redshift_default",)


def _exactly(names) -> str:
    return "^(" + "|".join(re.escape(n) for n in sorted(names)) + ")$"


@dataclass(frozen=True)
class StackSettings:
    """What `deploy infra settings` wrote for a stack, and Airflow's secrets backend
    configured as the template configures MWAA's, reading it (devkit/run/local_up.py).

    Airflow builds its secrets backends from `[secrets] backend` and `backend_kwargs` at
    every look-up (airflow.sdk.configuration.ensure_secrets_loaded; the core's
    `airflow.configuration.ensure_secrets_loaded` too, as long as no custom backend was
    configured when `airflow.configuration` was imported: then it keeps that one for the
    process). So each pipeline sets the two as environment variables around its runs
    (`LocalPipeline.environment`), and pipelines on several stacks in one process each
    read their own prefixes; `backend_is_read_per_lookup` guards the condition.
    """

    variables: dict[str, str]  # name -> value
    connections: dict[str, dict]  # conn_id -> Airflow's JSON form, parsed
    backend: str  # the class path
    kwargs: dict  # its kwargs (the stack's prefixes; the emulation's endpoint and role key)

    def backend_env(self, hidden=frozenset()) -> dict[str, str]:
        """AIRFLOW__SECRETS__BACKEND(_KWARGS), asking only for what the settings step
        wrote (what else a task looks up, e.g. the lineage switch, no stack writes:
        asking would only miss, on MWAA too), less the `hidden` names."""
        variables = set(self.variables) - set(hidden)
        connections = set(self.connections) - set(EMULATION_CONNECTIONS) - set(hidden)
        kwargs = {
            **self.kwargs,
            "variables_lookup_pattern": _exactly(variables),
            "connections_lookup_pattern": _exactly(connections),
        }
        return {
            "AIRFLOW__SECRETS__BACKEND": self.backend,
            "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(kwargs),
        }


def backend_is_read_per_lookup() -> None:
    """Fail, naming the cause, when Airflow holds one secrets backend for the process."""
    from airflow import configuration

    if len(configuration.secrets_backend_list) != 2:  # the two default backends only
        raise RuntimeError(
            "Airflow was imported with AIRFLOW__SECRETS__BACKEND set, so it keeps that "
            "backend for the whole process (airflow.configuration.secrets_backend_list): "
            "unset it before Airflow is imported; each local pipeline sets its own"
        )


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
    """A stack's names, roles and settings, then what every domain adds; runs DAGs."""

    def __init__(
        self,
        aws,
        names: StackNames,
        settings: StackSettings,
        roles: dict[str, str],
        scale: float = 1.0,
        domains: tuple[LocalDomain, ...] | None = None,
    ):
        from devkit.run.local_stack import resources_of

        self.aws, self.names, self.settings, self.scale = aws, names, settings, scale
        self.roles = roles  # logical id -> the name CloudFormation gave the role
        self.resources = resources_of(aws, names.project)  # for the roles' policies
        RUNNING.add(self)  # its roles' policies now apply on the emulation
        self.accesses: list = []  # every AWS access of its DAG runs (devkit/iam/recorder.py)
        self._checked = 0  # how many of them `check_iam` has seen
        self.domains = domains if domains is not None else registered()
        with self.acting():
            for domain in self.domains:
                domain.provision(self)
            variables = _merge("Variable", [(d.name, d.variables(self)) for d in self.domains])
            connections = _merge(
                "Connection", [(d.name, d.connections(self)) for d in self.domains]
            )
        self._settle(variables, connections)

    def _settle(self, variables: dict, connections: dict) -> None:
        """What the settings step wrote is read through the secrets backend only; the
        domains' own values stand for what no stack writes (e.g. the lineage switch)."""
        settings = self.settings
        own = {k: v for k, v in variables.items() if k not in settings.variables}
        own_connections = {
            k: v
            for k, v in connections.items()
            if k not in settings.connections or k in EMULATION_CONNECTIONS
        }
        self.variables = {**own, **settings.variables}
        self.connections = {**settings.connections, **own_connections}
        self.env = {
            **self.aws.environment(principal=MWAA_ROLE),  # bare boto3 in a task: the MWAA role
            **{f"AIRFLOW_VAR_{k.upper()}": str(v) for k, v in own.items()},
            **{f"AIRFLOW_CONN_{k.upper()}": json.dumps(v) for k, v in own_connections.items()},
            **settings.backend_env(),
        }

    @contextmanager
    def acting(self):
        """Its stack's role names for a block (one process may hold several stacks)."""
        from devkit.iam.recorder import stack_roles

        with stack_roles(self.roles):
            yield

    def check_iam(self, everything: bool = False):
        """Its runs' accesses (since the last check, or all) against its roles' policies.

        With `everything`, every role gets a row (used, denied, granted but never used).
        """
        from devkit.iam.check import check
        from devkit.iam.recorder import ROLE_NAMES

        start = 0 if everything else self._checked
        records = self.accesses[start:]
        self._checked = len(self.accesses)
        with self.acting():
            return check(records, self.policies(), principals=ROLE_NAMES if everything else ())

    def policies(self) -> dict[str, list[dict]]:
        """Each role's policies in infra/pipelines.yaml, resolved with its stack's resources."""
        from devkit.iam.policies import policies_for
        from devkit.iam.recorder import ROLE_NAMES

        return policies_for(self.resources, principals=ROLE_NAMES)

    @contextmanager
    def variable_written(self, name: str, value: str):
        """A Variable as the settings step would write it (e.g. `datahub_gms_url` "none",
        what the stack outputs while DataHubGmsUrl is empty), for a block."""
        secrets = self.aws.client("secretsmanager")
        secret = f"{self.settings.kwargs['variables_prefix']}/{name}"
        saved = secrets.get_secret_value(SecretId=secret)["SecretString"]
        secrets.put_secret_value(SecretId=secret, SecretString=value)
        try:
            yield
        finally:
            secrets.put_secret_value(SecretId=secret, SecretString=saved)

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

    @contextmanager
    def environment(self, without: tuple[str, ...] = ()):
        """This pipeline's settings for a block: the secrets backend's and what no stack
        writes, as env vars, with its roles' names. `without` hides some, named as
        AIRFLOW_VAR_X / AIRFLOW_CONN_Y (from the backend too)."""
        from devkit.emulator import patched_environ

        backend_is_read_per_lookup()
        hidden = {
            name.split("_", 2)[2].lower()
            for name in without
            if name.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_"))
        }
        env = {**self.env, **self.settings.backend_env(hidden), **dict.fromkeys(without)}
        with patched_environ(env), self.acting():
            yield

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
