"""Redshift ``COPY ... FROM 's3://...'`` on PostgreSQL, reading objects from moto's S3.

Redshift loads every object whose key starts with the prefix; each file is normalised in
Python (delimiters, header, null rules) and streamed with ``COPY ... FROM STDIN``.
"""

from __future__ import annotations

import csv
import gzip
import io
import re

from devkit.emulator.redshift.errors import RedshiftError
from devkit.emulator.redshift.sql import CopyCommand
from devkit.emulator.s3 import store as s3store
from devkit.iam import emulated
from devkit.iam.recorder import current_principal

_CHAR_TYPES = ("character", "text", "char", "varchar")


def _table_columns(cur, table: str) -> list[tuple[str, str]]:
    cur.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        (table,),
    )
    return cur.fetchall()


def _object_keys(cmd: CopyCommand) -> tuple[str, list[str]]:
    bucket, prefix = s3store.split_uri(cmd.s3_uri)
    emulated.s3_listed(current_principal(), "Redshift COPY", bucket, prefix)
    try:
        keys = [k for k in s3store.list_keys(bucket, prefix) if not k.endswith("/")]
    except FileNotFoundError as err:
        raise RedshiftError(f"S3ServiceException:{err}") from err
    if not keys:
        raise RedshiftError(f"The specified S3 prefix '{prefix}' does not exist")
    return bucket, keys


def _decode(data: bytes, cmd: CopyCommand, key: str) -> str:
    if cmd.options.get("GZIP") or key.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except OSError as err:
            raise RedshiftError(f"gzip: {key}: {err}") from err
    if cmd.options.get("BZIP2") or cmd.options.get("ZSTD"):
        raise RedshiftError("devkit COPY supports GZIP or uncompressed files only")
    return data.decode("utf-8")


def _split_text(line: str, delimiter: str) -> list[str]:
    """Redshift text format: backslash escapes the delimiter, backslash and newline."""
    if "\\" not in line:
        return line.split(delimiter)
    fields, current, chars = [], [], iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == delimiter:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def _records(text: str, cmd: CopyCommand) -> list[tuple[int, list[str]]]:
    """(source line number, fields) for every data row of one file."""
    fmt = str(cmd.options.get("FORMAT", "TEXT"))
    skip = int(cmd.options.get("IGNOREHEADER", 0) or 0)
    if fmt == "CSV":
        delimiter = str(cmd.options.get("DELIMITER", ","))
        quote = str(cmd.options.get("QUOTE", '"'))
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote)
        rows = [(reader.line_num, row) for row in reader]
    elif fmt == "TEXT":
        delimiter = str(cmd.options.get("DELIMITER", "|"))
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        rows = [(n, _split_text(line.rstrip("\r"), delimiter)) for n, line in enumerate(lines, 1)]
    else:
        raise RedshiftError(f"devkit COPY does not support FORMAT {fmt}")
    rows = [(n, row) for n, row in rows if n > skip]
    if cmd.options.get("IGNOREBLANKLINES"):
        rows = [(n, row) for n, row in rows if row != [""]]
    return rows


def _null_rules(cmd: CopyCommand, types: list[str]):
    null_as = cmd.options.get("NULL")
    if null_as is None and cmd.options.get("FORMAT", "TEXT") == "TEXT":
        null_as = "\\N"
    empty_as_null = bool(cmd.options.get("EMPTYASNULL"))
    blanks_as_null = bool(cmd.options.get("BLANKSASNULL"))
    is_char = [t.startswith(_CHAR_TYPES) for t in types]

    def convert(index: int, value: str) -> str | None:
        if null_as is not None and value == null_as:
            return None
        if blanks_as_null and value.strip() == "" and is_char[index]:
            return None
        if value == "" and (empty_as_null or not is_char[index]):
            return None
        if value.strip() == "" and not is_char[index]:
            return None
        return value

    return convert


def _csv_line(values: list[str | None]) -> str:
    """PostgreSQL CSV: NULL is an empty unquoted field, every string is quoted."""
    cells = ["" if v is None else '"' + v.replace('"', '""') + '"' for v in values]
    return ",".join(cells) + "\n"


def _load_file(cur, cmd: CopyCommand, target: str, names, types, key: str, text: str) -> int:
    convert = _null_rules(cmd, types)
    buffer, lines = io.StringIO(), []
    location = f"s3://{s3store.split_uri(cmd.s3_uri)[0]}/{key}"
    for line_no, row in _records(text, cmd):
        if len(row) != len(names):
            problem = "Delimiter not found" if len(row) < len(names) else "Extra column(s) found"
            raise RedshiftError(
                f"Load into table '{cmd.table}' failed. {problem}: {location} line {line_no}"
                f" has {len(row)} fields, expected {len(names)}."
            )
        buffer.write(_csv_line([convert(i, value) for i, value in enumerate(row)]))
        lines.append(line_no)
    if not lines:
        return 0
    buffer.seek(0)
    column_sql = ", ".join(f'"{n}"' for n in names)
    try:
        cur.copy_expert(f"COPY {target} ({column_sql}) FROM STDIN WITH (FORMAT csv)", buffer)
    except Exception as err:
        diag = getattr(err, "diag", None)
        context = getattr(diag, "context", "") or ""
        match = re.search(r"line (\d+)", context)
        where = f" line {lines[int(match.group(1)) - 1]}" if match else ""
        message = getattr(diag, "message_primary", None) or str(err)
        raise RedshiftError(
            f"Load into table '{cmd.table}' failed. {location}{where}: {message}"
        ) from err
    return len(lines)


def run_copy(cur, cmd: CopyCommand) -> int:
    """Load all objects under the prefix into the table; returns the number of rows."""
    bucket, keys = _object_keys(cmd)
    target = cmd.table.lstrip("#")
    try:
        columns = _table_columns(cur, target)
    except Exception as err:
        raise RedshiftError(f'relation "{cmd.table}" does not exist') from err
    types_by_name = dict(columns)
    names = cmd.columns or [name for name, _ in columns]
    missing = [n for n in names if n not in types_by_name]
    if missing:
        raise RedshiftError(f'column "{missing[0]}" of relation "{cmd.table}" does not exist')
    types = [types_by_name[n] for n in names]
    total = 0
    emulated.s3_objects(current_principal(), "Redshift COPY", "s3:GetObject", bucket, keys)
    for key in keys:
        text = _decode(s3store.get_bytes(bucket, key), cmd, key)
        total += _load_file(cur, cmd, target, names, types, key, text)
    return total
