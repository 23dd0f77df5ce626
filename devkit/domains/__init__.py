"""Local registrations, one module per pipeline domain: what its DAGs need on the emulation.

A domain module (``devkit/domains/<name>.py``) defines ``DOMAIN``, an instance
of a ``LocalDomain`` subclass; a pipeline family's (its DAGs' dag_id prefix) also
declares what selects its tests in the gate (``GATE_PATHS``, ``GATE_TESTS``:
families.py). The runner, the gate and DAG validation find every module here by
themselves: adding a family touches no shared code (docs/devkit.md, "A new family").
Each hook receives the ``Pipeline`` (``env.aws``, ``env.names``, ``env.scale``) it works
in: the run layer's ``LocalPipeline`` (devkit/run/local_env.py), which this layer
below it never imports.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from functools import cache
from typing import Any, Protocol


class Pipeline(Protocol):
    """What the hooks get: one local environment on the emulation (`LocalPipeline`)."""

    aws: Any  # the LocalAws (devkit/emulator/server.py) it runs on
    names: Any  # its stack's names: `names.bucket("lake")`, `names.database("dev")`, ...
    scale: float  # the sample data's scale factor
    variables: dict[str, str]  # the Variables every domain gave (once all are provisioned)

    def query(self, sql: str, *args, database: str = "dev") -> list[tuple]: ...


class LocalDomain:
    """Override what the domain needs; every hook defaults to "nothing"."""

    name: str = ""
    needs: tuple[str, ...] = ()  # other domains whose data or resources this one uses

    def variables(self, env: Pipeline) -> dict[str, str]:
        """Airflow Variables this domain's DAGs read: name -> local value."""
        return {}

    def connections(self, env: Pipeline) -> dict[str, dict]:
        """Airflow Connections: conn_id -> connection as Airflow's JSON dict."""
        return {}

    def provision(self, env: Pipeline) -> None:
        """Create what the pipeline needs and its stack does not make (the stack makes
        the buckets, databases, topic, crawlers: devkit/run/local_up.py)."""

    def land(self, env: Pipeline, days: list[date]) -> int:
        """Land sample source data for these nights; returns the number of objects."""
        return 0

    def effects(self, env: Pipeline) -> dict[str, object]:
        """What the run left behind, read back from the emulation, for the summary."""
        return {}


@cache
def registered() -> tuple[LocalDomain, ...]:
    """Every ``DOMAIN`` under devkit/domains/, the shared house first, then by name."""
    found = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: (m.name != "house", m.name)):
        domain = getattr(importlib.import_module(f"{__name__}.{module.name}"), "DOMAIN", None)
        if isinstance(domain, LocalDomain):
            found.append(domain)
    return tuple(found)


def for_dags(dag_ids, also: tuple[str, ...] = ()) -> tuple[LocalDomain, ...]:
    """The registrations DAGs need: the house, each DAG's domain (its dag_id prefix), and
    what those need. An id whose domain has no registration needs only the house.
    `also` names domains wanted besides (e.g. "lineage" for a test of the plugin)."""
    by_name = {domain.name: domain for domain in registered()}
    wanted = {"house"}
    pending = [dag_id.split("__", 1)[0] for dag_id in dag_ids] + list(also)
    while pending:
        name = pending.pop()
        if name in by_name and name not in wanted:
            wanted.add(name)
            pending.extend(by_name[name].needs)
    return tuple(domain for domain in registered() if domain.name in wanted)
