from __future__ import annotations

from lakehouse.athena import result_rows


def response(rows, columns=("sales_rows", "tickets_sold")):
    return {
        "ResultSet": {
            "Rows": [
                {"Data": [{"VarCharValue": v} if v is not None else {} for v in r]} for r in rows
            ],
            "ResultSetMetadata": {"ColumnInfo": [{"Name": c} for c in columns]},
        }
    }


def test_header_row_is_dropped_and_values_keyed_by_column():
    rows = result_rows(response([("sales_rows", "tickets_sold"), ("12", "40")]))
    assert rows == [{"sales_rows": "12", "tickets_sold": "40"}]


def test_nulls_come_back_as_none():
    assert result_rows(response([("sales_rows", "tickets_sold"), ("0", None)])) == [
        {"sales_rows": "0", "tickets_sold": None}
    ]


def test_pages_without_a_header_keep_every_row():
    assert len(result_rows(response([("1", "2"), ("3", "4")]))) == 2
