"""Glue crawlers that catalog what they crawl.

moto's crawler only flips RUNNING -> COMPLETED; here StartCrawler also scans each S3 target
for Parquet and creates/updates the table and its partitions. moto lacks UpdateCrawler
and GetCrawlerMetrics (both used by GlueCrawlerOperator), so they are added too.
"""

from __future__ import annotations

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.glue.exceptions import CrawlerRunningException, EntityNotFoundException
from moto.glue.models import FakeCrawler, GlueBackend
from moto.glue.responses import GlueResponse

from devkit.emulator.glue import parquet_catalog
from devkit.emulator.s3 import store as s3store
from devkit.iam import emulated

CRAWLER_LOG_GROUP = "/aws-glue/crawlers"

_original_start = FakeCrawler.start_crawler
_UPDATABLE = {
    "Role": "role",
    "DatabaseName": "database_name",
    "Description": "description",
    "Targets": "targets",
    "Classifiers": "classifiers",
    "TablePrefix": "table_prefix",
    "SchemaChangePolicy": "schema_change_policy",
    "RecrawlPolicy": "recrawl_policy",
    "LineageConfiguration": "lineage_configuration",
    "Configuration": "configuration",
    "CrawlerSecurityConfiguration": "crawler_security_configuration",
}


def _ensure_database(backend: GlueBackend, name: str, role: str) -> None:
    emulated.glue(role, "Glue crawler", ["glue:GetDatabase"], name)
    if name not in backend.databases:
        emulated.glue(role, "Glue crawler", ["glue:CreateDatabase"], name)
        backend.create_database(name, {"Name": name})


def _record_reads(role: str, path: str) -> None:
    """The crawler lists its target and reads every data file (schema, classification)."""
    bucket, prefix = s3store.split_uri(path)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    emulated.s3_listed(role, "Glue crawler", bucket, prefix)
    if s3store.bucket_exists(bucket):
        keys = parquet_catalog.parquet_keys(bucket, prefix)
        emulated.s3_objects(role, "Glue crawler", "s3:GetObject", bucket, keys)


def _catalog_target(backend: GlueBackend, crawler: FakeCrawler, path: str) -> str | None:
    """Create or update one table; returns 'created', 'updated' or None (nothing found)."""
    role = emulated.role_principal(crawler.role)
    _record_reads(role, path)
    scanned = parquet_catalog.scan(path)
    if scanned is None:
        return None
    leaf = scanned.location.rstrip("/").rsplit("/", 1)[-1]
    name = f"{crawler.table_prefix or ''}{leaf}".lower().replace("-", "_")
    database = crawler.database_name
    table_input = parquet_catalog.table_input(name, scanned)
    tables = backend.get_database(database).tables
    status = "updated" if name in tables else "created"
    written = ["glue:GetTable", "glue:CreateTable" if status == "created" else "glue:UpdateTable"]
    emulated.glue(role, "Glue crawler", written, database, name)
    if scanned.partitions:
        actions = ["glue:GetPartitions", "glue:BatchCreatePartition"]
        emulated.glue(role, "Glue crawler", actions, database, name)
    if status == "created":
        backend.create_table(database, name, table_input)
    else:
        backend.update_table(database, name, table_input)
    table = backend.get_table(database, name)
    for values, location in scanned.partitions.items():
        if str(list(values)) not in table.partitions:
            part = parquet_catalog.partition_input(
                values, scanned.columns, location, scanned.classification
            )
            table.create_partition(part)
    return status


def catalog(crawler: FakeCrawler) -> dict[str, int]:
    """Catalog every S3 target of ``crawler``; returns table counts for GetCrawlerMetrics."""
    backend = crawler.backend
    role = emulated.role_principal(crawler.role)
    emulated.logs(
        role,
        "Glue crawler log",
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        CRAWLER_LOG_GROUP,
        crawler.name,
    )
    _ensure_database(backend, crawler.database_name, role)
    counts = {"created": 0, "updated": 0}
    for target in (crawler.targets or {}).get("S3Targets", []):
        status = _catalog_target(backend, crawler, target["Path"])
        if status:
            counts[status] += 1
    return counts


def start_crawler(self: FakeCrawler) -> None:
    """Start, catalog synchronously, and finish the crawl (COMPLETED, or FAILED on errors)."""
    _original_start(self)
    crawl = self.crawls[-1]
    try:
        self.devkit_metrics = catalog(self)
        crawl.status = "COMPLETED"
    except Exception as err:  # a bad file fails the crawl, like a real crawler error
        crawl.status = "FAILED"
        crawl.error_message = str(err)
        self.devkit_metrics = {"created": 0, "updated": 0}
    crawl.end_time = utcnow()


def update_crawler(self: GlueResponse) -> ActionResult:
    crawler = self.glue_backend.get_crawler(self.parameters["Name"])
    if crawler.status != "READY":
        raise CrawlerRunningException(f"Crawler with name {crawler.name} has already started")
    for key, attribute in _UPDATABLE.items():
        if key in self.parameters:
            setattr(crawler, attribute, self.parameters[key])
    if "Schedule" in self.parameters:
        crawler.schedule = self.parameters["Schedule"]
    crawler.version += 1
    return EmptyResult()


def get_crawler_metrics(self: GlueResponse) -> ActionResult:
    metrics = []
    for name in self.parameters.get("CrawlerNameList") or list(self.glue_backend.crawlers):
        if name not in self.glue_backend.crawlers:
            raise EntityNotFoundException(f"Crawler {name} not found")
        counts = getattr(self.glue_backend.crawlers[name], "devkit_metrics", {})
        metrics.append(
            {
                "CrawlerName": name,
                "TimeLeftSeconds": 0.0,
                "StillEstimating": False,
                "LastRuntimeSeconds": 0.0,
                "MedianRuntimeSeconds": 0.0,
                "TablesCreated": counts.get("created", 0),
                "TablesUpdated": counts.get("updated", 0),
                "TablesDeleted": 0,
            }
        )
    return ActionResult({"CrawlerMetricsList": metrics})
