"""devkit.iam.infra_policies: a template's policies as plain JSON, names pluggable."""

from __future__ import annotations

import textwrap

from devkit.iam.infra_policies import INFRA_DIR, Resolver, policies

PIPELINES = INFRA_DIR / "pipelines.yaml"


def _statement(label: str, sid: str, **kwargs) -> dict:
    (policy,) = [p for p in policies(PIPELINES, **kwargs) if p.label == label]
    (statement,) = [s for s in policy.statements() if s["Sid"] == sid]
    return statement


def test_refs_and_getatts_resolve_to_sample_names_and_arns():
    crawl = _statement("pipelines.yaml:MwaaExecutionRole:dag-calls", "GlueCrawlersOfThisProject")
    assert crawl["Resource"][0] == (
        "arn:aws:glue:us-east-1:123456789012:crawler/"
        "mwaa-pipelines-tickit-gold-sales-by-category"
    )
    passing = _statement("pipelines.yaml:MwaaExecutionRole:dag-calls", "PassCrawlerRoleToGlueOnly")
    assert passing["Resource"] == (
        "arn:aws:iam::123456789012:role/mwaa-pipelines-GlueCrawlerRole-SAMPLE"
    )


def test_given_values_replace_samples_for_local_names():
    """What the access evaluation does: local names in, the same statements out."""
    values = {
        "AWS::AccountId": "000000000000",
        "LakeBucket": "local-lake",
        "LakeBucket.Arn": "arn:aws:s3:::local-lake",
        "GlueCrawlerRole.Arn": "arn:aws:iam::000000000000:role/local-glue-crawler",
    }
    write = _statement(
        "pipelines.yaml:MwaaExecutionRole:dag-calls",
        "LakeBronzeAndAthenaResultsWrite",
        values=values,
    )
    assert write["Resource"] == [
        "arn:aws:s3:::local-lake/bronze/*",
        "arn:aws:s3:::local-lake/athena-results/*",
    ]
    passing = _statement(
        "pipelines.yaml:MwaaExecutionRole:dag-calls", "PassCrawlerRoleToGlueOnly", values=values
    )
    assert passing["Resource"] == "arn:aws:iam::000000000000:role/local-glue-crawler"


def test_a_default_function_names_every_other_resource():
    seen = []

    def default(logical_id, attribute):
        seen.append((logical_id, attribute))
        return f"local-{logical_id}" if attribute is None else f"arn:local:{logical_id}"

    publish = _statement(
        "pipelines.yaml:MwaaExecutionRole:dag-calls", "PublishAlerts", default=default
    )
    assert publish["Resource"] == "local-AlertsTopic"
    assert ("AlertsTopic", None) in seen


def test_conditions_choose_if_branches_and_novalue_drops_statements():
    label = "pipelines.yaml:DataHubTaskExecutionRole:start-ingestion-task"
    sids = lambda **kw: [  # noqa: E731
        s["Sid"] for p in policies(PIPELINES, **kw) if p.label == label for s in p.statements()
    ]
    assert "EcrAuthorizationTokenWildcardRequired" in sids()
    without_cache = sids(conditions={"UsePullThroughCache": False})
    assert without_cache == ["WriteIngestionLogs", "ReadTaskSecrets"]


def test_sub_keeps_iam_policy_variables_and_escaped_placeholders():
    resolver = Resolver({"Parameters": {"Name": {"Type": "String", "Default": "x"}}})
    assert resolver.resolve({"Fn::Sub": "${Name}:${aws:userid}:${!Literal}"}) == (
        "x:${aws:userid}:${Literal}"
    )
    assert resolver.resolve({"Fn::Sub": ["${A}-${AWS::Region}", {"A": "a"}]}) == "a-us-east-1"


def test_managed_policies_name_the_roles_they_attach_to(tmp_path):
    path = tmp_path / "managed.yaml"
    path.write_text(textwrap.dedent("""\
            Resources:
              Job:
                Type: AWS::IAM::Role
                Properties:
                  AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
              Extra:
                Type: AWS::IAM::ManagedPolicy
                Properties:
                  Roles: [!Ref Job]
                  PolicyDocument:
                    Version: "2012-10-17"
                    Statement:
                      - {Sid: Read, Effect: Allow, Action: s3:GetObject, Resource: "*"}
            """))
    trust, managed = policies(path)
    assert (trust.label, trust.kind) == ("managed.yaml:Job:AssumeRolePolicyDocument", "trust")
    assert (managed.label, managed.roles) == ("managed.yaml:Extra:Extra", ("Job",))
    assert (managed.role_logical_id, trust.role_logical_id) == ("Job", None)
