"""Every IAM policy document the CloudFormation templates in infra/ hold, as plain JSON.

The templates are the one source of IAM (docs/infra.md). Parliament, the wildcard
tests and the evaluation of recorded AWS calls need the documents as IAM will see
them, so the intrinsic functions are resolved first: `Ref`, `Fn::GetAtt`, `Fn::Sub`,
`Fn::Join`, `Fn::If`, ... By default a resource resolves to a plausible sample name
or ARN for its type and the account is 123456789012; pass `names` (logical id ->
the resource's physical name: its Ref and ARN follow), `values` (logical id,
`LogicalId.Attribute`, parameter or pseudo parameter -> value) and/or `default`
to substitute real or local names instead:

    policies(INFRA_DIR / "pipelines.yaml", names={"LakeBucket": "local-lake"})
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from deploy.cloudformation.inputs import decode
from devkit.paths import REPO

INFRA_DIR = REPO / "infra"
SAMPLE_ACCOUNT = "123456789012"
SAMPLE_REGION = "us-east-1"
SAMPLE_STACK = "mwaa-pipelines"
SAMPLE_PARAMETERS = {"GitHubRepository": "example-org/mwaa-pipelines"}
NO_VALUE = object()  # AWS::NoValue: the enclosing list item or key disappears
# Template placeholders in Fn::Sub; `${aws:userid}` (an IAM policy variable) is not one.
SUB_PLACEHOLDER = re.compile(r"\$\{(!?)([A-Za-z0-9]+(?:::[A-Za-z0-9]+)?(?:\.[A-Za-z0-9.]+)?)\}")

# Where each resource type keeps its name (what Ref or an ARN is built from).
NAME_PROPERTY: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::SNS::Topic": ("TopicName",),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Glue::Crawler": ("Name",),
    "AWS::MWAA::Environment": ("Name",),
    "AWS::RedshiftServerless::Workgroup": ("WorkgroupName",),
    "AWS::RedshiftServerless::Namespace": ("NamespaceName",),
    "AWS::ECS::Cluster": ("ClusterName",),
    "AWS::ECS::TaskDefinition": ("Family",),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::Athena::WorkGroup": ("Name",),
    "AWS::EMRServerless::Application": ("Name",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName",),
    "AWS::ECR::PullThroughCacheRule": ("EcrRepositoryPrefix",),
}


@dataclass(frozen=True)
class PolicyDocument:
    """One policy document of a template, intrinsic functions resolved."""

    template: str  # the template's file name, e.g. pipelines.yaml
    logical_id: str  # the resource that holds it: a role, managed policy, bucket policy
    name: str  # AssumeRolePolicyDocument, the inline PolicyName, BucketPolicy, ...
    # "trust", "identity" (permissions of roles), "boundary" (a managed policy that is
    # the permissions boundary of `roles`) or "resource" (e.g. a bucket's)
    kind: str
    document: dict
    roles: tuple[str, ...] = field(default=())  # logical ids of the roles it grants to

    @property
    def role_logical_id(self) -> str | None:
        """The one role whose permissions this is (None: trust or resource policy)."""
        return self.roles[0] if len(self.roles) == 1 else None

    @property
    def label(self) -> str:
        return f"{self.template}:{self.logical_id}:{self.name}"

    def text(self) -> str:
        return json.dumps(self.document, indent=2) + "\n"

    def statements(self) -> list[dict]:
        statements = self.document.get("Statement", [])
        return statements if isinstance(statements, list) else [statements]


def load_template(path: Path) -> dict:
    """The template as plain dicts (cfn-lint's decoder knows the `!Sub`-style tags);
    the caller's own copy, free to change."""
    return copy.deepcopy(_decoded(Path(path)))


def _decoded(path: Path) -> dict:
    """The template decoded once per content (each world and pipeline resolves the same
    file again; decoding is most of that); shared, so only for readers (`Resolver`)."""
    template, problems = decode(path.read_text())
    if problems or not isinstance(template, dict):
        raise ValueError(f"{path}: cannot read the template: {problems or 'not a mapping'}")
    return template


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _samples_of_named_types(
    logical_id: str, name: str, acct: str, region: str
) -> dict[str, dict[str | None, Any]]:
    """Sample Ref (key None) and GetAtt values of the types whose ARN is their name."""
    return {
        "AWS::S3::Bucket": {None: name, "Arn": f"arn:aws:s3:::{name}"},
        "AWS::IAM::Role": {None: name, "Arn": f"arn:aws:iam::{acct}:role/{name}"},
        "AWS::IAM::ManagedPolicy": {None: f"arn:aws:iam::{acct}:policy/{name}"},
        "AWS::SNS::Topic": {
            None: f"arn:aws:sns:{region}:{acct}:{name}",
            "TopicArn": f"arn:aws:sns:{region}:{acct}:{name}",
            "TopicName": name,
        },
        "AWS::SecretsManager::Secret": {
            None: f"arn:aws:secretsmanager:{region}:{acct}:secret:{name}-AbCdEf"
        },
        "AWS::MWAA::Environment": {
            None: name,
            "Arn": f"arn:aws:airflow:{region}:{acct}:environment/{name}",
            "WebserverUrl": f"sample.{region}.airflow.amazonaws.com",
        },
    }


def _samples_of_service_types(
    logical_id: str, name: str, acct: str, region: str
) -> dict[str, dict[str | None, Any]]:
    """Sample Ref and GetAtt values of the types whose ids the service makes up."""
    workgroup_id = "00000000-0000-4000-8000-000000000001"
    namespace_id = "00000000-0000-4000-8000-000000000002"
    application_id = "00sample" + _kebab(logical_id).replace("-", "")[:10]
    return {
        "AWS::RedshiftServerless::Workgroup": {
            None: name,
            "Workgroup.WorkgroupId": workgroup_id,
            "Workgroup.WorkgroupArn": (
                f"arn:aws:redshift-serverless:{region}:{acct}:workgroup/{workgroup_id}"
            ),
            "Workgroup.Endpoint.Address": (
                f"{name}.{acct}.{region}.redshift-serverless.amazonaws.com"
            ),
        },
        "AWS::RedshiftServerless::Namespace": {
            None: name,
            "Namespace.NamespaceId": namespace_id,
            "Namespace.NamespaceArn": (
                f"arn:aws:redshift-serverless:{region}:{acct}:namespace/{namespace_id}"
            ),
        },
        "AWS::ECS::Cluster": {None: name, "Arn": f"arn:aws:ecs:{region}:{acct}:cluster/{name}"},
        "AWS::ECS::TaskDefinition": {None: f"arn:aws:ecs:{region}:{acct}:task-definition/{name}:1"},
        "AWS::Logs::LogGroup": {
            None: name,
            "Arn": f"arn:aws:logs:{region}:{acct}:log-group:{name}:*",
        },
        "AWS::EMRServerless::Application": {
            None: application_id,
            "ApplicationId": application_id,
            "Arn": f"arn:aws:emr-serverless:{region}:{acct}:/applications/{application_id}",
        },
    }


class Resolver:
    """Turns a template's intrinsic functions into plain values.

    `values` wins over everything; then `default(logical_id, attribute)` for
    resources (attribute None for Ref); then parameter defaults and samples.
    Conditions are all true unless `conditions` says otherwise, so `Fn::If`
    branches that add statements are linted.
    """

    def __init__(
        self,
        template: dict,
        values: Mapping[str, Any] | None = None,
        default: Callable[[str, str | None], Any] | None = None,
        conditions: Mapping[str, bool] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.names = dict(names or {})
        self.resources: dict = template.get("Resources", {}) or {}
        self.parameters: dict = template.get("Parameters", {}) or {}
        self.values = dict(values or {})
        self.default = default or self.sample
        self.conditions = dict(conditions or {})
        self._resolving: set[str] = set()

    # ------------------------------------------------------------ names
    def pseudo(self, name: str) -> Any:
        samples = {
            "AWS::AccountId": SAMPLE_ACCOUNT,
            "AWS::Region": SAMPLE_REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": SAMPLE_STACK,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/"
                f"{self.stack}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name in self.values:
            return self.values[name]
        if name not in samples:
            raise ValueError(f"unknown pseudo parameter {name}")
        return samples[name]

    @property
    def account(self) -> str:
        return self.values.get("AWS::AccountId", SAMPLE_ACCOUNT)

    @property
    def region(self) -> str:
        return self.values.get("AWS::Region", SAMPLE_REGION)

    @property
    def stack(self) -> str:
        return self.values.get("AWS::StackName", SAMPLE_STACK)

    def parameter(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        spec = self.parameters[name]
        kind, default = spec.get("Type", "String"), spec.get("Default")
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            if default not in (None, ""):
                return [item.strip() for item in str(default).split(",")]
            if "Subnet" in kind:
                return ["subnet-0sample000000001", "subnet-0sample000000002"]
            if "SecurityGroup" in kind:
                return ["sg-0sample000000001"]
            return []
        if default not in (None, ""):
            return str(default)
        return SAMPLE_PARAMETERS.get(name, "sample-" + _kebab(name))

    def name_of(self, logical_id: str) -> str:
        """The given name; else the resource's own name property, resolved; else the name
        CloudFormation makes."""
        if logical_id in self.names:
            return self.names[logical_id]
        resource = self.resources[logical_id]
        node: Any = resource.get("Properties", {}) or {}
        for key in NAME_PROPERTY.get(resource.get("Type", ""), ("Name",)):
            node = node.get(key) if isinstance(node, dict) else None
        if node is None or logical_id in self._resolving:
            return f"{self.stack}-{logical_id}-SAMPLE"
        self._resolving.add(logical_id)
        try:
            return str(self.resolve(node))
        finally:
            self._resolving.discard(logical_id)

    def sample(self, logical_id: str, attribute: str | None) -> Any:
        """A plausible Ref (attribute None) or GetAtt value for the resource's type."""
        kind = self.resources[logical_id].get("Type", "")
        name, acct, region = self.name_of(logical_id), self.account, self.region
        if kind == "AWS::IAM::OIDCProvider":
            url = self.resolve(self.resources[logical_id]["Properties"].get("Url", ""))
            return f"arn:aws:iam::{acct}:oidc-provider/{str(url).removeprefix('https://')}"
        samples = {
            **_samples_of_named_types(logical_id, name, acct, region),
            **_samples_of_service_types(logical_id, name, acct, region),
        }
        known = samples.get(kind, {})
        if attribute in known:
            return known[attribute]
        if attribute is None:
            return name
        if attribute == "Arn":
            service = kind.split("::")[1].lower() if "::" in kind else "sample"
            return f"arn:aws:{service}:{region}:{acct}:{_kebab(logical_id)}/{name}"
        return f"sample-{_kebab(logical_id)}-{_kebab(attribute.replace('.', ''))}"

    # ------------------------------------------------------------ intrinsics
    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameter(name)
        if name in self.values:
            return self.values[name]
        if name in self.resources:
            return self.default(name, None)
        raise ValueError(f"Ref to unknown name {name}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        key = f"{logical_id}.{attribute}"
        if key in self.values:
            return self.values[key]
        if logical_id not in self.resources:
            raise ValueError(f"GetAtt of unknown resource {logical_id}")
        return self.default(logical_id, attribute)

    def condition(self, name: str) -> bool:
        return bool(self.conditions.get(name, True))

    def sub(self, spec: Any) -> str:
        text, variables = (spec, {}) if isinstance(spec, str) else (spec[0], spec[1])
        local = {key: self.resolve(value) for key, value in variables.items()}

        def replace(match: re.Match) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(name))

        return SUB_PLACEHOLDER.sub(replace, text)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return str(node) if isinstance(node, str) else node
        if len(node) == 1:
            ((key, value),) = node.items()
            function = self.FUNCTIONS.get(key)
            if function:
                return function(self, value)
        resolved = {str(key): self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def _get_att(self, value):
        if isinstance(value, str):
            value = value.split(".", 1)
        return self.get_att(value[0], str(self.resolve(value[1])))

    def _if(self, value):
        name, when_true, when_false = value
        return self.resolve(when_true if self.condition(name) else when_false)

    def _join(self, value):
        separator, items = value
        items = self.resolve(items)
        return str(separator).join(str(item) for item in items)

    def _select(self, value):
        index, items = value
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, value):
        separator, text = value
        return str(self.resolve(text)).split(str(separator))

    def _find_in_map(self, value):
        name, first, second = (self.resolve(item) for item in value)
        return self.template["Mappings"][name][first][second]

    FUNCTIONS: dict[str, Callable[["Resolver", Any], Any]] = {
        "Ref": lambda self, value: self.ref(str(value)),
        "Fn::GetAtt": _get_att,
        "Fn::Sub": lambda self, value: self.sub(value),
        "Fn::If": _if,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::FindInMap": _find_in_map,
        "Fn::GetAZs": lambda self, value: [f"{self.region}{zone}" for zone in "abc"],
        "Fn::Base64": lambda self, value: self.resolve(value),
        "Fn::ImportValue": lambda self, value: "sample-import-" + str(self.resolve(value)),
        "Condition": lambda self, value: self.condition(str(value)),
    }


def _role_ids(node: Any) -> tuple[str, ...]:
    """Logical ids of the roles a policy resource attaches to (`Roles: [!Ref X]`)."""
    found = []
    for item in node if isinstance(node, list) else []:
        if isinstance(item, dict) and "Ref" in item:
            found.append(str(item["Ref"]))
    return tuple(found)


def policies(
    template_path: Path,
    values: Mapping[str, Any] | None = None,
    default: Callable[[str, str | None], Any] | None = None,
    conditions: Mapping[str, bool] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[PolicyDocument]:
    """Every policy document of one template, in template order, resolved (see Resolver)."""
    template_path = Path(template_path)
    resolver = Resolver(_decoded(template_path), values, default, conditions, names)
    bounded = boundaries(resolver.resources)
    return [
        PolicyDocument(
            template_path.name, logical_id, str(name), kind, resolver.resolve(document), roles
        )
        for logical_id, resource in resolver.resources.items()
        for name, kind, document, roles in _documents_of(logical_id, resource, resolver, bounded)
    ]


def boundaries(resources: Mapping[str, dict]) -> dict[str, tuple[str, ...]]:
    """Managed policy logical id -> the roles whose `PermissionsBoundary: !Ref` names it."""
    found: dict[str, tuple[str, ...]] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        boundary = (resource.get("Properties", {}) or {}).get("PermissionsBoundary")
        if isinstance(boundary, dict) and "Ref" in boundary:
            found[str(boundary["Ref"])] = found.get(str(boundary["Ref"]), ()) + (logical_id,)
    return found


def _documents_of(
    logical_id: str, resource: dict, resolver: Resolver, bounded: Mapping[str, tuple] = {}
) -> Iterator[tuple]:
    """(name, kind, unresolved document, roles) of each policy one resource holds."""
    kind = resource.get("Type", "")
    properties = resource.get("Properties", {}) or {}
    if kind == "AWS::IAM::Role":
        yield "AssumeRolePolicyDocument", "trust", properties["AssumeRolePolicyDocument"], ()
        for inline in properties.get("Policies", []) or []:
            yield inline["PolicyName"], "identity", inline["PolicyDocument"], (logical_id,)
    elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        name = properties.get("ManagedPolicyName") or properties.get("PolicyName") or logical_id
        if logical_id in bounded:
            yield resolver.resolve(name), "boundary", properties["PolicyDocument"], bounded[
                logical_id
            ]
            return
        roles = _role_ids(properties.get("Roles"))
        yield resolver.resolve(name), "identity", properties["PolicyDocument"], roles
    else:
        for key in ("PolicyDocument", "ResourcePolicy", "KeyPolicy"):
            if isinstance(properties.get(key), dict):
                name = kind.split("::")[-1] if key == "PolicyDocument" else key
                yield name, "resource", properties[key], ()


def all_policies(templates: list[Path] | None = None, **kwargs) -> list[PolicyDocument]:
    """Every policy document of every template under infra/ (or of `templates`)."""
    paths = templates if templates is not None else sorted(INFRA_DIR.glob("*.yaml"))
    return [policy for path in paths for policy in policies(path, **kwargs)]
