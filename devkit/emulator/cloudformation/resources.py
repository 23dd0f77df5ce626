"""CloudFormation resource types of infra/pipelines.yaml that moto's CloudFormation lacks.

Each is a moto `CloudFormationModel` (moto finds them as direct subclasses once this
module is imported) that creates the resource in the backend the rest of the
emulation uses: moto's own where moto has the service (Glue, Athena, EMR
Serverless, Secrets Manager, IAM), devkit's where it has not (Redshift Serverless:
devkit/emulator/redshift/serverless.py; MWAA: devkit/emulator/standins/fake_mwaa.py). So
`CreateStack` with the real template creates every resource, and the outputs
(`Ref`, `Fn::GetAtt`) have AWS's shape. Declared in devkit/emulator/moto_extensions.py.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from devkit.emulator.redshift import serverless as rs
from devkit.emulator.standins import fake_mwaa


class _Resource:
    """Shared by the models: a physical id (`Ref`) and the attributes `Fn::GetAtt` reads."""

    TYPE = ""
    NAME_PROPERTY = ""

    def __init__(self, physical_id: str, attributes: dict[str, Any], properties: dict):
        self.physical_id, self.attributes, self.properties = physical_id, attributes, properties

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True  # checked against the real schemas by cfn-lint, not here

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[attribute_name]

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json.get("Properties", {})
        physical_id, attributes = cls.create(resource_name, properties, account_id, region_name)
        return cls(physical_id, attributes, properties)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        """Same identity, new properties: the emulation keeps no state that they change."""
        original_resource.properties = cloudformation_json.get("Properties", {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ) -> None:
        cls.delete(resource_name, account_id, region_name)

    @classmethod
    def create(cls, name: str, props: dict, account_id: str, region: str) -> tuple[str, dict]:
        raise NotImplementedError

    @classmethod
    def delete(cls, physical_id: str, account_id: str, region: str) -> None:
        """Most emulated resources outlive their stack harmlessly; override to remove."""


# Bucket policies are kept here, not put on moto's bucket: moto evaluates a bucket
# policy's Deny without its conditions, and the template's only statement denies
# requests without TLS (aws:SecureTransport), which every loopback request would match.
BUCKET_POLICIES: dict[str, dict] = {}


class BucketPolicy(_Resource, CloudFormationModel):
    TYPE = "AWS::S3::BucketPolicy"

    @classmethod
    def create(cls, name, props, account_id, region):
        BUCKET_POLICIES[props["Bucket"]] = props["PolicyDocument"]
        return props["Bucket"], {}


def _generated(backend, spec: dict) -> str:
    generated = backend.get_random_password(
        password_length=int(spec.get("PasswordLength", 32)),
        exclude_characters=spec.get("ExcludeCharacters", ""),
        exclude_numbers=False,
        exclude_punctuation=bool(spec.get("ExcludePunctuation", False)),
        exclude_uppercase=False,
        exclude_lowercase=False,
        include_space=False,
        require_each_included_type=True,
    )
    password = json.loads(generated)["RandomPassword"]
    if "GenerateStringKey" not in spec:
        return password
    return json.dumps(
        {**json.loads(spec["SecretStringTemplate"]), spec["GenerateStringKey"]: password}
    )


def create_secret(account_id: str, region: str, name: str, value: str, description="") -> str:
    """A secret in moto's Secrets Manager; returns its ARN."""
    from moto.secretsmanager.models import secretsmanager_backends

    created = secretsmanager_backends[account_id][region].create_secret(
        name=name,
        secret_string=value,
        secret_binary=None,
        description=description,
        tags=[],
        kms_key_id=None,
        client_request_token=None,
        replica_regions=[],
        force_overwrite=False,
    )
    return json.loads(created)["ARN"]


class Secret(_Resource, CloudFormationModel):
    TYPE = "AWS::SecretsManager::Secret"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, name, props, account_id, region):
        from moto.secretsmanager.models import secretsmanager_backends

        backend = secretsmanager_backends[account_id][region]
        value = props.get("SecretString") or _generated(backend, props["GenerateSecretString"])
        arn = create_secret(account_id, region, name, value, props.get("Description", ""))
        return arn, {"Id": arn}


class OidcProvider(_Resource, CloudFormationModel):
    TYPE = "AWS::IAM::OIDCProvider"

    @classmethod
    def create(cls, name, props, account_id, region):
        from moto.iam.models import iam_backends

        provider = iam_backends[account_id]["global"].create_open_id_connect_provider(
            props["Url"], props.get("ThumbprintList", []), props.get("ClientIdList", []), []
        )
        return provider.arn, {"Arn": provider.arn}

    @classmethod
    def delete(cls, physical_id, account_id, region):
        from moto.iam.models import iam_backends

        iam_backends[account_id]["global"].open_id_providers.pop(physical_id, None)


class GlueDatabase(_Resource, CloudFormationModel):
    TYPE = "AWS::Glue::Database"

    @classmethod
    def create(cls, name, props, account_id, region):
        from moto.glue.models import glue_backends

        database_input = props["DatabaseInput"]
        glue_backends[account_id][region].create_database(database_input["Name"], database_input)
        return database_input["Name"], {}

    @classmethod
    def delete(cls, physical_id, account_id, region):
        from moto.glue.models import glue_backends

        glue_backends[account_id][region].databases.pop(physical_id, None)


class GlueCrawler(_Resource, CloudFormationModel):
    TYPE = "AWS::Glue::Crawler"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, name, props, account_id, region):
        from moto.glue.models import glue_backends

        glue_backends[account_id][region].create_crawler(
            name=name,
            role=props["Role"],
            database_name=props.get("DatabaseName"),
            description=props.get("Description"),
            targets=props.get("Targets", {}),
            schedule=props.get("Schedule", {}).get("ScheduleExpression"),
            classifiers=props.get("Classifiers", []),
            table_prefix=props.get("TablePrefix"),
            schema_change_policy=props.get("SchemaChangePolicy"),
            recrawl_policy=props.get("RecrawlPolicy"),
            lineage_configuration=props.get("LineageConfiguration"),
            configuration=props.get("Configuration"),
            crawler_security_configuration=props.get("CrawlerSecurityConfiguration"),
            tags={},
        )
        return name, {}

    @classmethod
    def delete(cls, physical_id, account_id, region):
        from moto.glue.models import glue_backends

        glue_backends[account_id][region].crawlers.pop(physical_id, None)


class AthenaWorkGroup(_Resource, CloudFormationModel):
    TYPE = "AWS::Athena::WorkGroup"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, name, props, account_id, region):
        from moto.athena.models import athena_backends

        athena_backends[account_id][region].create_work_group(
            name, props.get("WorkGroupConfiguration", {}), props.get("Description", ""), []
        )
        return name, {}


class EmrServerlessApplication(_Resource, CloudFormationModel):
    TYPE = "AWS::EMRServerless::Application"

    @classmethod
    def create(cls, name, props, account_id, region):
        from moto.emrserverless.models import emrserverless_backends

        lower = {key[:1].lower() + key[1:]: value for key, value in props.items()}
        application = emrserverless_backends[account_id][region].create_application(
            name=props.get("Name", name),
            release_label=props["ReleaseLabel"],
            application_type=props["Type"],
            client_token="cloudformation",
            initial_capacity=lower.get("initialCapacity"),
            maximum_capacity=lower.get("maximumCapacity"),
            tags={},
            auto_start_configuration=_camel(lower.get("autoStartConfiguration")),
            auto_stop_configuration=_camel(lower.get("autoStopConfiguration")),
            network_configuration=None,
        )
        return application.id, {"ApplicationId": application.id, "Arn": application.arn}


def _camel(value: dict | None) -> dict | None:
    """CloudFormation's `Enabled` -> the API's `enabled`."""
    return {k[:1].lower() + k[1:]: v for k, v in value.items()} if value else value


class RedshiftNamespace(_Resource, CloudFormationModel):
    TYPE = "AWS::RedshiftServerless::Namespace"
    NAME_PROPERTY = "NamespaceName"

    @classmethod
    def create(cls, name, props, account_id, region):
        namespace = rs.Namespace(
            name,
            account_id,
            region,
            db_name=props.get("DbName", "dev"),
            admin_username=props.get("AdminUsername", "admin"),
            iam_roles=list(props.get("IamRoles", [])),
        )
        if str(props.get("ManageAdminPassword", "")).lower() == "true":
            namespace.admin_secret_arn = _admin_secret(namespace)
        rs.add_namespace(namespace)
        described = namespace.describe()
        attributes = {f"Namespace.{k[:1].upper()}{k[1:]}": v for k, v in described.items()}
        return name, attributes

    @classmethod
    def delete(cls, physical_id, account_id, region):
        rs.remove("namespace", account_id, region, physical_id)


def _admin_secret(namespace: rs.Namespace) -> str:
    """Redshift keeps the admin's generated password in a secret it manages."""
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[namespace.account_id][namespace.region]
    password = _generated(backend, {"PasswordLength": 32, "ExcludePunctuation": True})
    name = f"{rs.ADMIN_SECRET_PREFIX}{namespace.name}-admin"
    value = rs.admin_secret(namespace.admin_username, password)
    return create_secret(namespace.account_id, namespace.region, name, value)


class RedshiftWorkgroup(_Resource, CloudFormationModel):
    TYPE = "AWS::RedshiftServerless::Workgroup"
    NAME_PROPERTY = "WorkgroupName"

    @classmethod
    def create(cls, name, props, account_id, region):
        rs.namespace(account_id, region, props["NamespaceName"])  # must exist, as on AWS
        workgroup = rs.add_workgroup(
            rs.Workgroup(
                name,
                props["NamespaceName"],
                account_id,
                region,
                port=int(props.get("Port", 5439)),
                base_capacity=int(props.get("BaseCapacity", 8)),
            )
        )
        return name, {
            "Workgroup.WorkgroupId": workgroup.id,
            "Workgroup.WorkgroupArn": workgroup.arn,
            "Workgroup.WorkgroupName": workgroup.name,
            "Workgroup.NamespaceName": workgroup.namespace,
            "Workgroup.Endpoint.Address": workgroup.address,
            "Workgroup.Endpoint.Port": workgroup.port,
        }

    @classmethod
    def delete(cls, physical_id, account_id, region):
        rs.remove("workgroup", account_id, region, physical_id)


class MwaaEnvironment(_Resource, CloudFormationModel):
    TYPE = "AWS::MWAA::Environment"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, name, props, account_id, region):
        fake = fake_mwaa.process_fake()
        bucket = props["SourceBucketArn"].rsplit(":", 1)[-1]
        fake.add(name, bucket, dags=props.get("DagS3Path", "dags"))
        fake.environments[name].update(
            {
                "ExecutionRoleArn": props.get("ExecutionRoleArn"),
                "WebserverAccessMode": props.get("WebserverAccessMode"),
                "AirflowConfigurationOptions": props.get("AirflowConfigurationOptions", {}),
            }
        )
        arn = fake.environments[name]["Arn"]
        return name, {"Arn": arn, "WebserverUrl": f"{name}.airflow.{region}.on.aws"}

    @classmethod
    def delete(cls, physical_id, account_id, region):
        fake_mwaa.process_fake().environments.pop(physical_id, None)


MODELS = (
    BucketPolicy,
    Secret,
    OidcProvider,
    GlueDatabase,
    GlueCrawler,
    AthenaWorkGroup,
    EmrServerlessApplication,
    RedshiftNamespace,
    RedshiftWorkgroup,
    MwaaEnvironment,
)
