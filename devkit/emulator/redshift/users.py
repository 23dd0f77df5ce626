"""Who a Redshift Data API statement runs as, and a denial that names what is missing.

Redshift maps each caller to a database user and checks that user's privileges:
with IAM authentication a role becomes `IAMR:<role name>` (created on first use
with nothing beyond PUBLIC), with a SecretArn the secret's user (the namespace's
managed `redshift!<namespace>-admin` secret: its admin, a superuser). Here each
submission connects as the PostgreSQL superuser, creates that role if missing
(a non-superuser; PUBLIC's privileges only) and switches to it with
SET SESSION AUTHORIZATION, so PostgreSQL enforces the grants for every statement,
COPY and UNLOAD included. The set-up principal (whatever creates the resources:
CloudFormation, an administrator, a test's own set-up) keeps the superuser.
"""

from __future__ import annotations

import json
import re

from devkit.iam import recorder

ADMIN = None  # the namespace's admin: a superuser, no switch
_ADMIN_SECRET = re.compile(r"(?:^|:secret:)redshift!")


class UnknownDatabaseUser(LookupError):
    """A SecretArn whose secret Secrets Manager does not have."""


def iam_user(principal: str) -> str | None:
    """`IAMR:<role name>` for a role's principal; the set-up principal is the admin."""
    if principal == recorder.SETUP:
        return ADMIN
    return f"IAMR:{recorder.ROLE_NAMES.get(principal, principal)}"


def secret_user(secret_arn: str, account_id: str, region: str) -> str | None:
    """The user a SecretArn logs in as: the secret's `username` (None for the admin's)."""
    from moto.secretsmanager.models import secretsmanager_backends

    if _ADMIN_SECRET.search(secret_arn):
        return ADMIN
    secrets = secretsmanager_backends[account_id][region].secrets
    secret = secrets.get(secret_arn)
    if secret is None:
        raise UnknownDatabaseUser(f"secret {secret_arn} does not exist")
    return json.loads(secret.versions[secret.default_version_id]["secret_string"])["username"]


def database_user(params: dict, principal: str, account_id: str, region: str) -> str | None:
    """The database user Redshift runs a Data API call as (None: the admin)."""
    if params.get("SecretArn"):
        return secret_user(params["SecretArn"], account_id, region)
    return iam_user(principal)


def quoted(user: str) -> str:
    return '"' + user.replace('"', '""') + '"'


def become(conn, user: str) -> None:
    """Switch the session to `user`, creating it first as Redshift does for IAM users.

    Only IAM users are created on first use; a password user must exist (the bootstrap
    creates it), or the login fails as on Redshift. One round trip when the user exists.
    """
    with conn.cursor() as cur:
        try:
            cur.execute(f"SET SESSION AUTHORIZATION {quoted(user)}")
            return
        except Exception as err:
            if getattr(err, "pgcode", None) != "42704":  # undefined_object: no such role
                raise
            conn.rollback()
        if not user.startswith(("IAMR:", "IAM:")):
            raise UnknownDatabaseUser(f'password authentication failed for user "{user}"')
        cur.execute(f"CREATE ROLE {quoted(user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        conn.commit()
        cur.execute(f"SET SESSION AUTHORIZATION {quoted(user)}")


# --- a denial that names the statement, the user and the privilege ----------------------

_DENIED = re.compile(r"permission denied for (\w+) (\S+)")
_OWNER = re.compile(r"must be owner of (\w+) (\S+)")
_TARGET = re.compile(
    r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?|COPY)\s+"
    r"([\w.\"]+)",
    re.I,
)
_VERB = {"INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE", "MERGE": "UPDATE"}
_VERB.update({"TRUNCATE": "TRUNCATE", "COPY": "INSERT"})
_PASSWORD = re.compile(r"(PASSWORD\s+)'(?:[^']|'')*'", re.I)


def _table_privilege(statement: str, name: str) -> str:
    """The privilege on a denied table: the DML verb on its target, else SELECT."""
    match = _TARGET.match(statement)
    if match and match.group(2).replace('"', "").split(".")[-1] == name.split(".")[-1]:
        return _VERB[match.group(1).split()[0].upper()]
    return "SELECT"


def missing_privilege(message: str, statement: str) -> str | None:
    """`INSERT on table sales`, `CREATE on database dev`, ... from PostgreSQL's message."""
    if owner := _OWNER.search(message):
        return f"ownership of {owner.group(1)} {owner.group(2)}"
    denied = _DENIED.search(message)
    if denied is None:
        return None
    kind, name = denied.group(1), denied.group(2)
    creates = re.match(r"\s*CREATE\b", statement, re.I) is not None
    if kind == "database":
        privilege = "TEMP" if re.search(r"\bTEMP(ORARY)?\b", statement, re.I) else "CREATE"
    elif kind == "schema":
        privilege = "CREATE" if creates else "USAGE"
    elif kind in ("table", "relation", "view", "sequence"):
        privilege = _table_privilege(statement, name)
    else:
        privilege = "USAGE"
    return f"{privilege} on {kind} {name}"


def explain_denial(message: str, statement: str, user: str | None) -> str:
    """PostgreSQL's denial with the statement, the database user and the missing grant."""
    privilege = missing_privilege(message, statement)
    shown = _PASSWORD.sub(r"\1'***'", " ".join(statement.split()))
    who = quoted(user) if user else "the admin"
    return (
        f"{message}\n  Statement: {shown[:300]}\n  Database user: {who}\n"
        f"  Missing privilege: {privilege or 'see the error above'} (grant it in "
        "sql/redshift_bootstrap/, run by deploy/redshift_bootstrap.py)"
    )
