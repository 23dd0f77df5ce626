"""The TICKIT tables: what each nightly lane loads, merges and checks.

One declaration drives the DAG's lanes, the SQL templates' params and the
local data generator, so adding a table is a one-line change plus its DDL.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow.sdk import Asset, Param, ParamsDict

SCHEMA = "tickit"
LANDING_PREFIX = "tickit"
GOLD_SALES_BY_CATEGORY_PREFIX = "gold/tickit/sales_by_category/"


@dataclass(frozen=True)
class TickitTable:
    """A TICKIT table loaded nightly through a staging table of the same shape."""

    name: str
    key_column: str
    # Facts carry the event time that places a row in one data interval;
    # dimensions arrive as full snapshots and have none.
    event_time_column: str | None = None

    @property
    def staging_name(self) -> str:
        return f"stg_{self.name}"

    @property
    def asset(self) -> Asset:
        """The Asset a successful merge updates; downstream DAGs schedule on it."""
        return Asset(name=f"redshift.{SCHEMA}.{self.name}")

    def landing_prefix(self, ds: str = "{{ data_interval_start | ds }}") -> str:
        """Folder of one night's extract: `part-*` data files and a `_SUCCESS` marker.

        Keyed by the data interval's start day (the day the rows belong to),
        not the run's logical date, which differs between scheduled and manual runs.
        """
        return f"{LANDING_PREFIX}/{self.name}/ds={ds}/"

    def sql_params(self) -> dict:
        """Params the SQL templates under sql/tickit/ read."""
        return {
            "schema": SCHEMA,
            "table": self.name,
            "staging_table": self.staging_name,
            "key_column": self.key_column,
            "event_time_column": self.event_time_column,
        }

    def task_params(self) -> ParamsDict:
        """sql_params() as a task's own params: what Airflow makes of `params=` (source "task")."""
        return ParamsDict({k: Param(v, source="task") for k, v in self.sql_params().items()})


TABLES: tuple[TickitTable, ...] = (
    TickitTable("users", "userid"),
    TickitTable("venue", "venueid"),
    TickitTable("category", "catid"),
    TickitTable("date", "dateid"),
    TickitTable("event", "eventid"),
    TickitTable("listing", "listid", event_time_column="listtime"),
    TickitTable("sales", "salesid", event_time_column="saletime"),
)

TABLES_BY_NAME = {table.name: table for table in TABLES}

SALES_BY_CATEGORY = Asset(name=f"s3.lake.{GOLD_SALES_BY_CATEGORY_PREFIX.rstrip('/')}")

# Redshift COPY options for the pipe-delimited, gzipped TICKIT extracts.
# MAXERROR 0 (Redshift's default, stated for the reader): one malformed row
# fails the whole COPY, and staging keeps its previous contents.
COPY_OPTIONS = (
    "DELIMITER '|'",
    "GZIP",
    "EMPTYASNULL",
    "TIMEFORMAT 'auto'",
    "DATEFORMAT 'auto'",
    "MAXERROR 0",
)
