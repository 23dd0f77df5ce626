"""The review's sections on small inputs: policy statements, resource classification."""

from __future__ import annotations

import copy

from deploy.review import iam, infrastructure


def template(statements: list[dict], bucket: dict | None = None) -> dict:
    resources = {
        "LakeBucket": bucket or {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "lake"}},
        "JobRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Policies": [{"PolicyName": "job", "PolicyDocument": {"Statement": statements}}]
            },
        },
    }
    return {"infra/pipelines.yaml": {"Resources": resources}}


READ = {
    "Sid": "LakeRead",
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "Resource": {"Fn::Sub": "${LakeBucket.Arn}/*"},
}


def test_policy_statements_added_removed_and_widened_are_named_per_role():
    wider = {**READ, "Action": ["s3:GetObject", "s3:PutObject"]}
    partner = {"Sid": "Partner", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}
    lines, flagged = iam.policy_lines(template([READ]), template([wider, partner]))
    assert lines[0] == "- `JobRole`:"
    assert lines[1].startswith("  - statement widened: `job` · `LakeRead` (Allow `s3:GetObject`")
    assert lines[2].startswith(
        "  - statement added: `job` · `Partner` (Allow `s3:PutObject` on `*`)"
    )
    assert lines[2].endswith("**outside the stack's own resources**: `*`") and flagged == 1
    lines, _ = iam.policy_lines(template([READ, partner]), template([READ]))
    assert lines == [
        "- `JobRole`:",
        "  - statement removed: `job` · `Partner` (Allow `s3:PutObject` on `*`)",
    ]


def test_an_update_in_place_is_not_a_replacement_and_a_deleted_bucket_is_data_loss():
    base = template([READ])
    versioned = copy.deepcopy(base)
    bucket = versioned["infra/pipelines.yaml"]["Resources"]["LakeBucket"]
    bucket["Properties"]["VersioningConfiguration"] = {"Status": "Enabled"}
    section = infrastructure.section(base, versioned)
    assert section.verdict == ["1 resource updated in place"]
    assert "update in place: `LakeBucket` (AWS::S3::Bucket): `VersioningConfiguration`" in (
        section.lines[2]
    )
    gone = copy.deepcopy(base)
    del gone["infra/pipelines.yaml"]["Resources"]["LakeBucket"]
    section = infrastructure.section(base, gone)
    assert section.verdict == [
        "1 resource removed",
        "1 deletion of a stateful resource (LakeBucket)",
    ]
    assert "**deleted with its data**" in section.lines[2]


def test_create_only_properties_come_from_cfn_lints_schemas():
    assert infrastructure.create_only("AWS::S3::Bucket")[0] == ("BucketName",)
    assert ("NamespaceName",) in infrastructure.create_only("AWS::RedshiftServerless::Namespace")
    assert infrastructure.create_only("AWS::No::Such") == ()


def test_the_review_imports_nothing_from_devkit():
    """lakehouse <- deploy <- devkit: the review reaches devkit's parse through a subprocess."""
    import ast

    from devkit.paths import REPO

    found = []
    for path in sorted((REPO / "deploy" / "review").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "devkit"]
    assert found == []
