"""Redshift Data API that really runs SQL: moto's responses rerouted to PostgreSQL.

moto only records statements (status STARTED forever, canned results) and has no
BatchExecuteStatement, so the four calls the Airflow hook uses are replaced (declared in
devkit/emulator/moto_extensions.py). Statements run synchronously, so the first
DescribeStatement already sees FINISHED or FAILED.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from moto.redshiftdata.exceptions import ResourceNotFoundException, ValidationException

from devkit.emulator.redshift import pgtypes
from devkit.emulator.redshift import users as redshift_users
from devkit.emulator.redshift.engine import Outcome, run_batch
from devkit.iam import recorder


@dataclass
class StatementRecord:
    """One SQL string received through the Data API (batches give one record per SQL)."""

    id: str
    sql: str
    database: str
    status: str
    error: str | None
    user: str | None = None  # the database user it ran as (None: the namespace's admin)


@dataclass
class _Statement:
    id: str
    params: dict[str, Any]
    outcomes: list[Outcome]
    batch: bool
    created: float = field(default_factory=time.time)


class RedshiftDataService:
    """Statement store plus the PostgreSQL connection factory (database name -> connection)."""

    def __init__(self, connect: Callable[[str], Any]):
        self._connect = connect
        self._lock = threading.Lock()
        self._statements: dict[str, _Statement] = {}
        self.records: list[StatementRecord] = []

    def submit(
        self, params: dict[str, Any], sqls: list[str], batch: bool, user: str | None = None
    ) -> _Statement:
        """Run `sqls` as the database `user` (None: the admin) in one transaction."""
        database = params.get("Database")
        if not database:
            raise ValidationException("Database is required for the devkit Redshift Data API")
        if not sqls or any(not (s or "").strip() for s in sqls):
            raise ValidationException("Sql must not be empty")
        outcomes = run_batch(lambda: self._connect(database), sqls, user)
        statement = _Statement(str(uuid.uuid4()), params, outcomes, batch)
        with self._lock:
            self._statements[statement.id] = statement
            for index, outcome in enumerate(outcomes, 1):
                sub_id = f"{statement.id}:{index}" if batch else statement.id
                self.records.append(
                    StatementRecord(
                        sub_id, outcome.sql, database, outcome.status, outcome.error, user
                    )
                )
        return statement

    def get(self, statement_id: str) -> tuple[_Statement, Outcome | None]:
        """The statement and, for a sub-statement id ``<uuid>:<n>``, that sub-statement."""
        parent, _, index = statement_id.partition(":")
        with self._lock:
            statement = self._statements.get(parent)
        if statement is None:
            raise ResourceNotFoundException()
        if index:
            position = int(index) - 1
            if not statement.batch or not 0 <= position < len(statement.outcomes):
                raise ResourceNotFoundException()
            return statement, statement.outcomes[position]
        return statement, None if statement.batch else statement.outcomes[0]


_service: RedshiftDataService | None = None


def _svc() -> RedshiftDataService:
    if _service is None:
        raise ValidationException("devkit Redshift Data API is not running (no LocalAws)")
    return _service


def _identity(statement: _Statement) -> dict[str, Any]:
    keys = ("ClusterIdentifier", "Database", "DbUser", "SecretArn", "WorkgroupName", "DbGroups")
    out = {k: statement.params[k] for k in keys if statement.params.get(k) is not None}
    out.update({"Id": statement.id, "CreatedAt": statement.created})
    return out


def _describe_outcome(statement_id: str, outcome: Outcome, created: float) -> dict[str, Any]:
    data = {
        "Id": statement_id,
        "QueryString": outcome.sql,
        "Status": outcome.status,
        "HasResultSet": outcome.has_result_set,
        "ResultRows": outcome.row_count,
        "ResultSize": 0,
        "Duration": 0,
        "CreatedAt": created,
        "UpdatedAt": created,
        "RedshiftQueryId": 0,
    }
    if outcome.error:
        data["Error"] = outcome.error
    return data


def _overall(outcomes: list[Outcome]) -> Outcome:
    failed = [o for o in outcomes if o.status == "FAILED"]
    summary = Outcome(sql="; ".join(o.sql for o in outcomes))
    summary.status = "FAILED" if failed else "FINISHED"
    summary.error = failed[0].error if failed else None
    summary.row_count = outcomes[-1].row_count
    summary.description = next((o.description for o in outcomes if o.has_result_set), None)
    return summary


def _caller(self, params: dict[str, Any]) -> str | None:
    """The database user Redshift maps this request's caller to (redshift_users.py)."""
    try:
        return redshift_users.database_user(
            params, recorder.current_principal(), self.current_account, self.region
        )
    except redshift_users.UnknownDatabaseUser as err:
        raise ValidationException(str(err)) from None


def execute_statement(self) -> tuple[int, dict, str]:
    params = json.loads(self.body)
    statement = _svc().submit(params, [self._get_param("Sql")], False, _caller(self, params))
    return 200, {}, json.dumps(_identity(statement))


def batch_execute_statement(self) -> tuple[int, dict, str]:
    params = json.loads(self.body)
    sqls = list(self._get_param("Sqls") or [])
    statement = _svc().submit(params, sqls, True, _caller(self, params))
    return 200, {}, json.dumps(_identity(statement))


def describe_statement(self) -> tuple[int, dict, str]:
    statement, outcome = _svc().get(self._get_param("Id"))
    data = _identity(statement)
    if outcome is not None and not statement.batch:
        data.update(_describe_outcome(statement.id, outcome, statement.created))
    elif outcome is not None:
        data.update(_describe_outcome(self._get_param("Id"), outcome, statement.created))
    else:
        data.update(
            _describe_outcome(statement.id, _overall(statement.outcomes), statement.created)
        )
        data["SubStatements"] = [
            _describe_outcome(f"{statement.id}:{i}", o, statement.created)
            for i, o in enumerate(statement.outcomes, 1)
        ]
    return 200, {}, json.dumps(data)


def get_statement_result(self) -> tuple[int, dict, str]:
    statement, outcome = _svc().get(self._get_param("Id"))
    if outcome is None:
        raise ValidationException("For a batch statement use a sub-statement Id (<id>:<n>)")
    if outcome.status != "FINISHED" or not outcome.has_result_set:
        raise ResourceNotFoundException()
    body = {
        "ColumnMetadata": pgtypes.column_metadata(outcome.description),
        "Records": [[pgtypes.to_field(v) for v in row] for row in outcome.rows],
        "TotalNumRows": len(outcome.rows),
    }
    return 200, {}, json.dumps(body)


def serve(service: RedshiftDataService | None) -> None:
    """The service the replaced responses (moto_extensions.py) run statements on; None
    while no emulation runs."""
    global _service
    _service = service
