"""Reading Athena results without boilerplate in every DAG."""

from __future__ import annotations


def result_rows(response: dict) -> list[dict[str, str | None]]:
    """Rows of a GetQueryResults response as dicts keyed by column name.

    Athena returns the header as the first row of a SELECT's first page;
    values arrive as strings (or missing, for NULL).
    """
    rows = response["ResultSet"]["Rows"]
    columns = [c["Name"] for c in response["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    body = (
        rows[1:] if rows and [d.get("VarCharValue") for d in rows[0]["Data"]] == columns else rows
    )
    return [dict(zip(columns, (d.get("VarCharValue") for d in row["Data"]))) for row in body]
