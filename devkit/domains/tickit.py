"""TICKIT: extracts in the landing bucket, the warehouse (Postgres for Redshift), its gold."""

from __future__ import annotations

from datetime import date
from functools import cache

from deploy.sample_data.tickit import TickitData, extract_objects, generate
from devkit.domains import LocalDomain
from devkit.domains.house import MWAA_ROLE
from devkit.emulator import REDSHIFT_ROLE_ARN
from devkit.iam import recorder
from devkit.iam.policies import template_name
from lakehouse.conventions import Conn, Var
from lakehouse.tickit import GOLD_SALES_BY_CATEGORY_PREFIX, SCHEMA, TABLES

WAREHOUSE = "dev"  # the Redshift database
GOLD_DATABASE = "tickit_gold"  # the Glue database of the gold tables

# What selects this family's tests in the gate (devkit/domains/families.py reads these
# literals without importing this module). Its extracts feed the data lake's bronze.
GATE_PATHS = (
    "dags/tickit__*",
    "dags/lakehouse/tickit.py",
    "dags/lakehouse/redshift.py",
    "dags/lakehouse/athena.py",  # its gold is read back through Athena
    "sql/tickit/**",
    "devkit/domains/tickit.py",
    "devkit/domains/lineage.py",  # the lineage its tests record
    "deploy/sample_data/tickit.py",
    # The warehouse: the database bootstrap and the Redshift emulation.
    "deploy/redshift_bootstrap.py",
    "sql/redshift_bootstrap/**",
    "devkit/emulator/redshift/users.py",
    "devkit/emulator/redshift/sql.py",
    "devkit/emulator/redshift/copy_load.py",
    "devkit/emulator/redshift/data_api.py",
    "devkit/emulator/redshift/engine.py",
    "devkit/emulator/redshift/unload.py",
    "devkit/emulator/redshift/pgtypes.py",
    "devkit/emulator/athena/table_metadata.py",
)
GATE_TESTS = (
    "tests/dags/test_*tickit*.py",
    "tests/dags/lakehouse/test_tickit.py",
    "tests/dags/lakehouse/test_redshift.py",
    "tests/dags/test_redshift_privileges.py",
    "tests/sql/test_tickit_*.py",
    "tests/sql/test_redshift_bootstrap.py",
    "tests/devkit/emulator/redshift/test_copy_load.py",
    "tests/devkit/emulator/redshift/test_data_api.py",
    "tests/devkit/emulator/redshift/test_unload.py",
    "tests/devkit/emulator/redshift/test_sql.py",
    "tests/deploy/sample_data/test_tickit.py",
)


@cache
def sample_data(scale: float) -> TickitData:
    return generate(scale)


class Tickit(LocalDomain):
    name = "tickit"

    def provision(self, env) -> None:
        """The stack made the warehouse, the gold Glue database and its crawler, and deploy
        up's bootstrap the database users: nothing is left to provision."""

    def variables(self, env) -> dict[str, str]:
        return {
            Var.REDSHIFT_DATABASE: env.names.database(WAREHOUSE),
            Var.REDSHIFT_WORKGROUP: env.names.project,
            Var.GLUE_DATABASE: env.names.database(GOLD_DATABASE),
            Var.TICKIT_GOLD_CRAWLER: template_name("TickitGoldCrawler", env.names.project),
        }

    def connections(self, env) -> dict[str, dict]:
        # The SQL check operators read the same database the Data API writes to.
        return {
            Conn.REDSHIFT_SQL: env.aws.postgres.airflow_connection(
                env.names.database(WAREHOUSE), login=pipeline_user()
            ),
            Conn.REDSHIFT_S3_ROLE: env.aws.aws_connection(
                principal=MWAA_ROLE, role_arn=REDSHIFT_ROLE_ARN
            ),
        }

    def land(self, env, days: list[date]) -> int:
        count = 0
        for day in days:
            for key, body in extract_objects(sample_data(env.scale), day).items():
                env.aws.put_object(env.names.landing_bucket, key, body)
                count += 1
        return count

    def effects(self, env) -> dict[str, object]:
        rows = {
            t.name: env.query(f"SELECT COUNT(*) FROM {SCHEMA}.{t.name}")[0][0]
            for t in TABLES
            if env.query("SELECT to_regclass(%s)", f"{SCHEMA}.{t.name}")[0][0]
        }
        glue = env.aws.client("glue")
        gold = env.names.database(GOLD_DATABASE)
        tables = (
            glue.get_tables(DatabaseName=gold)["TableList"] if _has_database(glue, gold) else []
        )
        return {
            "TICKIT warehouse rows (Redshift, emulated)": rows,
            "Redshift Data API statements": len(env.aws.statements),
            "TICKIT gold Parquet objects": len(
                env.aws.list_keys(env.names.lake_bucket, GOLD_SALES_BY_CATEGORY_PREFIX)
            ),
            f"Glue tables in {gold}": [t["Name"] for t in tables],
        }


def pipeline_user() -> str:
    """The database user Redshift maps the MWAA execution role to (IAM authentication)."""
    from deploy.redshift_bootstrap import pipeline_user as of_role

    return of_role(recorder.role_arn(MWAA_ROLE))


def _has_database(glue, name: str) -> bool:
    return any(d["Name"] == name for d in glue.get_databases()["DatabaseList"])


DOMAIN = Tickit()
