"""The run's access record: logical ids for local names, stored under the tree's digest,
and read back by `python -m deploy review` as the record of this tree."""

from __future__ import annotations

import json

from deploy.review.iam import find, outside
from deploy.review.trees import digest
from devkit.iam.access_record import write
from devkit.iam.evaluate import Request
from devkit.iam.recorder import Access, Unmapped
from devkit.paths import REPO

NAMES = {"LakeBucket": "local-lake", "LandingBucket": "local-lake-landing"}


def access(principal: str, action: str, resource: str) -> Access:
    return Access(principal, "test", Request(action, resource))


def test_the_record_names_stack_resources_by_logical_id_and_reads_back_as_this_trees(tmp_path):
    accesses = [
        access("EmrJobRole", "s3:GetObject", "arn:aws:s3:::local-lake/silver/a/b.parquet"),
        access("EmrJobRole", "s3:GetObject", "arn:aws:s3:::local-lake/silver/c.parquet"),
        access("MwaaExecutionRole", "s3:ListBucket", "arn:aws:s3:::local-lake-landing"),
        access("MwaaExecutionRole", "s3:GetObject", "arn:aws:s3:::partner-exports/out/x.csv"),
        Unmapped("MwaaExecutionRole", "test", "unknown call"),
    ]
    path = write(accesses, NAMES, ["data_lake__gold"], complete=False, records_dir=tmp_path)
    document = json.loads(path.read_text())
    assert path.name == f"{digest(REPO)}.json" and (tmp_path / "latest.json").is_file()
    assert document["accesses"] == [
        {
            "role": "EmrJobRole",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::${LakeBucket}/silver/*",
        },
        {
            "role": "MwaaExecutionRole",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::partner-exports/out/*",
        },
        {
            "role": "MwaaExecutionRole",
            "action": "s3:ListBucket",
            "resource": "arn:aws:s3:::${LandingBucket}",
        },
    ]
    record = find(REPO, digest(REPO), tmp_path, "head")  # a folder of records: by digest
    assert len(record.accesses) == 3 and "only DAGs data_lake__gold" in record.source
    assert [outside(r) for _, _, r in sorted(record.accesses)] == [False, True, False]
