"""Infer a Glue table (columns, Hive partitions) from the Parquet objects under an S3 path.

CSV with a header row (the lake's bronze Synthea export) is cataloged too: columns from
the header, all typed string (the silver jobs own the types), OpenCSVSerde.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq

from devkit.emulator.s3 import store as s3store

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
CSV_SUFFIXES = (".csv", ".csv.gz")


@dataclass
class ScannedTable:
    """What a crawler would catalog for one S3 folder."""

    location: str
    columns: list[dict[str, str]]
    partition_keys: list[str]
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)
    classification: str = "parquet"


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
    partition_keys = [name for name, _ in _partition_parts(keys[0][len(prefix) :])]
    base = f"s3://{bucket}/{prefix}"
    if keys[-1].lower().endswith(CSV_SUFFIXES):
        columns = [{"Name": name, "Type": "string"} for name in csv_header(bucket, keys[-1])]
        classification = "csv"
    else:
        schema = pq.read_schema(io.BytesIO(s3store.get_bytes(bucket, keys[-1])))
        columns = [{"Name": f.name, "Type": glue_type(f.type)} for f in schema]
        classification = "parquet"
    table = ScannedTable(
        location=base,
        columns=[c for c in columns if c["Name"] not in partition_keys],
        partition_keys=partition_keys,
        classification=classification,
    )
    for key in keys:
        parts = _partition_parts(key[len(prefix) :])
        if [name for name, _ in parts] != partition_keys or not parts:
            continue
        folder = "".join(f"{name}={value}/" for name, value in parts)
        table.partitions[tuple(unquote(value) for _, value in parts)] = base + folder
    return table


def csv_header(bucket: str, key: str) -> list[str]:
    """Column names of a CSV object's header row, lower case like Glue's CSV classifier."""
    data = s3store.get_bytes(bucket, key)
    if key.lower().endswith(".gz"):
        data = gzip.decompress(data)
    first = data.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    names = next(csv.reader([first]), [])
    if not names or any(not name.strip() for name in names):
        raise ValueError(f"s3://{bucket}/{key}: no CSV header row")
    return [name.strip().lower() for name in names]


def storage_descriptor(
    columns: list[dict[str, str]], location: str, classification: str = "parquet"
) -> dict:
    if classification == "csv":
        formats = (TEXT_INPUT, TEXT_OUTPUT)
        serde = {
            "SerializationLibrary": CSV_SERDE,
            "Parameters": {"separatorChar": ",", "quoteChar": '"', "escapeChar": "\\"},
        }
    else:
        formats = (PARQUET_INPUT, PARQUET_OUTPUT)
        serde = {"SerializationLibrary": PARQUET_SERDE, "Parameters": {}}
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": formats[0],
        "OutputFormat": formats[1],
        "SerdeInfo": serde,
        "Compressed": False,
        "StoredAsSubDirectories": False,
    }


def table_input(name: str, scanned: ScannedTable) -> dict:
    return {
        "Name": name,
        "StorageDescriptor": storage_descriptor(
            scanned.columns, scanned.location, scanned.classification
        ),
        "PartitionKeys": [{"Name": k, "Type": "string"} for k in scanned.partition_keys],
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": scanned.classification,
            "typeOfData": "file",
            **({"skip.header.line.count": "1"} if scanned.classification == "csv" else {}),
        },
    }


def partition_input(
    values: tuple[str, ...], columns, location: str, classification: str = "parquet"
) -> dict:
    return {
        "Values": list(values),
        "StorageDescriptor": storage_descriptor(columns, location, classification),
    }
