"""Run Redshift statements on PostgreSQL: one transaction per submission, like Redshift.

COPY and UNLOAD are executed against moto's S3; everything else is translated by
devkit.emulator.redshift.sql and run as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from devkit.emulator.redshift import copy_load
from devkit.emulator.redshift import sql as redshift_sql
from devkit.emulator.redshift import unload
from devkit.emulator.redshift import users as redshift_users
from devkit.emulator.redshift.errors import RedshiftError
from devkit.iam import emulated, recorder


@dataclass
class Outcome:
    """What one submitted SQL string did."""

    sql: str
    status: str = "SUBMITTED"
    error: str | None = None
    description: Any = None
    rows: list[tuple] = field(default_factory=list)
    row_count: int = -1
    running: str = ""  # the statement of `sql` being run (the one named if it fails)

    @property
    def has_result_set(self) -> bool:
        return self.description is not None


def _message(err: Exception, statement: str = "", user: str | None = None) -> str:
    if getattr(err, "pgcode", None) == "42501":  # insufficient_privilege
        primary = getattr(err.diag, "message_primary", None) or str(err).strip()
        return "ERROR: " + redshift_users.explain_denial(primary, statement, user)
    if isinstance(err, RedshiftError):
        return f"ERROR: {err}"
    diag = getattr(err, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if primary:
        context = getattr(diag, "context", None)
        detail = f"\n  Detail: {context.strip()}" if context else ""
        return f"ERROR: {primary}{detail}"
    text = str(err).strip()
    return text if text.startswith("ERROR") else f"ERROR: {text}"


def _run_one(cur, sql: str, outcome: Outcome) -> None:
    for statement in redshift_sql.split_statements(sql):
        kind = redshift_sql.statement_kind(statement)
        if kind == "transaction":
            continue
        outcome.running = statement
        outcome.description, outcome.rows = None, []
        if kind == "copy":
            with recorder.acting_as(emulated.redshift_principal(statement)):
                outcome.row_count = copy_load.run_copy(cur, redshift_sql.parse_copy(statement))
        elif kind == "unload":
            with recorder.acting_as(emulated.redshift_principal(statement)):
                outcome.row_count = unload.run_unload(cur, redshift_sql.parse_unload(statement))
        else:
            cur.execute(redshift_sql.to_postgres(statement))
            outcome.row_count = cur.rowcount
            if cur.description is not None:
                outcome.description = cur.description
                outcome.rows = cur.fetchall()
                outcome.row_count = len(outcome.rows)


def _connect_as(connect: Callable[[], Any], user: str | None):
    """A connection whose session runs as `user` (devkit/emulator/redshift/users.py)."""
    conn = connect()
    if user is not None:
        try:
            redshift_users.become(conn, user)
        except Exception:
            conn.close()
            raise
    return conn


def run_batch(
    connect: Callable[[], Any], sqls: list[str], user: str | None = None
) -> list[Outcome]:
    """Run ``sqls`` in one transaction as the database `user` (None: the admin); on the
    first failure roll back and abort the rest."""
    outcomes = [Outcome(sql) for sql in sqls]
    try:
        conn = _connect_as(connect, user)
    except Exception as err:
        for outcome in outcomes:
            outcome.status, outcome.error = "FAILED", _message(err)
        return outcomes
    try:
        with conn.cursor() as cur:
            for index, outcome in enumerate(outcomes):
                try:
                    _run_one(cur, outcome.sql, outcome)
                except Exception as err:  # any failure fails the whole submission
                    conn.rollback()
                    outcome.status, outcome.error = "FAILED", _message(
                        err, outcome.running or outcome.sql, user
                    )
                    for later in outcomes[index + 1 :]:
                        later.status = "ABORTED"
                    return outcomes
                outcome.status = "FINISHED"
        conn.commit()
    finally:
        conn.close()
    return outcomes
