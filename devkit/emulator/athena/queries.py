"""Athena that answers queries: SELECTs run in DuckDB over the Glue catalog's Parquet data.

moto marks every query SUCCEEDED with no rows. Here StartQueryExecution resolves each
``database.table`` through moto's Glue catalog, loads that table's Parquet objects from moto's
S3 (Hive folders become partition columns) and runs the query synchronously. A failing query
ends FAILED with a StateChangeReason; results are also written to the OutputLocation as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
from pathlib import Path

import duckdb
import sqlglot
from moto.athena.models import AthenaBackend, QueryResults
from moto.athena.responses import AthenaResponse
from moto.glue.models import glue_backends
from sqlglot import exp

from devkit.emulator.glue import parquet_catalog
from devkit.emulator.redshift.sql import strip_comments
from devkit.emulator.s3 import store as s3store
from devkit.iam import emulated
from devkit.iam.recorder import Denied, current_principal

_original_start = AthenaBackend.start_query_execution
_original_describe = AthenaResponse.get_query_execution
_DUCK_TYPES = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
_ATHENA_TYPES = {
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "VARCHAR": "varchar",
}


class AthenaQueryError(Exception):
    """Message becomes the execution's StateChangeReason."""


def _duck_type(glue_type: str) -> str:
    glue_type = glue_type.lower()
    if glue_type.startswith(("decimal", "varchar(", "char(")):
        return glue_type.upper() if glue_type.startswith("decimal") else "VARCHAR"
    return _DUCK_TYPES.get(glue_type, "VARCHAR")


def _glue_table(backend: AthenaBackend, database: str, name: str):
    """The table, read from the Glue catalog as Athena does: with the caller's permissions."""
    emulated.glue(current_principal(), "Athena query", ["glue:GetTable"], database, name)
    glue = glue_backends[backend.account_id][backend.region_name]
    db = glue.databases.get(database)
    table = db.tables.get(name) if db else None
    if table is None:
        raise AthenaQueryError(
            f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{database}.{name}' does not exist"
        )
    return table


def _create_view(con, workdir: Path, view: str, table) -> None:
    spec = table.as_dict()
    sd = spec["StorageDescriptor"]
    partition_keys = spec.get("PartitionKeys") or []
    bucket, prefix = s3store.split_uri(sd["Location"])
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    caller = current_principal()
    if partition_keys:
        database, name = spec.get("DatabaseName", ""), spec["Name"]
        emulated.glue(caller, "Athena query", ["glue:GetPartitions"], database, name)
    emulated.s3_listed(caller, "Athena query", bucket, prefix)
    keys = parquet_catalog.parquet_keys(bucket, prefix)
    emulated.s3_objects(caller, "Athena query", "s3:GetObject", bucket, keys)
    paths = []
    for key in keys:
        path = workdir / view / key[len(prefix) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3store.get_bytes(bucket, key))
        paths.append(str(path))
    columns = list(sd.get("Columns") or []) + list(partition_keys)
    if not paths:
        nulls = ", ".join(
            f'CAST(NULL AS {_duck_type(c["Type"])}) AS "{c["Name"]}"' for c in columns
        )
        con.execute(f'CREATE VIEW "{view}" AS SELECT {nulls} WHERE false')
        return
    hive = {k["Name"]: _duck_type(k["Type"]) for k in partition_keys}
    options = f", hive_partitioning = true, hive_types = {hive!r}" if hive else ""
    files = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    con.execute(f'CREATE VIEW "{view}" AS SELECT * FROM read_parquet([{files}]{options})')


def _parse(sql: str) -> exp.Expression:
    """Athena dialect first; Trino/DuckDB parse some identifiers sqlglot's Athena rejects."""
    error: Exception | None = None
    for dialect in ("athena", "trino", "duckdb"):
        try:
            return sqlglot.parse_one(sql, read=dialect)
        except sqlglot.errors.SqlglotError as err:
            error = error or err
    raise AthenaQueryError(f"SYNTAX_ERROR: {error}")


def _rewrite(con, workdir: Path, backend, sql: str, database: str | None) -> str:
    """Point every catalog table at a DuckDB view; returns DuckDB SQL."""
    tree = _parse(sql)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for index, node in enumerate(list(tree.find_all(exp.Table))):
        if not node.db and node.name in ctes:
            continue
        db = node.db or database
        if not db:
            raise AthenaQueryError(f"SCHEMA_NOT_FOUND: no database given for table {node.name}")
        view = f"glue_{index}_{node.name}"
        _create_view(con, workdir, view, _glue_table(backend, db, node.name))
        alias = node.alias or node.name
        node.replace(exp.to_table(view).as_(alias))
    return tree.sql(dialect="duckdb")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    return str(value)


def _column_info(name: str, duck_type: str) -> dict:
    match = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", duck_type)
    athena_type = "decimal" if match else _ATHENA_TYPES.get(duck_type, "varchar")
    if duck_type.startswith("TIMESTAMP"):
        athena_type = "timestamp"
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": athena_type,
        "Precision": int(match.group(1)) if match else 0,
        "Scale": int(match.group(2)) if match else 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": athena_type == "varchar",
    }


def run_query(backend: AthenaBackend, sql: str, database: str | None) -> QueryResults:
    """Execute one Athena SELECT; header row first, like GetQueryResults."""
    statement = strip_comments(sql).strip().rstrip(";")
    if re.match(r"^MSCK\s+REPAIR\s+TABLE\s+", statement, re.I):
        return _repair(backend, statement, database)
    if not re.match(r"^\s*(\(\s*)*(SELECT|WITH|VALUES)\b", statement, re.I):
        raise AthenaQueryError("devkit Athena runs SELECT queries and MSCK REPAIR TABLE only")
    with tempfile.TemporaryDirectory(prefix="devkit-athena-") as tmp:
        con = duckdb.connect()
        try:
            query = _rewrite(con, Path(tmp), backend, statement, database)
            relation = con.sql(query)
            names, types = relation.columns, [str(t) for t in relation.types]
            rows = relation.fetchall()
        except (duckdb.Error, sqlglot.errors.SqlglotError) as err:
            raise AthenaQueryError(f"{type(err).__name__}: {err}") from err
        finally:
            con.close()
    data = [{"Data": [{"VarCharValue": n} for n in names]}]
    for row in rows:
        data.append({"Data": [{} if v is None else {"VarCharValue": _text(v)} for v in row]})
    return QueryResults(rows=data, column_info=[_column_info(n, t) for n, t in zip(names, types)])


def _repair(backend: AthenaBackend, statement: str, database: str | None) -> QueryResults:
    """MSCK REPAIR TABLE: add partitions found under the table location."""
    name = statement.split()[-1].strip('`"')
    db, _, table_name = name.rpartition(".")
    table = _glue_table(backend, db or database or "", table_name)
    sd = table.as_dict()["StorageDescriptor"]
    bucket, prefix = s3store.split_uri(sd["Location"])
    emulated.s3_listed(current_principal(), "Athena MSCK REPAIR", bucket, prefix)
    emulated.glue(
        current_principal(),
        "Athena MSCK REPAIR",
        ["glue:GetPartitions", "glue:BatchCreatePartition"],
        db or database or "",
        table_name,
    )
    scanned = parquet_catalog.scan(sd["Location"])
    for values, location in (scanned.partitions if scanned else {}).items():
        if str(list(values)) not in table.partitions:
            columns = sd.get("Columns") or []
            table.create_partition(parquet_catalog.partition_input(values, columns, location))
    return QueryResults(rows=[], column_info=[])


def _write_output(execution, results: QueryResults) -> None:
    location = (execution.config or {}).get("OutputLocation")
    if not location:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in results.rows:
        writer.writerow([cell.get("VarCharValue") for cell in row["Data"]])
    text = buffer.getvalue()
    bucket, key = s3store.split_uri(location)
    emulated.s3_bucket(current_principal(), "Athena results", "s3:GetBucketLocation", bucket)
    emulated.s3_objects(current_principal(), "Athena results", "s3:PutObject", bucket, [key])
    if not s3store.bucket_exists(bucket):
        raise AthenaQueryError(f"Unable to verify/create output bucket {bucket}")
    s3store.put_bytes(bucket, key, text.encode("utf-8"))


def start_query_execution(self: AthenaBackend, query, context, config, workgroup, **kwargs):
    exec_id = _original_start(self, query, context, config, workgroup, **kwargs)
    execution = self.executions[exec_id]
    database = (context or {}).get("Database")
    try:
        results = run_query(self, query, database)
        _write_output(execution, results)
    except (AthenaQueryError, Denied) as err:  # Denied: the caller may not read or write S3
        execution.status = "FAILED"
        execution.devkit_error = str(err)
        return exec_id
    self.query_results[exec_id] = results
    return exec_id


def get_query_execution(self: AthenaResponse) -> str:
    body = json.loads(_original_describe(self))
    execution = self.athena_backend.executions[self._get_param("QueryExecutionId")]
    error = getattr(execution, "devkit_error", None)
    if error:
        body["QueryExecution"]["Status"]["StateChangeReason"] = error
        body["QueryExecution"]["Status"]["AthenaError"] = {
            "ErrorCategory": 2,
            "ErrorType": 1006,
            "Retryable": False,
            "ErrorMessage": error,
        }
    return json.dumps(body)
