"""Static rules for the job files EMR Serverless runs as they are (no Spark needed)."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict

import pytest

from tests.spark.conftest import JOB_NAMES, JOBS

# Top-level names each job defines its own way; any other name found in two files is a copy.
OWN_NAMES = {"main", "parse_args", "read_bronze", "to_silver"}


def parsed(name: str) -> ast.Module:
    return ast.parse((JOBS / f"{name}.py").read_text())


def test_the_expected_jobs_exist():
    assert JOB_NAMES == [
        "gold_encounters_for_symptom",
        "gold_observations",
        "gold_sinusitis_study",
        "gold_tickit_sales",
        "silver_synthea",
        "silver_tickit",
    ]


@pytest.mark.parametrize("name", JOB_NAMES)
def test_job_file_is_self_contained_and_follows_the_rules(name):
    source = (JOBS / f"{name}.py").read_text()
    tree = parsed(name)
    # emr-7.x images ship Python 3.9 (and 3.11): no newer syntax, annotations stay strings
    ast.parse(source, feature_version=(3, 9))
    assert "from __future__ import annotations" in source
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"pyspark"}, "a job may import only the standard library and pyspark"
    assert "GlueContext" not in source and "awsglue" not in source
    assert ".stop()" not in source, "the local run reuses one JVM across jobs"
    assert "getOrCreate()" in source and ".appName(" in source

    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]
    assert not [text for text in literals if "s3://" in text or "s3a://" in text], "no buckets"

    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    assert [a.arg for a in main.args.args] == ["argv"]
    assert ast.unparse(main.args.defaults[0]) == "None"
    assert ast.unparse(main.returns) == "None"
    assert source.rstrip().endswith('if __name__ == "__main__":\n    main()')


def test_helpers_copied_between_job_files_are_identical():
    """No shared module is shipped (see spark/README.md), so copies must not drift apart."""
    versions = defaultdict(dict)
    for name in JOB_NAMES:
        for node in parsed(name).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                key = node.name
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                key = ",".join(ast.unparse(t) for t in targets)
            else:
                continue
            if key not in OWN_NAMES:
                versions[key][name] = ast.dump(node)
    drifted = {
        key: sorted(files) for key, files in versions.items() if len(set(files.values())) > 1
    }
    assert not drifted
    shared = {key for key, files in versions.items() if len(files) == len(JOB_NAMES)}
    assert {"BadInputError", "configure", "write_replacing", "hadoop_path"} <= shared
