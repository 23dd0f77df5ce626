"""The database bootstrap: users and grants, through the Redshift Data API as the admin.

Redshift maps the MWAA execution role to the database user `IAMR:<role name>`
with no privileges beyond PUBLIC, so `CREATE SCHEMA tickit` fails until someone
grants it; the DataHub recipe logs in as a user nobody has created. These steps
need the namespace's admin, whose password Redshift keeps in its managed secret
(`RedshiftAdminSecretName`). `run_bootstrap` renders each file of
sql/redshift_bootstrap/ with the stack's names and runs it as one transaction
(BatchExecuteStatement with the admin's SecretArn), in file order. The files are
idempotent: the users that exist are read from pg_user first; grants and
`CREATE SCHEMA IF NOT EXISTS` repeat harmlessly.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from deploy.errors import DeployError

SQL_DIR = Path(__file__).resolve().parent.parent / "sql" / "redshift_bootstrap"
OUTPUTS = (
    "RedshiftWorkgroup",
    "RedshiftDatabase",
    "RedshiftAdminSecretName",
    "MwaaExecutionRoleArn",
    "DataHubRedshiftSecretArn",
)
_PASSWORD = re.compile(r"(PASSWORD\s+)'(?:[^']|'')*'", re.I)
# A statement: quoted strings and identifiers (which may hold `;`) or anything but `;`.
_STATEMENT = re.compile(r"(?:'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[^;'\"])+")


def identifier(name: str) -> str:
    """A quoted SQL identifier: `IAMR:role` -> `"IAMR:role"`."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def pipeline_user(role_arn: str) -> str:
    """The user Redshift maps the MWAA execution role to: `IAMR:<role name>`."""
    return f"IAMR:{role_arn.rsplit('/', 1)[-1]}"


def run_bootstrap(clients, outputs: dict[str, str]) -> list[str]:
    """Run every file of sql/redshift_bootstrap/ as the admin; returns what each did."""
    missing = [key for key in OUTPUTS if not outputs.get(key)]
    if missing:
        raise DeployError(
            f"the database bootstrap needs the stack outputs {', '.join(missing)}: apply "
            "infra/pipelines.yaml (python -m deploy infra apply) and rerun"
        )
    admin = clients.secretsmanager.describe_secret(SecretId=outputs["RedshiftAdminSecretName"])
    target = {
        "WorkgroupName": outputs["RedshiftWorkgroup"],
        "Database": outputs["RedshiftDatabase"],
        "SecretArn": admin["ARN"],
    }
    datahub = json.loads(
        clients.secretsmanager.get_secret_value(SecretId=outputs["DataHubRedshiftSecretArn"])[
            "SecretString"
        ]
    )
    users = {"pipeline": pipeline_user(outputs["MwaaExecutionRoleArn"])}
    users["datahub"] = datahub["username"]
    existing = _existing_users(clients.redshift_data, target, list(users.values()))
    params = {
        "pipeline_user": identifier(users["pipeline"]),
        "pipeline_user_exists": users["pipeline"] in existing,
        "datahub_user": identifier(users["datahub"]),
        "datahub_user_exists": users["datahub"] in existing,
        "datahub_password": literal(datahub["password"]),
        "database": identifier(outputs["RedshiftDatabase"]),
    }
    done = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        statements = render(path, params)
        _run(clients.redshift_data, target, statements, path)
        done.append(f"{path.name}: {len(statements)} statement(s) as the admin")
    return done


def render(path: Path, params: dict) -> list[str]:
    """The file's statements with `params` filled in (Jinja, as sqlfluff lints them)."""
    from jinja2 import StrictUndefined, Template

    text = Template(path.read_text(), undefined=StrictUndefined).render(params=params)
    lines = [line for line in text.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in _STATEMENT.findall("\n".join(lines)) if s.strip()]


def _existing_users(data_api, target: dict, names: list[str]) -> set[str]:
    sql = f"SELECT usename FROM pg_user WHERE usename IN ({', '.join(map(literal, names))})"
    statement = data_api.execute_statement(Sql=sql, **target)
    _wait(data_api, statement["Id"], "reading pg_user")
    result = data_api.get_statement_result(Id=statement["Id"])
    return {row[0]["stringValue"] for row in result["Records"]}


def _run(data_api, target: dict, statements: list[str], path: Path) -> None:
    statement = data_api.batch_execute_statement(Sqls=statements, **target)
    _wait(data_api, statement["Id"], f"sql/redshift_bootstrap/{path.name}")


def _wait(data_api, statement_id: str, what: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        described = data_api.describe_statement(Id=statement_id)
        if described["Status"] == "FINISHED":
            return
        if described["Status"] in ("FAILED", "ABORTED"):
            error = _PASSWORD.sub(r"\1'***'", described.get("Error", described["Status"]))
            raise DeployError(
                f"database bootstrap failed in {what} (statement {statement_id}): {error}. "
                "Fix the file and rerun python -m deploy up; every file is idempotent"
            )
        if time.monotonic() > deadline:
            raise DeployError(f"database bootstrap: {what} still running after {timeout:.0f} s")
        time.sleep(1.0)
