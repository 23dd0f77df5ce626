"""Redshift ``UNLOAD`` on PostgreSQL: run the query, write files into moto's S3.

Mirrors Redshift's layout: ``<prefix>0000_part_00[.parquet]``, Hive-style partition folders
(partition columns not in the files), and the not-empty check unless CLEANPATH or
ALLOWOVERWRITE.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq

from devkit.emulator.redshift import sql as redshift_sql
from devkit.emulator.redshift.errors import RedshiftError
from devkit.emulator.redshift.pgtypes import arrow_table
from devkit.emulator.redshift.sql import UnloadCommand
from devkit.emulator.s3 import store as s3store
from devkit.iam import emulated
from devkit.iam.recorder import current_principal

NOT_EMPTY = (
    "Specified unload destination on S3 is not empty. Consider using a different bucket / "
    "prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option."
)
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def _prepare_destination(bucket: str, prefix: str, cmd: UnloadCommand) -> None:
    if not s3store.bucket_exists(bucket):
        raise RedshiftError(f"S3ServiceException:The specified bucket does not exist: {bucket}")
    emulated.s3_listed(current_principal(), "Redshift UNLOAD", bucket, prefix)
    existing = s3store.list_keys(bucket, prefix)
    if existing and cmd.cleanpath:
        emulated.s3_objects(
            current_principal(), "Redshift UNLOAD CLEANPATH", "s3:DeleteObject", bucket, existing
        )
        for key in existing:
            s3store.delete_key(bucket, key)
    elif existing and not cmd.allowoverwrite:
        raise RedshiftError(NOT_EMPTY)


def _partition_value(value) -> str:
    if value is None:
        return HIVE_NULL
    if isinstance(value, dt.datetime):
        value = value.isoformat(sep=" ")
    return quote(str(value), safe=" -_.:")


def _serialise(table: pa.Table, cmd: UnloadCommand) -> tuple[bytes, str]:
    """File body and name suffix for the UNLOAD format."""
    if cmd.format == "PARQUET":
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="snappy")
        return sink.getvalue(), ".parquet"
    if cmd.format not in ("CSV", "TEXT"):
        raise RedshiftError(f"devkit UNLOAD does not support FORMAT {cmd.format}")
    delimiter = cmd.delimiter or ("," if cmd.format == "CSV" else "|")
    buffer = io.StringIO()
    quoting = csv.QUOTE_MINIMAL if cmd.format == "CSV" else csv.QUOTE_NONE
    writer = csv.writer(
        buffer, delimiter=delimiter, quoting=quoting, escapechar="\\", lineterminator="\n"
    )
    if cmd.header:
        writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([cmd.null_as if v is None else v for v in row.values()])
    body = buffer.getvalue().encode("utf-8")
    if cmd.gzip:
        return gzip.compress(body), ".gz"
    return body, ""


def _groups(table: pa.Table, cmd: UnloadCommand) -> list[tuple[str, pa.Table]]:
    """(relative folder, rows) per partition; one group with folder '' when unpartitioned."""
    if not cmd.partition_by:
        return [("", table)]
    missing = [c for c in cmd.partition_by if c not in table.column_names]
    if missing:
        raise RedshiftError(f"PARTITION BY column '{missing[0]}' is not in the UNLOAD query")
    keys = list(zip(*(table.column(c).to_pylist() for c in cmd.partition_by)))
    order: dict[tuple, list[int]] = {}
    for index, key in enumerate(keys):
        order.setdefault(key, []).append(index)
    data = table if cmd.partition_include else table.drop_columns(cmd.partition_by)
    groups = []
    for key, indices in order.items():
        folder = "".join(f"{c}={_partition_value(v)}/" for c, v in zip(cmd.partition_by, key))
        groups.append((folder, data.take(pa.array(indices, type=pa.int64()))))
    return groups


def run_unload(cur, cmd: UnloadCommand) -> int:
    """Run the UNLOAD; returns the number of rows written."""
    bucket, prefix = s3store.split_uri(cmd.s3_uri)
    _prepare_destination(bucket, prefix, cmd)
    cur.execute(redshift_sql.to_postgres(cmd.query))
    if cur.description is None:
        raise RedshiftError("UNLOAD query must return rows")
    table = arrow_table(cur.description, cur.fetchall())
    base = prefix
    if cmd.partition_by and base and not base.endswith("/"):
        base += "/"
    for folder, rows in _groups(table, cmd):
        body, suffix = _serialise(rows, cmd)
        key = f"{base}{folder}0000_part_00{suffix}"
        emulated.s3_objects(current_principal(), "Redshift UNLOAD", "s3:PutObject", bucket, [key])
        s3store.put_bytes(bucket, key, body)
    return table.num_rows
