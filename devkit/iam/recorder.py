"""Every AWS access on the emulation, recorded as (principal role, IAM action, resource).

Two sources. Requests the moto server answers: hooked where moto has set the request up
(`BaseResponse.setup_class`, and S3's own after it decoded the body), the operation
and its parameters parsed with moto's own botocore-model parsers, the principal named by
the request's access key id (`access_key`: each role has its own fake key). And what
the emulations do in-process, never crossing HTTP (COPY/UNLOAD, crawlers, Spark jobs,
Athena): they call `record` with the role they run as.

The set-up key (`SETUP_KEY`, moto's dummy "testing") stands for whatever creates the
resources on AWS (CloudFormation, an administrator): recorded as such, never checked.
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from devkit.iam.actions import UnmappedOperation, Where, iam_requests
from devkit.iam.evaluate import Request

SETUP_KEY = "testing"  # moto's documented dummy key: the set-up principal, not a secret
SETUP = "(set-up)"
ACCOUNT_ID = "123456789012"
# Logical id (infra/pipelines.yaml) -> the role's local name (its ARN's last segment).
ROLE_NAMES = {
    "MwaaExecutionRole": "local-mwaa-execution",
    "RedshiftCopyUnloadRole": "local-redshift-s3",
    "GlueCrawlerRole": "local-glue-crawler",
    "EmrJobRole": "local-emr-serverless-job",
    "DataHubTaskRole": "datahub-ingestion-task",
    "DataHubTaskExecutionRole": "datahub-ingestion-execution",
    "DeployRole": "local-deploy",
}
# The bootstrap identity that runs `deploy up` in an empty account (no role of the
# template: it creates them). It holds AdministratorAccess (docs/iam_check.md); its calls
# are recorded and checked against that, unlike the set-up key's.
ADMINISTRATOR = "Administrator"
PRINCIPAL_NAMES = {**ROLE_NAMES, ADMINISTRATOR: "local-administrator"}
_BY_ROLE_NAME = {name: logical for logical, name in ROLE_NAMES.items()}
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def use_stack_roles(physical: Mapping[str, str]) -> None:
    """Name the roles as one stack's CloudFormation named them (logical id -> name), for
    this process: the run command runs on one stack (devkit/run/local_up.py)."""
    for logical, name in physical.items():
        if logical in ROLE_NAMES:
            ROLE_NAMES[logical] = PRINCIPAL_NAMES[logical] = name
    _BY_ROLE_NAME.clear()
    _BY_ROLE_NAME.update({name: logical for logical, name in ROLE_NAMES.items()})


def access_key(principal: str) -> str:
    """The fake access key id a principal signs with: its logical id, readable in logs."""
    if principal not in PRINCIPAL_NAMES:
        raise KeyError(f"no role {principal!r} in devkit/iam/recorder.py ROLE_NAMES")
    return principal


def role_arn(principal: str, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:iam::{account}:role/{PRINCIPAL_NAMES[principal]}"


def principal_of_key(key: str | None) -> str:
    if not key or key == SETUP_KEY:
        return SETUP
    return key


def principal_of_role(arn: str) -> str:
    """`arn:aws:iam::123456789012:role/local-glue-crawler` -> `GlueCrawlerRole`."""
    name = arn.rsplit("/", 1)[-1]
    if name not in _BY_ROLE_NAME:
        raise KeyError(
            f"role {arn} is none of devkit/iam/recorder.py ROLE_NAMES: {sorted(_BY_ROLE_NAME)}"
        )
    return _BY_ROLE_NAME[name]


# Role sessions. On MWAA a deferrable task runs its Data API statement on a worker and
# polls it from the triggerer, another container with its own session of the execution
# role (docs/iam_check.md, "The Data API owner"). So the recorder makes the worker's
# session own every statement and the check evaluates each call as the triggerer's:
# a policy that allows only the session that ran a statement fails here as on AWS.
WORKER = "worker"
TRIGGERER = "triggerer"


def role_id(principal: str) -> str:
    """The role's unique id (`AROA...`, CloudFormation's `RoleId` attribute)."""
    return f"AROA{principal.upper()}"


def userid(principal: str, session: str = WORKER) -> str:
    """`aws:userid` of a role session: the role's unique id, a colon, the session name
    (IAM User Guide, "IAM identifiers", unique identifiers)."""
    return f"{role_id(principal)}:{session}"


@dataclass(frozen=True)
class Access:
    """One authorization: who, for which call (`via`), which action on which resource."""

    principal: str
    via: str
    request: Request

    @property
    def action(self) -> str:
        return self.request.action

    @property
    def resource(self) -> str:
        return self.request.resource


@dataclass(frozen=True)
class Unmapped:
    """A call the action table does not know: the check fails on it, naming it."""

    principal: str
    via: str
    error: str


@dataclass
class AccessLog:
    """The accesses of this process, in order (moto's backends are process-wide too)."""

    records: list[Access | Unmapped] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, principal: str, via: str, requests: Iterable[Request]) -> None:
        with self._lock:
            self.records.extend(Access(principal, via, r) for r in requests)

    def add_unmapped(self, principal: str, via: str, error: str) -> None:
        with self._lock:
            self.records.append(Unmapped(principal, via, error))

    def mark(self) -> int:
        with self._lock:
            return len(self.records)

    def since(self, mark: int = 0) -> list[Access | Unmapped]:
        with self._lock:
            return list(self.records[mark:])


LOG = AccessLog()
_current = threading.local()
# (principal, requests) -> the first request the principal may not make, or None; set by
# devkit/iam/gate.py while a pipeline runs (None: record only, decide at the end).
GATE: Callable[[str, Sequence[Request]], Request | None] | None = None


class Denied(PermissionError):
    """AWS's AccessDenied for one access: what an emulation fails with, as AWS would."""

    def __init__(self, principal: str, request: Request):
        self.principal, self.request = principal, request
        super().__init__(
            f"User: {session_arn(principal)} is not authorized to perform: {request.action} "
            f"on resource: {request.resource} because no identity-based policy allows the "
            f"{request.action} action"
        )


def session_arn(principal: str) -> str:
    """The caller AWS names in AccessDenied: the role's session."""
    name = ROLE_NAMES.get(principal, principal)
    return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{name}/local"


def _enforce(principal: str, requests: Sequence[Request]) -> None:
    denied = GATE(principal, requests) if GATE is not None else None
    if denied is not None:
        raise Denied(principal, denied)


def current_principal() -> str:
    """The principal of the request this thread answers (in-process emulations act as it)."""
    return getattr(_current, "principal", SETUP)


@contextmanager
def acting_as(principal: str) -> Iterator[None]:
    saved = current_principal()
    _current.principal = principal
    try:
        yield
    finally:
        _current.principal = saved


def record(principal: str, via: str, requests: Iterable[Request]) -> None:
    """An in-process access (COPY, a crawler, a Spark job...) as `principal`; raises
    Denied (after recording it) when the role may not, so the emulation fails with it."""
    if principal != SETUP:
        requests = list(requests)
        LOG.add(principal, via, requests)
        _enforce(principal, requests)


def record_call(principal: str, service: str, operation: str, params: Mapping, region: str) -> None:
    """An API call: mapped to IAM requests through devkit/iam/actions.py."""
    if principal == SETUP:
        return
    via = f"{service} {operation}"
    where = Where(region, ACCOUNT_ID, _lookup, userid(principal, WORKER))  # owns statements
    try:
        requests = iam_requests(service, operation, params, where)
    except UnmappedOperation as error:
        LOG.add_unmapped(principal, via, str(error))
        return
    LOG.add(principal, via, requests)
    _enforce(principal, requests)


# --- the moto hook ---------------------------------------------------------------------


def _request_key(response) -> str | None:
    match = _CREDENTIAL.search(response.headers.get("Authorization", "") or "")
    if match:
        return match.group(1)
    credential = response.querystring.get("X-Amz-Credential") or [""]
    return credential[0].split("/", 1)[0] or None


def _parse(response, request, service: str, operation: str) -> dict:
    """The operation's input as botocore shapes name it, by moto's own parsers."""
    from moto.core.model import ServiceModel  # noqa: F401  (moto's botocore model wrapper)
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import determine_request_protocol
    from moto.core.utils import get_service_model

    model = get_service_model(service)
    operation_model = model.operation_model(operation)
    protocol = determine_request_protocol(model, request.content_type)
    parser = PROTOCOL_PARSERS[protocol](operation_model, map_type=dict)
    body = response.body if service == "s3" else request.data
    return parser.parse(
        {
            "method": request.method,
            "values": request.values,
            "headers": request.headers,
            "body": body,
            "url_path": request.path,
            "url_params": getattr(response, "uri_match", None) or {},
        }
    )


def _observe(response, request) -> None:
    principal = principal_of_key(_request_key(response))
    _current.principal = principal
    if principal == SETUP:
        return
    service = response.boto3_service_name
    try:
        operation = response._get_action()
        params = _parse(response, request, service, operation)
    except Exception as error:  # noqa: BLE001 - a request we cannot read fails the check
        LOG.add_unmapped(
            principal, f"{service} {request.method} {request.path}", f"unreadable: {error}"
        )
        return
    try:
        record_call(principal, service, operation, params, response.region)
    except Denied as denied:
        raise access_denied_error(service, str(denied)) from None


def access_denied_error(service: str, message: str):
    """AWS's AccessDenied in the service's protocol, as an HTTP error moto's server sends:
    S3's XML `<Error>`, the query services' `<ErrorResponse>` (SNS: AuthorizationError),
    the JSON services' `AccessDeniedException`."""
    from xml.sax.saxutils import escape

    from moto.core.utils import get_service_model
    from werkzeug.exceptions import HTTPException

    protocol = get_service_model(service).metadata.get("protocol", "json")
    code, status = ("AuthorizationError" if service == "sns" else "AccessDenied"), 403
    if protocol == "rest-xml":
        body, kind = (
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>",
            "xml",
        )
    elif protocol in ("query", "ec2"):
        error = f"<Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
        body, kind = f"<ErrorResponse><Error>{error}</Error></ErrorResponse>", "xml"
    else:
        code, status = "AccessDeniedException", 400 if protocol == "json" else 403
        body, kind = json.dumps({"__type": code, "message": message, "Message": message}), "json"

    class AccessDenied(HTTPException):
        def get_body(self, environ=None, scope=None) -> str:
            return body

        def get_headers(self, environ=None, scope=None) -> list[tuple[str, str]]:
            return [("Content-Type", f"application/{kind}"), ("X-Amzn-ErrorType", code)]

    error = AccessDenied(message)
    error.code = status
    return error


def observing(setup_class):
    """moto's BaseResponse.setup_class, then the request recorded and checked (S3's own
    set-up is hooked by `observing_s3`). Applied by devkit/emulator/moto_extensions.py."""
    from moto.s3.responses import S3Response

    def observed_setup_class(self, request, *args, **kwargs):
        setup_class(self, request, *args, **kwargs)
        if not isinstance(self, S3Response):
            _observe(self, request)

    return observed_setup_class


def observing_s3(setup_class):
    """moto's S3Response.setup_class, then the request recorded and checked."""

    def observed_setup_class(self, request, *args, **kwargs):
        setup_class(self, request, *args, **kwargs)
        _observe(self, request)

    return observed_setup_class


# --- state the requests name only by id ------------------------------------------------


# (service, what) -> (params, region) -> the state; registered by emulations above this
# layer (devkit/emulator/), e.g. a Redshift Serverless workgroup's id from its name.
LOOKUPS: dict[tuple[str, str], Any] = {}


def _lookup(service: str, what: str, params: Mapping, region: str) -> Any:
    if (service, what) in LOOKUPS:
        return LOOKUPS[(service, what)](params, region)
    if (service, what) == ("athena", "workgroup"):
        from moto.athena.models import athena_backends

        execution = athena_backends[ACCOUNT_ID][region].executions.get(params["QueryExecutionId"])
        return execution.workgroup.name if execution and execution.workgroup else None
    if (service, what) == ("athena", "output"):
        from moto.athena.models import athena_backends

        execution = athena_backends[ACCOUNT_ID][region].executions.get(params["QueryExecutionId"])
        return (execution.config or {}).get("OutputLocation") if execution else None
    if (service, what) == ("cloudformation", "stack"):
        from moto.cloudformation.models import cloudformation_backends

        backend = cloudformation_backends[ACCOUNT_ID][region]
        change_set = backend.change_sets.get(params.get("ChangeSetName", ""))
        if change_set is not None:
            return change_set.stack_id
        named = [s for s in backend.stacks.values() if s.name == params.get("StackName")]
        return named[-1].stack_id if named else None
    if (service, what) == ("secretsmanager", "secret"):
        from moto.secretsmanager.models import secretsmanager_backends

        secrets = secretsmanager_backends[ACCOUNT_ID][region].secrets
        secret = secrets.get(params.get("Name") or params.get("SecretId"))
        return secret.arn if secret is not None else None
    if (service, what) == ("ecs", "task-definition"):
        from moto.ecs.models import ecs_backends

        definition = ecs_backends[ACCOUNT_ID][region].describe_task_definition(
            params["taskDefinition"]
        )
        return {
            "arn": definition.arn,
            "taskRoleArn": getattr(definition, "task_role_arn", None),  # set only when given
            "executionRoleArn": getattr(definition, "execution_role_arn", None),
        }
    return None
