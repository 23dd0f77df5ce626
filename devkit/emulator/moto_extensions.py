"""What issue 21 adds to moto, in one place, with the moto version it was written for.

Written against moto 5.2.5 (MOTO_VERSION): `install()` fails loudly on any other
version, so an upgrade re-reads the private APIs these lean on. The older patches
(redshift_data, glue_crawler, athena, emr_serverless, ecs_ingestion, recorder) keep
their own install() until issue 25 gathers them here too.

EXTENSIONS names each addition, the moto internals it relies on, and why.
"""

from __future__ import annotations

import re
import sys
import types

import moto

MOTO_VERSION = "5.2.5"

EXTENSIONS: dict[str, str] = {
    "CloudFormation resource types": (
        "devkit/emulator/cloudformation/resources.py: S3::BucketPolicy, SecretsManager::Secret, "
        "IAM::OIDCProvider, Glue::Database, Glue::Crawler, Athena::WorkGroup, "
        "EMRServerless::Application, RedshiftServerless::Namespace and ::Workgroup, "
        "MWAA::Environment as CloudFormationModel subclasses (moto.cloudformation.parsing "
        "finds them by CloudFormationModel.__subclasses__(), cached by lru_cache), so the "
        "real template creates every resource"
    ),
    "Redshift Serverless API": (
        "GetWorkgroup, GetNamespace, ListWorkgroups, ListNamespaces on the moto server "
        "(moto has no redshift-serverless backend): a module registered as "
        "moto.redshiftserverless (moto.backends._import_backend) and its URL in "
        "moto.backend_index.backend_url_patterns"
    ),
    "Fn::GetAtt Res.Attr.Sub": (
        "moto splits `!GetAtt Res.Workgroup.Endpoint.Address` and `${Res.A.B}` in Fn::Sub "
        "at every dot and reads only the second part; CloudFormation splits at the first. "
        "moto.cloudformation.parsing.clean_json (recursive through its module global) is "
        "wrapped to join the attribute's parts again"
    ),
    "Outputs after a change set": (
        "moto.cloudformation.models.ChangeSet.apply updates the stack's resources but "
        "neither its template nor its outputs, so a stack made by `deploy infra apply` "
        "(a change set) had no Outputs: apply also re-reads the template and the outputs"
    ),
    "Bucket versioning from CloudFormation": (
        "moto.s3.models.FakeBucket.create_from_cloudformation_json ignores "
        "VersioningConfiguration; AWS applies it, and `deploy deploy` refuses an MWAA "
        "bucket without versioning: the wrapper sets it after the create"
    ),
}


class UnsupportedMoto(RuntimeError):
    """The installed moto is not the one these extensions were written for."""


def install() -> None:
    """Add every extension (idempotent)."""
    if moto.__version__ != MOTO_VERSION:
        raise UnsupportedMoto(
            f"devkit/emulator/moto_extensions.py was written for moto {MOTO_VERSION}, "
            f"found {moto.__version__}: re-check each of EXTENSIONS, then update MOTO_VERSION"
        )
    _install_cfn_models()
    _install_getatt_split()
    _install_change_set_outputs()
    _install_bucket_versioning()
    _install_redshift_serverless_api()


def _install_cfn_models() -> None:
    from moto.cloudformation import parsing

    from devkit.emulator.cloudformation import resources  # noqa: F401  (defining registers)

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _install_getatt_split() -> None:
    from moto.cloudformation import parsing

    if getattr(parsing.clean_json, "joins_attribute_parts", False):
        return
    original = parsing.clean_json

    def clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and len(resource_json.get("Fn::GetAtt", ())) > 2:
            name, *attribute = resource_json["Fn::GetAtt"]
            resource_json = {"Fn::GetAtt": [name, ".".join(attribute)]}
        return original(resource_json, resources_map)

    clean_json.joins_attribute_parts = True
    parsing.clean_json = clean_json


def _install_change_set_outputs() -> None:
    from moto.cloudformation.models import ChangeSet

    if getattr(ChangeSet.apply, "updates_outputs", False):
        return
    original = ChangeSet.apply

    def apply(self) -> None:
        original(self)
        self.stack.template = self.template
        self.stack._parse_template()
        self.stack.output_map = self.stack._create_output_map()

    apply.updates_outputs = True
    ChangeSet.apply = apply


def _install_bucket_versioning() -> None:
    from moto.s3.models import FakeBucket, s3_backends

    create = FakeBucket.create_from_cloudformation_json
    if getattr(create, "sets_versioning", False):
        return
    original = create.__func__

    def with_versioning(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        bucket = original(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json.get("Properties", {})
        status = properties.get("VersioningConfiguration", {}).get("Status")
        if status:
            s3_backends[account_id]["aws"].put_bucket_versioning(bucket.name, status)
        return bucket

    with_versioning.sets_versioning = True
    FakeBucket.create_from_cloudformation_json = classmethod(with_versioning)


_SERVICE_URL = r"https?://redshift-serverless\.(.+)\.amazonaws\.com"


def _install_redshift_serverless_api() -> None:
    from moto import backend_index

    if "moto.redshiftserverless" in sys.modules:
        return
    from devkit.emulator.redshift import serverless_api as redshift_serverless_api

    module = types.ModuleType("moto.redshiftserverless")
    module.redshiftserverless_backends = redshift_serverless_api.backends()
    sys.modules["moto.redshiftserverless"] = module
    backend_index.backend_url_patterns.insert(0, ("redshiftserverless", re.compile(_SERVICE_URL)))
