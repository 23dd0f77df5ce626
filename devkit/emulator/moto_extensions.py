"""Every change the emulation makes to moto, in one place, with the moto version it was
written for.

moto answers most calls the pipelines make; these extensions make the rest behave as on
AWS (Athena returns rows, a crawler catalogs, a job run runs Spark, ...). Each reaches
into moto's private API, so each names the moto version it was read against, what it
replaces (devkit/emulator/moto_changes.py) and why. `install` applies them for the life
of an emulation (LocalAws, the deploy tests' moto server) and `remove` puts every
original back. On any other moto version the emulation refuses to start, naming each
extension to re-read: they change what the emulated AWS does, so running without one
would test something else. (The speed-ups in devkit/patches/ are skipped instead.)
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from devkit.emulator.moto_changes import (
    Add,
    AddModule,
    Extension,
    Installation,
    Replace,
    UnsupportedMoto,
    Wrap,
    version_mismatches,
)

MOTO = "5.2.5"  # the version every extension below was last read against
E = "devkit.emulator"
ATHENA, GLUE, EMR = "moto.athena", "moto.glue", "moto.emrserverless.models:EMRServerlessBackend"
DATA_API = "moto.redshiftdata.responses:RedshiftDataAPIServiceResponse"
ECS = "moto.ecs.models:EC2ContainerServiceBackend"
PARSING = "moto.cloudformation.parsing"

# Extension(name, the moto version written for, why, its changes, the service it waits for)
EXTENSIONS: tuple[Extension, ...] = (
    Extension(
        "IAM: every request recorded and checked",
        MOTO,
        "each request's principal, action and resource are recorded and denied as on AWS "
        "(devkit/iam/recorder.py); S3 parses its body later, so it is hooked separately",
        (Wrap("moto.core.responses:BaseResponse.setup_class", "devkit.iam.recorder:observing"),),
    ),
    Extension(
        "IAM: every S3 request recorded and checked",
        MOTO,
        "S3Response sets its request up itself, after decoding the body",
        (Wrap("moto.s3.responses:S3Response.setup_class", "devkit.iam.recorder:observing_s3"),),
        service="s3",
    ),
    Extension(
        "Redshift Serverless API",
        MOTO,
        "moto has no redshift-serverless backend: GetWorkgroup, GetNamespace, ListWorkgroups "
        "and ListNamespaces are served from devkit/emulator/redshift/serverless.py",
        (
            AddModule("moto.redshiftserverless", f"{E}.redshift.serverless_api:moto_module"),
            Wrap(
                "moto.backend_index:backend_url_patterns",
                f"{E}.redshift.serverless_api:with_service_url",
            ),
        ),
    ),
    Extension(
        "Redshift Data API on PostgreSQL",
        MOTO,
        "moto only records statements (STARTED forever, canned results) and lacks "
        "BatchExecuteStatement: statements run on PostgreSQL (devkit/emulator/redshift/)",
        (
            Replace(f"{DATA_API}.execute_statement", f"{E}.redshift.data_api:execute_statement"),
            Add(
                f"{DATA_API}.batch_execute_statement",
                f"{E}.redshift.data_api:batch_execute_statement",
            ),
            Replace(f"{DATA_API}.describe_statement", f"{E}.redshift.data_api:describe_statement"),
            Replace(
                f"{DATA_API}.get_statement_result", f"{E}.redshift.data_api:get_statement_result"
            ),
        ),
        service="redshiftdata",
    ),
    Extension(
        "Athena queries in DuckDB",
        MOTO,
        "moto marks every query SUCCEEDED with no rows: SELECTs run in DuckDB over the Glue "
        "catalog's data, results are written to the output location",
        (
            Replace(
                f"{ATHENA}.models:AthenaBackend.start_query_execution",
                f"{E}.athena.queries:start_query_execution",
            ),
            Replace(
                f"{ATHENA}.responses:AthenaResponse.get_query_execution",
                f"{E}.athena.queries:get_query_execution",
            ),
        ),
        service="athena",
    ),
    Extension(
        "Athena GetTableMetadata",
        MOTO,
        "moto lacks the call the AthenaOperator's lineage asks: answered from the Glue catalog",
        (
            Add(
                f"{ATHENA}.responses:AthenaResponse.get_table_metadata",
                f"{E}.athena.table_metadata:get_table_metadata",
            ),
        ),
        service="athena",
    ),
    Extension(
        "Glue crawlers that catalog",
        MOTO,
        "moto's crawler only flips RUNNING -> COMPLETED and lacks UpdateCrawler and "
        "GetCrawlerMetrics (GlueCrawlerOperator calls both): a crawl catalogs its targets",
        (
            Replace(f"{GLUE}.models:FakeCrawler.start_crawler", f"{E}.glue.crawler:start_crawler"),
            Add(
                f"{GLUE}.responses:GlueResponse.update_crawler", f"{E}.glue.crawler:update_crawler"
            ),
            Add(
                f"{GLUE}.responses:GlueResponse.get_crawler_metrics",
                f"{E}.glue.crawler:get_crawler_metrics",
            ),
        ),
        service="glue",
    ),
    Extension(
        "EMR Serverless job runs in local Spark",
        MOTO,
        "moto marks every job run SUCCESS at once: the job file runs in local PySpark",
        tuple(
            Replace(f"{EMR}.{name}", f"{E}.emr_serverless.job_runs:{name}")
            for name in ("start_job_run", "get_job_run", "cancel_job_run", "list_job_runs")
        ),
        service="emrserverless",
    ),
    Extension(
        "ECS runs the DataHub ingestion container",
        MOTO,
        "moto's RunTask only records a task: the ingestion image's command runs (no Docker); "
        "awsvpc RunTask reads an ENI attribute moto's model lacks",
        (
            Wrap(f"{ECS}.run_task", f"{E}.ecs.ingestion:running_ingestion"),
            Wrap(f"{ECS}.describe_tasks", f"{E}.ecs.ingestion:waiting_for_exit"),
            Add(
                "moto.ec2.models.elastic_network_interfaces:NetworkInterface.private_dns_name",
                f"{E}.ecs.ingestion:eni_private_dns_name",
            ),
        ),
        service="ecs",
    ),
    Extension(
        "CloudFormation resource types",
        MOTO,
        "the template's S3::BucketPolicy, SecretsManager::Secret, IAM::OIDCProvider, Glue, "
        "Athena, EMR Serverless, Redshift Serverless and MWAA resources, which moto lacks "
        "(devkit/emulator/cloudformation/resources.py), found by a fresh model look-up",
        tuple(
            Wrap(f"{PARSING}:{name}", f"{E}.cloudformation.fixes:with_our_resource_types")
            for name in ("get_model_list", "get_model_map", "get_name_type_map")
        ),
        service="cloudformation",
    ),
    Extension(
        "Fn::GetAtt Res.Attr.Sub",
        MOTO,
        "moto splits `!GetAtt Res.Workgroup.Endpoint.Address` at every dot and reads only the "
        "second part; CloudFormation splits at the first",
        (Wrap(f"{PARSING}:clean_json", f"{E}.cloudformation.fixes:joining_attribute_parts"),),
        service="cloudformation",
    ),
    Extension(
        "Outputs after a change set",
        MOTO,
        "moto's ChangeSet.apply updates the resources but neither the template nor the "
        "outputs, so a stack made by `deploy infra apply` had no Outputs",
        (
            Wrap(
                "moto.cloudformation.models:ChangeSet.apply",
                f"{E}.cloudformation.fixes:updating_outputs",
            ),
        ),
        service="cloudformation",
    ),
    Extension(
        "Bucket versioning from CloudFormation",
        MOTO,
        "moto ignores a bucket's VersioningConfiguration; AWS applies it, and `deploy deploy` "
        "refuses an MWAA bucket without versioning",
        (
            Wrap(
                "moto.s3.models:FakeBucket.create_from_cloudformation_json",
                f"{E}.cloudformation.fixes:setting_versioning",
            ),
        ),
        service="cloudformation",
    ),
)

_lock = threading.Lock()
_installation: Installation | None = None  # applied while anyone uses it
_users = 0


def check_version() -> None:
    """Refuse another moto than the extensions were written for, naming each of them."""
    import moto

    stale = version_mismatches(EXTENSIONS, moto.__version__)
    if stale:
        raise UnsupportedMoto(
            f"moto {moto.__version__} is installed, but these extensions of moto were "
            f"written for another version: {', '.join(stale)}. Re-read each against this "
            "moto (devkit/emulator/moto_extensions.py), then update its version."
        )


def install() -> None:
    """Every extension, for one more user (the first applies them); see `remove`."""
    global _installation, _users
    check_version()
    with _lock:
        if _installation is None:
            installation = Installation(EXTENSIONS)
            installation.apply()  # all or, on an error, none
            _installation = installation
        _users += 1


def remove() -> None:
    """One user fewer; the last puts every original of moto back."""
    global _installation, _users
    with _lock:
        _users = max(_users - 1, 0)
        if _users == 0 and _installation is not None:
            _installation.remove()
            _installation = None


def current() -> Installation | None:
    """The extensions applied now, if any emulation uses them."""
    return _installation


@contextmanager
def installed() -> Iterator[None]:
    install()
    try:
        yield
    finally:
        remove()
