"""The roles' policies, resolved for one local pipeline: the one place to swap the source.

`policies_for(resources)` returns principal logical id -> policy documents, the
placeholders resolved with `local_resources(pipeline)` (the names the stack would
give them: buckets, databases, the application id...). Today it reads the fixture set
under tests/devkit/iam/policies/ (one policy document per role, `${Name}` placeholders);
once infra/pipelines.yaml and its resolver are merged, point `policies_for` at the
resolver and keep `local_resources` as the logical id -> local name mapping.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from devkit.iam import recorder
from devkit.paths import REPO

if TYPE_CHECKING:
    from devkit.local_env import LocalPipeline

FIXTURES = REPO / "tests" / "devkit" / "iam" / "policies"
POLICY_SOURCE = "tests/devkit/iam/policies/ until infra/pipelines.yaml is wired in"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")  # `${aws:userid}` (a colon) stays as is


class UnresolvedPlaceholder(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def local_resources(pipeline: LocalPipeline) -> dict[str, str]:
    """Placeholder / logical id -> the local name of that resource in this pipeline."""
    from devkit.domains import datahub
    from lakehouse.conventions import Var

    names, aws, variables = pipeline.names, pipeline.aws, pipeline.variables
    tag = f"-{names.tag}" if names.tag else ""
    resources = {
        "AccountId": aws.account_id,
        "Region": aws.region,
        "LandingBucket": names.landing_bucket,
        "LakeBucket": names.lake_bucket,
        "MwaaBucket": names.bucket("mwaa"),
        "AlertsTopicName": names.bucket("airflow-alerts"),
        "RedshiftWorkgroupId": str(variables.get(Var.REDSHIFT_WORKGROUP, "local")),
        "AthenaWorkgroup": str(variables.get(Var.ATHENA_WORKGROUP, "primary")),
        "TickitGlueDatabase": names.database("tickit_gold"),
        "LakeDatabasePrefix": "lake_",
        "EmrServerlessApplicationId": str(
            variables.get(Var.EMR_SERVERLESS_APPLICATION_ID, "no-application")
        ),
        "DataHubEcsCluster": f"{datahub.CLUSTER}{tag}",
        "DataHubTaskFamily": f"{datahub.TASK_FAMILY}{tag}",
        "DataHubLogGroup": datahub.LOG_GROUP,
        "DataHubTokenSecretName": "datahub-token",  # pragma: allowlist secret
        "MwaaEnvironmentName": "local",
    }
    for logical, name in recorder.ROLE_NAMES.items():
        resources[f"{logical}Name"] = name
    return resources


def substitute(document, resources: dict[str, str], where: str):
    """Every `${Name}` in the document's strings replaced; an unknown one is an error."""
    if isinstance(document, dict):
        return {k: substitute(v, resources, where) for k, v in document.items()}
    if isinstance(document, list):
        return [substitute(v, resources, where) for v in document]
    if not isinstance(document, str):
        return document

    def value(match: re.Match) -> str:
        if match.group(1) not in resources:
            raise UnresolvedPlaceholder(
                f"{where}: placeholder ${{{match.group(1)}}} has no local value "
                "(devkit/iam/policies.py local_resources)"
            )
        return resources[match.group(1)]

    return _PLACEHOLDER.sub(value, document)


@cache
def _fixture_documents(folder: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def policies_for(resources: dict[str, str], principals=None) -> dict[str, list[dict]]:
    """THE policy source: principal logical id -> its policy documents, resolved with
    `resources` (only `principals`, when given). Point this at infra/pipelines.yaml's
    resolver once merged; until then, the fixture set."""
    return fixture_policies(resources, principals)


def fixture_policies(
    resources: dict[str, str], principals=None, folder: Path = FIXTURES
) -> dict[str, list[dict]]:
    """The fixture set under tests/devkit/iam/policies/, resolved with `resources`."""
    return {
        principal: [substitute(document, resources, str(folder / f"{principal}.json"))]
        for principal, document in _fixture_documents(folder).items()
        if principals is None or principal in principals
    }


def without_permission(policies: dict[str, list[dict]], principal: str, action: str) -> dict:
    """The policies with `action` taken out of every Allow statement of `principal`'s
    (a statement left with no action goes): what removing it from the template does."""
    out = {name: list(documents) for name, documents in policies.items()}
    trimmed = []
    for document in policies[principal]:
        kept = []
        for statement in _statements(document):
            actions = statement.get("Action")
            if statement.get("Effect") == "Allow" and actions is not None:
                actions = [a for a in _as_list(actions) if a.lower() != action.lower()]
                if not actions:
                    continue
                statement = {**statement, "Action": actions}
            kept.append(statement)
        trimmed.append({**document, "Statement": kept})
    out[principal] = trimmed
    return out


def _statements(document: dict) -> list[dict]:
    return _as_list(document.get("Statement"))


def _as_list(value) -> list:
    return list(value) if isinstance(value, list) else [value]
