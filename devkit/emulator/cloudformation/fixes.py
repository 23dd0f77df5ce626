"""Where moto's CloudFormation differs from AWS's on the real template, and the fixes.

Each function here makes a replacement from moto's own function; the changes are
declared (with why) in devkit/emulator/moto_extensions.py.
"""

from __future__ import annotations

import functools


def with_our_resource_types(moto_lookup):
    """moto's model look-up (`get_model_list`, `get_model_map`, `get_name_type_map`) with a
    fresh cache that sees devkit/emulator/cloudformation/resources.py's types: moto finds
    them as CloudFormationModel subclasses, and caches the first answer for good."""
    from devkit.emulator.cloudformation import resources  # noqa: F401  (defining registers)

    return functools.cache(moto_lookup.__wrapped__)


def joining_attribute_parts(clean_json):
    """`!GetAtt Res.A.B` and `${Res.A.B}` split at the first dot only, as CloudFormation
    does (moto reads the second part alone); clean_json recurses through its module
    global, so nested values are fixed too."""

    def joined_clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and len(resource_json.get("Fn::GetAtt", ())) > 2:
            name, *attribute = resource_json["Fn::GetAtt"]
            resource_json = {"Fn::GetAtt": [name, ".".join(attribute)]}
        return clean_json(resource_json, resources_map)

    return joined_clean_json


def updating_outputs(apply):
    """ChangeSet.apply that also takes the new template and re-reads the stack's outputs."""

    def apply_and_update_outputs(self) -> None:
        apply(self)
        self.stack.template = self.template
        self.stack._parse_template()
        self.stack.output_map = self.stack._create_output_map()

    return apply_and_update_outputs


def setting_versioning(create):
    """FakeBucket.create_from_cloudformation_json that applies VersioningConfiguration."""
    from moto.s3.models import s3_backends

    def with_versioning(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        bucket = create(resource_name, cloudformation_json, account_id, region_name, **kw)
        properties = cloudformation_json.get("Properties", {})
        status = properties.get("VersioningConfiguration", {}).get("Status")
        if status:
            s3_backends[account_id]["aws"].put_bucket_versioning(bucket.name, status)
        return bucket

    return classmethod(with_versioning)
