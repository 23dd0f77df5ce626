"""PostgreSQL result columns -> Redshift Data API fields and Arrow arrays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa

# pg_type OIDs seen in query results.
BOOL, INT8, INT2, INT4, TEXT, FLOAT4, FLOAT8 = 16, 20, 21, 23, 25, 700, 701
BPCHAR, VARCHAR, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, NUMERIC = (
    1042,
    1043,
    1082,
    1083,
    1114,
    1184,
    1700,
)
TYPE_NAMES = {
    BOOL: "bool",
    INT8: "int8",
    INT2: "int2",
    INT4: "int4",
    TEXT: "text",
    FLOAT4: "float4",
    FLOAT8: "float8",
    BPCHAR: "bpchar",
    VARCHAR: "varchar",
    DATE: "date",
    TIME: "time",
    TIMESTAMP: "timestamp",
    TIMESTAMPTZ: "timestamptz",
    NUMERIC: "numeric",
}
_INTS = {INT2: pa.int16(), INT4: pa.int32(), INT8: pa.int64()}


def column_metadata(description) -> list[dict[str, Any]]:
    """ColumnMetadata entries shaped like the Redshift Data API's."""
    out = []
    for col in description:
        type_name = TYPE_NAMES.get(col.type_code, "varchar")
        out.append(
            {
                "name": col.name,
                "label": col.name,
                "typeName": type_name,
                "columnDefault": None,
                "isCaseSensitive": type_name in ("text", "varchar", "bpchar"),
                "isCurrency": False,
                "isSigned": col.type_code in (INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC),
                "length": 0,
                "nullable": 1,
                "precision": col.precision or 0,
                "scale": col.scale or 0,
                "schemaName": "",
                "tableName": "",
            }
        )
    return out


def to_field(value: Any) -> dict[str, Any]:
    """One Data API Field: booleans, integers and floats typed; everything else a string."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, dt.datetime):
        return {"stringValue": value.isoformat(sep=" ")}
    if isinstance(value, (bytes, memoryview)):
        return {"stringValue": bytes(value).hex()}
    return {"stringValue": str(value)}


def _decimal_type(col, values: list) -> pa.DataType:
    if col.precision and col.scale is not None and 0 < col.precision <= 38:
        return pa.decimal128(col.precision, col.scale)
    scale = 0
    for value in values:
        if isinstance(value, Decimal) and value.is_finite():
            scale = max(scale, -int(value.as_tuple().exponent))
    return pa.decimal128(38, min(scale, 37))


def arrow_column(col, values: list) -> pa.Array:
    """Arrow array for one result column, keeping decimals and timestamps typed."""
    code = col.type_code
    if code in _INTS:
        return pa.array(values, type=_INTS[code])
    if code == NUMERIC:
        dtype = _decimal_type(col, values)
        quantum = Decimal(1).scaleb(-dtype.scale)
        fixed = [None if v is None else Decimal(v).quantize(quantum) for v in values]
        return pa.array(fixed, type=dtype)
    if code == FLOAT4:
        return pa.array(values, type=pa.float32())
    if code == FLOAT8:
        return pa.array(values, type=pa.float64())
    if code == BOOL:
        return pa.array(values, type=pa.bool_())
    if code == DATE:
        return pa.array(values, type=pa.date32())
    if code == TIMESTAMP:
        return pa.array(values, type=pa.timestamp("us"))
    if code == TIMESTAMPTZ:
        return pa.array(values, type=pa.timestamp("us", tz="UTC"))
    if code == BPCHAR:  # CHAR(n) padding is not significant in Redshift
        values = [None if v is None else v.rstrip(" ") for v in values]
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def arrow_table(description, rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows)) if rows else [[] for _ in description]
    arrays = [arrow_column(col, list(vals)) for col, vals in zip(description, columns)]
    return pa.Table.from_arrays(arrays, names=[col.name for col in description])
