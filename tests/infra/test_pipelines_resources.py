"""infra/pipelines.yaml creates what the DAGs name: crawlers, the EMR release, the task.

The DAGs refer to infrastructure by name (crawler names, the EMR release, the
task definition's container); these tests render the DAGs' own configuration
with the stack's outputs and compare it with the template.
"""

from __future__ import annotations

import jinja2
import pytest
from cfnlint.decode import decode_str

from devkit.airflow.dag_files import DAGS_DIR
from devkit.iam.infra_policies import INFRA_DIR, Resolver
from lakehouse.conventions import Var
from lakehouse.data_lake import EMR_RELEASE

TEMPLATE = decode_str((INFRA_DIR / "pipelines.yaml").read_text())[0]
RESOURCES = TEMPLATE["Resources"]
RESOLVER = Resolver(TEMPLATE)


def _variables() -> dict[str, str]:
    """The Variables the settings command writes: each Var from its output."""
    outputs = TEMPLATE["Outputs"]
    names = {"".join(p.capitalize() for p in v.value.split("_")): v.value for v in Var}
    return {
        names[key]: RESOLVER.resolve(out["Value"]) for key, out in outputs.items() if key in names
    }


def _render(node, variables):
    if isinstance(node, str):
        return jinja2.Template(node).render(var={"value": variables})
    if isinstance(node, list):
        return [_render(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: _render(value, variables) for key, value in node.items()}
    return node


@pytest.fixture(scope="module")
def dag_crawlers() -> dict[str, dict]:
    """Every GlueCrawlerOperator config of the DAGs, rendered with the stack's Variables."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator

    dagbag = DagBag(dag_folder=str(DAGS_DIR), include_examples=False)
    assert not dagbag.import_errors, dagbag.import_errors
    variables = _variables()
    configs = [
        _render(task.config, variables)
        for dag in dagbag.dags.values()
        for task in dag.tasks
        if isinstance(task, GlueCrawlerOperator)
    ]
    return {config["Name"]: config for config in configs}


def template_crawlers() -> dict[str, dict]:
    crawlers = [
        RESOLVER.resolve(r["Properties"])
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Glue::Crawler"
    ]
    return {crawler["Name"]: crawler for crawler in crawlers}


def test_the_template_creates_every_crawler_the_dags_start(dag_crawlers):
    assert set(dag_crawlers) == set(template_crawlers())


def test_each_crawler_starts_as_the_dag_configures_it(dag_crawlers):
    """Same role, database and policies; every DAG target lies under a template target."""
    for name, created in template_crawlers().items():
        wanted = dag_crawlers[name]
        assert created["Role"] == wanted["Role"], name
        assert created["DatabaseName"] == wanted["DatabaseName"], name
        assert created["SchemaChangePolicy"] == wanted["SchemaChangePolicy"], name
        assert created["RecrawlPolicy"] == wanted["RecrawlPolicy"], name
        assert created.get("Configuration") == wanted.get("Configuration"), name
        roots = [target["Path"] for target in created["Targets"]["S3Targets"]]
        for target in wanted["Targets"]["S3Targets"]:
            assert any(target["Path"].startswith(root) for root in roots), (name, target)


def test_the_spark_application_runs_the_release_the_jobs_are_built_for():
    application = RESOURCES["SparkApplication"]["Properties"]
    assert application["ReleaseLabel"] == EMR_RELEASE and application["Type"] == "SPARK"
    assert application["AutoStartConfiguration"] == {"Enabled": True}
    assert application["AutoStopConfiguration"]["Enabled"] is True


def test_the_athena_workgroup_enforces_the_results_location_the_dags_use():
    workgroup = RESOLVER.resolve(RESOURCES["AthenaWorkgroup"]["Properties"])
    configuration = workgroup["WorkGroupConfiguration"]
    lake = _variables()[Var.LAKE_BUCKET.value]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"]["OutputLocation"] == f"s3://{lake}/athena-results/"


def test_the_mwaa_bucket_is_versioned_private_and_tls_only():
    bucket = RESOURCES["MwaaBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (statement,) = RESOLVER.resolve(RESOURCES["MwaaBucketPolicy"]["Properties"])["PolicyDocument"][
        "Statement"
    ]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_datahub_secrets_carry_no_value_from_the_repository():
    for logical_id in ("DataHubGmsTokenSecret", "DataHubRedshiftSecret"):
        secret = RESOURCES[logical_id]["Properties"]
        assert "SecretString" not in secret and "GenerateSecretString" in secret, logical_id
