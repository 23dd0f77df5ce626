"""Environments from one template: every name derives from the stack, no role reaches
another environment's resources.

Each environment of infra/environments/ is resolved from infra/pipelines.yaml with its
own stack name and parameters, in one account and region (the hard case: several
environments per account). What CloudFormation would name each resource, where MWAA
reads the Airflow settings, and what each role's policies allow are compared across
the environments.
"""

from __future__ import annotations

import itertools
import json
import re
from functools import cache

import pytest

from deploy.environments import load_all
from devkit.iam.evaluate import Request, evaluate
from devkit.iam.infra_policies import Resolver
from devkit.iam.policies import physical_names, stack_resolver, template
from devkit.paths import REPO

ACCOUNT, REGION = "111122223333", "eu-west-3"
ENVIRONMENTS = load_all(REPO)
PAIRS = list(itertools.permutations(sorted(ENVIRONMENTS), 2))


@cache
def resolver(name: str) -> Resolver:
    env = ENVIRONMENTS[name]
    values = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, **env.parameters}
    # Ids the services make up (no name to derive): distinct per stack, as on AWS.
    values.update(service_arns(env.stack))
    return stack_resolver(env.stack, **values)


def service_arns(stack: str) -> dict[str, str]:
    """The ARNs made of ids (Redshift Serverless, EMR Serverless), one set per stack."""
    serverless = f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}"
    return {
        "RedshiftWorkgroup.Workgroup.WorkgroupArn": f"{serverless}:workgroup/{stack}-id",
        "RedshiftNamespace.Namespace.NamespaceArn": f"{serverless}:namespace/{stack}-id",
        "SparkApplication.Arn": (
            f"arn:aws:emr-serverless:{REGION}:{ACCOUNT}:/applications/{stack}-id"
        ),
    }


@cache
def secret_prefixes(name: str) -> list[str]:
    """Every Secrets Manager prefix the environment reads or writes."""
    resolved = resolver(name)
    options = template()["Resources"]["MwaaEnvironment"]["Properties"]
    kwargs = json.loads(
        resolved.resolve(options["AirflowConfigurationOptions"])["secrets.backend_kwargs"]
    )
    names = physical_names(resolved)
    secrets = [names[k] for k, r in template()["Resources"].items() if r["Type"].endswith("Secret")]
    return [kwargs["variables_prefix"], kwargs["connections_prefix"], *secrets]


def test_the_environments_are_staging_production_and_local():
    assert {"staging", "production", "local"} <= set(ENVIRONMENTS)
    assert ENVIRONMENTS["production"].promote_from == "staging"
    github = {env.parameters["GitHubEnvironment"] for env in ENVIRONMENTS.values()}
    assert len(github) == len(ENVIRONMENTS)


def test_the_local_run_is_the_local_environment():
    from devkit.run.local_env import local_stack_name

    assert local_stack_name() == ENVIRONMENTS["local"].stack == "local"


@pytest.mark.parametrize("first,second", list(itertools.combinations(sorted(ENVIRONMENTS), 2)))
def test_two_environments_share_no_physical_name(first, second):
    ours, theirs = physical_names(resolver(first)), physical_names(resolver(second))
    assert len(ours) == len(template()["Resources"]) - len(UNNAMED), sorted(
        set(template()["Resources"]) - set(ours)
    )
    shared = set(ours.values()) & set(theirs.values())
    assert not shared, f"{first} and {second} both name {sorted(shared)}"


# Resources that have no name of their own: policies (of the bucket they name, or inline
# in the role they attach to) and the account's one GitHub OIDC provider (test below).
UNNAMED = {
    "MwaaBucketPolicy",
    "LandingBucketPolicy",
    "LakeBucketPolicy",
    "MwaaDataApiStatements",
    "GitHubOidcProvider",
}


def test_one_environment_per_account_creates_the_github_oidc_provider():
    """The provider is one per account: in one account only one stack may create it."""
    creating = [
        name
        for name, env in ENVIRONMENTS.items()
        if name != "local" and env.parameters.get("CreateGitHubOidcProvider", "true") == "true"
    ]
    assert len(creating) == 1, creating


@pytest.mark.parametrize("first,second", PAIRS)
def test_no_secret_prefix_is_shared(first, second):
    for ours, theirs in itertools.product(secret_prefixes(first), secret_prefixes(second)):
        assert not (theirs + "/").startswith(ours + "/"), (first, ours, second, theirs)


def test_glue_and_bucket_names_follow_the_service_rules():
    for name in ENVIRONMENTS:
        for logical_id, physical in physical_names(resolver(name)).items():
            kind = template()["Resources"][logical_id]["Type"]
            if kind == "AWS::Glue::Database":
                assert re.fullmatch(r"[a-z][a-z0-9_]{0,254}", physical), physical
            if kind == "AWS::S3::Bucket":
                assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", physical), physical
                # The longest regions (ap-southeast-5, ...) are 14 characters, eu-west-3 is 9.
                assert len(physical) + 5 <= 63, physical


# ------------------------------------------------------------------ IAM, across stacks
@cache
def probes(name: str) -> list[str]:
    """ARNs of the environment's own data and settings: its buckets and their objects,
    Glue databases, tables and crawlers, Airflow settings and secrets, the MWAA
    environment, the alerts topic, the DataHub cluster, task family and log group, the
    Athena workgroup, its roles, the Redshift Serverless namespace and workgroup, the
    EMR Serverless application."""
    resolved = resolver(name)
    arns = []
    for logical_id, kind in ((k, r["Type"]) for k, r in template()["Resources"].items()):
        if kind == "AWS::S3::Bucket":
            bucket = resolved.get_att(logical_id, "Arn")
            arns += [bucket, f"{bucket}/x"]
            arns += [f"{bucket}/{prefix}/x" for prefix in OBJECT_PREFIXES]
            arns += [f"{bucket}/{key}" for key in ("plugins.zip", "requirements.txt")]
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    names = physical_names(resolved)
    for logical_id, physical in names.items():
        kind = template()["Resources"][logical_id]["Type"]
        if kind == "AWS::Glue::Database":
            arns += [f"{glue}:database/{physical}", f"{glue}:table/{physical}/x"]
        elif kind == "AWS::Glue::Crawler":
            arns.append(f"{glue}:crawler/{physical}")
        elif kind in NAMED_ARNS:
            arns.append(NAMED_ARNS[kind].format(r=REGION, a=ACCOUNT, n=physical))
    arns += [
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{prefix}/x-AbCdEf"
        for prefix in secret_prefixes(name)
    ]
    arns += list(service_arns(ENVIRONMENTS[name].stack).values())
    return arns


OBJECT_PREFIXES = (
    "dags",
    "dags/spark",
    "dags/recipes",
    "bronze",
    "silver",
    "gold",
    "gold/tickit/sales_by_category",
    "athena-results",
    "emr-serverless-logs",
    "tickit",
    "synthea",
)
NAMED_ARNS = {
    "AWS::MWAA::Environment": "arn:aws:airflow:{r}:{a}:environment/{n}",
    "AWS::SNS::Topic": "arn:aws:sns:{r}:{a}:{n}",
    "AWS::ECS::Cluster": "arn:aws:ecs:{r}:{a}:cluster/{n}",
    "AWS::ECS::TaskDefinition": "arn:aws:ecs:{r}:{a}:task-definition/{n}:1",
    "AWS::Logs::LogGroup": "arn:aws:logs:{r}:{a}:log-group:{n}",
    "AWS::Athena::WorkGroup": "arn:aws:athena:{r}:{a}:workgroup/{n}",
    "AWS::IAM::Role": "arn:aws:iam::{a}:role/{n}",
}


@cache
def role_policies(name: str) -> dict[str, list[dict]]:
    """Role logical id -> its identity statements, conditions removed: a request they
    deny is denied whatever the request's context. Statements that must name every
    resource of a kind (Sid ...WildcardRequired: actions without resource types,
    listing) are left out; what they allow is the same in every environment."""
    from devkit.iam.infra_policies import policies

    values = dict(resolver(name).values)
    found: dict[str, list[dict]] = {}
    for document in policies(REPO / "infra" / "pipelines.yaml", values=values):
        if document.kind != "identity":
            continue
        kept = [
            {k: v for k, v in s.items() if k != "Condition"}
            for s in document.statements()
            if not str(s.get("Sid", "")).endswith("WildcardRequired")
        ]
        for role in document.roles:
            found.setdefault(role, []).append({"Version": "2012-10-17", "Statement": kept})
    return found


def allowed_actions(documents: list[dict]) -> set[str]:
    """Every action the statements allow, creates aside: a create acts on no existing
    resource (one named like another environment's fails: the name is taken)."""
    actions = set()
    for document in documents:
        for statement in document["Statement"]:
            value = statement.get("Action", [])
            actions.update([value] if isinstance(value, str) else value)
    return {action for action in actions if not action.split(":")[1].startswith("Create")}


@pytest.mark.parametrize("ours,theirs", PAIRS)
def test_no_role_of_one_environment_reaches_anothers_resources(ours, theirs):
    """Every action any of our roles may take, on every resource of theirs: denied."""
    targets = probes(theirs)
    reached = []
    for role, documents in role_policies(ours).items():
        for action in sorted(allowed_actions(documents)):
            service = action.split(":")[0]
            for arn in (a for a in targets if a.split(":")[2] == service):
                if evaluate(documents, Request(action, arn)).allowed:
                    reached.append(f"{role} {action} {arn}")
    assert not reached, f"{ours}'s roles reach {theirs}'s resources:\n" + "\n".join(reached)


def test_the_probes_reach_the_own_environment():
    """The check can fail: the same probes on the roles' own stack are allowed."""
    documents = role_policies("staging")
    own = set(probes("staging"))
    allowed = {
        arn
        for docs in documents.values()
        for action in allowed_actions(docs)
        for arn in own
        if arn.split(":")[2] == action.split(":")[0]
        and evaluate(docs, Request(action, arn)).allowed
    }
    resolved = resolver("staging")
    names = physical_names(resolved)
    lake = resolved.get_att("LakeBucket", "Arn")
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    secrets = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret"
    assert {
        f"{lake}/gold/x",
        f"{glue}:database/{names['LakeGoldDatabase']}",
        f"{glue}:table/{names['TickitGoldDatabase']}/x",
        f"{glue}:crawler/{names['LakeBronzeCrawler']}",
        f"{secrets}:{secret_prefixes('staging')[0]}/x-AbCdEf",
    } <= allowed
