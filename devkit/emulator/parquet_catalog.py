"""Infer a Glue table (columns, Hive partitions) from the Parquet objects under an S3 path."""

from __future__ import annotations

import io
from urllib.parse import unquote
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from devkit.emulator import s3store

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"


@dataclass
class ScannedTable:
    """What a crawler would catalog for one S3 folder."""

    location: str
    columns: list[dict[str, str]]
    partition_keys: list[str]
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)


def glue_type(dtype: pa.DataType) -> str:
    """Arrow type -> Glue/Hive type name."""
    if pa.types.is_decimal(dtype):
        return f"decimal({dtype.precision},{dtype.scale})"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    simple = {
        pa.int8(): "tinyint",
        pa.int16(): "smallint",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.float32(): "float",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.binary(): "binary",
    }
    return simple.get(dtype, "string")


def _partition_parts(relative_key: str) -> list[tuple[str, str]]:
    folders = relative_key.split("/")[:-1]
    return [tuple(f.split("=", 1)) for f in folders if "=" in f]


def is_data_file(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", ".")) and not name.endswith(".crc")


def parquet_keys(bucket: str, prefix: str) -> list[str]:
    return [k for k in s3store.list_keys(bucket, prefix) if is_data_file(k)]


def scan(location: str) -> ScannedTable | None:
    """Schema from the newest-looking Parquet file; partitions from ``k=v`` folders."""
    bucket, prefix = s3store.split_uri(location)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    keys = parquet_keys(bucket, prefix)
    if not keys:
        return None
    schema = pq.read_schema(io.BytesIO(s3store.get_bytes(bucket, keys[-1])))
    partition_keys = [name for name, _ in _partition_parts(keys[0][len(prefix) :])]
    base = f"s3://{bucket}/{prefix}"
    table = ScannedTable(
        location=base,
        columns=[
            {"Name": f.name, "Type": glue_type(f.type)}
            for f in schema
            if f.name not in partition_keys
        ],
        partition_keys=partition_keys,
    )
    for key in keys:
        parts = _partition_parts(key[len(prefix) :])
        if [name for name, _ in parts] != partition_keys or not parts:
            continue
        folder = "".join(f"{name}={value}/" for name, value in parts)
        table.partitions[tuple(unquote(value) for _, value in parts)] = base + folder
    return table


def storage_descriptor(columns: list[dict[str, str]], location: str) -> dict:
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": PARQUET_INPUT,
        "OutputFormat": PARQUET_OUTPUT,
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {}},
        "Compressed": False,
        "StoredAsSubDirectories": False,
    }


def table_input(name: str, scanned: ScannedTable) -> dict:
    return {
        "Name": name,
        "StorageDescriptor": storage_descriptor(scanned.columns, scanned.location),
        "PartitionKeys": [{"Name": k, "Type": "string"} for k in scanned.partition_keys],
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "typeOfData": "file"},
    }


def partition_input(values: tuple[str, ...], columns, location: str) -> dict:
    return {"Values": list(values), "StorageDescriptor": storage_descriptor(columns, location)}
