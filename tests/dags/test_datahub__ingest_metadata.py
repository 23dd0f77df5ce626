"""datahub__ingest_metadata: the RunTask requests, and a real local ingestion.

One module-wide ingestion (glossary + Glue) of a catalog shaped like the one
the pipelines leave behind (the TICKIT gold table, a lake database, and a
database no pattern matches), written straight into the emulated Glue catalog
so the test pays for ingestion only; the real pipelines' catalog is ingested
by the run command. The term patterns are seen applying and not applying.
The ECS emulation runs the container's command with `.venv-datahub` (built
when missing) and a file sink.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from devkit.domains import datahub
from devkit.domains.tickit import GOLD_DATABASE
from devkit.emulator import FAKE_KEY
from devkit.iam.policies import denials_without
from devkit.paths import REPO as ROOT
from lakehouse.conventions import Team, Var
from lakehouse.datahub import CONTAINER_NAME, GLOSSARY_RECIPE, ingest_command

pytestmark = pytest.mark.integration

DAY = date(2008, 1, 3)
GLOSSARY_TERM = "urn:li:glossaryTerm:"
# The columns the TICKIT UNLOAD writes (sql/tickit/unload/sales_by_category.sql).
SALES_BY_CATEGORY_COLUMNS = ["sale_date", "sale_count", "tickets_sold", "gross_sales", "commission"]


def _lake_table(glue, database: str, table: str, columns: list[str], zone="silver/synthea"):
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "StorageDescriptor": {
                "Columns": [{"Name": c, "Type": "string"} for c in columns],
                "Location": f"s3://lake/{zone}/{table}/",
            },
        },
    )


@pytest.fixture(scope="module")
def ingested(new_pipeline):
    pipeline = new_pipeline("datahub__ingest_metadata")
    glue = pipeline.aws.client("glue")
    gold = pipeline.names.database(GOLD_DATABASE)  # the stack's, as its silver below
    _lake_table(glue, gold, "sales_by_category", SALES_BY_CATEGORY_COLUMNS, "gold/tickit")
    # The stack's silver database: the ingestion role reads this stack's databases only.
    silver = pipeline.names.database("lake_silver")
    _lake_table(glue, silver, "patients", ["id", "first", "last", "address"])
    _lake_table(glue, silver, "claims_summary", ["id", "amount"])
    scratch = pipeline.names.database("scratch")  # matches no lakehouse pattern
    glue.create_database(DatabaseInput={"Name": scratch})
    _lake_table(glue, scratch, "patients", ["id"])
    result = pipeline.run(
        "datahub__ingest_metadata", DAY, only="datahub_configured|ingest_(glossary|glue)"
    )
    return pipeline, result


def _ecs_tasks(pipeline):
    from moto.ecs.models import ecs_backends

    backend = ecs_backends[pipeline.aws.account_id][pipeline.aws.region]
    cluster = pipeline.variables[Var.DATAHUB_ECS_CLUSTER]
    return backend, list(backend.tasks.get(cluster, {}).values())


def test_glossary_then_glue_succeed(ingested):
    _, result = ingested
    assert result.state == "success", [(t.task_id, t.state, t.log) for t in result.failed]
    assert [t.task_id for t in result.tasks] == [
        "datahub_configured",
        "ingest_glossary",
        "ingest_glue",
    ]


def test_run_task_requests_carry_only_the_command(ingested):
    pipeline, _ = ingested
    backend, tasks = _ecs_tasks(pipeline)
    assert len(tasks) == 2
    secrets = {FAKE_KEY, "local-placeholder"}
    for task in tasks:
        definition = backend.describe_task_definition(task.task_definition_arn)
        assert definition.container_definitions[0]["image"] == datahub.INGESTION_IMAGE
        assert task.launch_type == "FARGATE"
        (override,) = task.overrides["containerOverrides"]
        assert set(override) == {"name", "command"}
        assert override["name"] == CONTAINER_NAME
        text = json.dumps(task.overrides)
        assert not any(secret in text for secret in secrets)
        assert not any(word in text.lower() for word in ("password", "token", "secret"))
    commands = [t.overrides["containerOverrides"][0]["command"] for t in tasks]
    assert sorted(commands) == sorted(ingest_command(r) for r in (GLOSSARY_RECIPE, "glue.yml"))


def test_image_is_pinned_to_the_locked_cli():
    lock = (ROOT / "requirements" / "datahub" / "lock.txt").read_text()
    version = datahub.INGESTION_IMAGE.rsplit(":v", 1)[1]
    assert f"acryl-datahub=={version}\n" in lock
    assert "-slim" not in datahub.INGESTION_IMAGE


def test_summary_reaches_the_task_log(ingested):
    _, result = ingested
    log = next(t for t in result.tasks if t.task_id == "ingest_glue").log.read_text()
    assert "DataHub ingestion summary" in log
    assert "Pipeline finished successfully" in log
    assert "events_produced" in log


def test_one_dataset_per_lakehouse_table_with_tags_owner_and_terms(ingested):
    pipeline, _ = ingested
    output = datahub.output_dir(pipeline) / "glue.json"
    summary = datahub.summarize(json.loads(output.read_text()))
    gold = pipeline.names.database(GOLD_DATABASE)
    silver = pipeline.names.database("lake_silver")
    names = {urn.split(",")[1] for urn in summary["datasets"]}
    assert names == {
        f"{gold}.sales_by_category",
        f"{silver}.patients",
        f"{silver}.claims_summary",
    }
    owner = f"urn:li:corpGroup:{Team.DATA_PLATFORM.value} (DATAOWNER)"
    for urn, info in summary["datasets"].items():
        assert info["fields"], urn
        assert info["owners"] == [owner], urn
        assert {t.split(":")[3] for t in info["tags"]} == {"env", "account", "region"}, urn
    terms = {urn.split(",")[1]: info["terms"] for urn, info in summary["datasets"].items()}
    assert terms[f"{gold}.sales_by_category"] == [GLOSSARY_TERM + "Classification.Confidential"]
    assert GLOSSARY_TERM + "PersonalInformation.Address" in terms[f"{silver}.patients"]
    assert terms[f"{silver}.claims_summary"] == []
    fields = next(i for u, i in summary["datasets"].items() if "sales_by_category" in u)["fields"]
    table = pipeline.aws.client("glue").get_table(DatabaseName=gold, Name="sales_by_category")
    columns = {c["Name"] for c in table["Table"]["StorageDescriptor"]["Columns"]}
    assert columns and columns <= {f.rsplit(".", 1)[-1] for f in fields}


def test_glossary_output_defines_every_term_used(ingested):
    pipeline, _ = ingested
    glossary = datahub.summarize(
        json.loads((datahub.output_dir(pipeline) / "glossary.json").read_text())
    )
    assert glossary["entities"] == {"glossaryNode": 2, "glossaryTerm": 10}


@pytest.mark.parametrize(
    ("role", "action", "resource"),
    [
        # ECS: the task starting the ingestion container, and passing it its roles.
        ("MwaaExecutionRole", "ecs:RunTask", "task-definition/{family}:"),
        ("MwaaExecutionRole", "iam:PassRole", "role/{task_role}"),
        # The container, as the task role: its recipes from the MWAA bucket, the catalog.
        ("DataHubTaskRole", "s3:GetObject", "arn:aws:s3:::{mwaa}/dags/recipes/"),
        ("DataHubTaskRole", "glue:GetTables", "table/{gold}/*"),
    ],
)
def test_removing_a_permission_the_ingestion_uses_fails_naming_role_action_and_resource(
    ingested, role, action, resource
):
    pipeline, _ = ingested
    lines = denials_without(pipeline.accesses, pipeline.policies(), role, action)
    expected = resource.format(
        family=pipeline.variables[Var.DATAHUB_TASK_DEFINITION],
        task_role=pipeline.roles["DataHubTaskRole"],  # as CloudFormation named it
        mwaa=pipeline.names.bucket("mwaa"),
        gold=pipeline.names.database(GOLD_DATABASE),
    )
    assert lines and all(line.startswith(f"DENIED {role}: {action} on ") for line in lines)
    assert any(expected in line for line in lines), lines
    assert all(f") -> change infra/pipelines.yaml: {role}" in line for line in lines)


def test_without_a_datahub_server_the_ingestion_skips_with_one_reason(ingested):
    pipeline, _ = ingested
    # What the settings step writes while the stack's DataHubGmsUrl is empty.
    with pipeline.variable_written(Var.DATAHUB_GMS_URL, "none"):
        result = pipeline.run(
            "datahub__ingest_metadata", date(2008, 1, 4), only="datahub_configured|ingest_glossary"
        )
    assert result.state == "success"
    states = {t.task_id: t.state for t in result.tasks}
    assert states == {"datahub_configured": "success", "ingest_glossary": "skipped"}
    log = next(t for t in result.tasks if t.task_id == "datahub_configured").log.read_text()
    assert "DataHub: no server configured (Variable datahub_gms_url is 'none')" in log
