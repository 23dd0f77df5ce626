"""Athena's GetTableMetadata, answered from the emulated Glue Data Catalog.

moto lacks the call, so AthenaOperator's OpenLineage method (which asks Athena for
the table it read) got a 500, retried for ~7 s, and dropped the dataset. On AWS,
Athena's `AwsDataCatalog` is the Glue Data Catalog, so the emulation answers from
moto's Glue tables in Athena's shape: Columns without the partition keys,
PartitionKeys apart, Parameters with `location` and the storage formats. An unknown
database or table is Athena's MetadataException.
"""

from __future__ import annotations

import json

from moto.athena.responses import AthenaResponse
from moto.core.exceptions import JsonRESTError
from moto.glue.models import glue_backends


class MetadataException(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("MetadataException", message)


def table_metadata(account_id: str, region: str, catalog: str, database: str, name: str) -> dict:
    """Athena's TableMetadata of `database.name` from the Glue catalog of the account/region."""
    if catalog.lower() != "awsdatacatalog":
        raise MetadataException(f"Catalog {catalog} not found (only AwsDataCatalog is emulated)")
    glue = glue_backends[account_id][region]
    db = glue.databases.get(database)
    table = db.tables.get(name) if db else None
    if table is None:
        raise MetadataException(f"Table {name} not found in database {database}")
    spec = table.as_dict()
    storage = spec.get("StorageDescriptor") or {}
    serde = (storage.get("SerdeInfo") or {}).get("SerializationLibrary")
    parameters = {
        **(spec.get("Parameters") or {}),
        "location": storage.get("Location", ""),
        "inputformat": storage.get("InputFormat", ""),
        "outputformat": storage.get("OutputFormat", ""),
    }
    if serde:
        parameters["serde.serialization.lib"] = serde
    metadata = {
        "Name": spec["Name"],
        "TableType": spec.get("TableType", "EXTERNAL_TABLE"),
        "Columns": [_column(c) for c in storage.get("Columns") or []],
        "PartitionKeys": [_column(c) for c in spec.get("PartitionKeys") or []],
        "Parameters": {k: str(v) for k, v in parameters.items()},
    }
    if spec.get("CreateTime") is not None:
        metadata["CreateTime"] = _epoch(spec["CreateTime"])
    return metadata


def _column(column: dict) -> dict:
    return {k: column[k] for k in ("Name", "Type", "Comment") if column.get(k) is not None}


def _epoch(value) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def get_table_metadata(self: AthenaResponse) -> str:
    metadata = table_metadata(
        self.current_account,
        self.region,
        self._get_param("CatalogName"),
        self._get_param("DatabaseName"),
        self._get_param("TableName"),
    )
    return json.dumps({"TableMetadata": metadata})
