"""No physical resource name is written in dags/: the DAGs read every one from a Variable.

The patterns come from infra/pipelines.yaml itself: every name the template gives a
resource (and every output built from the stack's name, such as the secrets prefixes),
resolved with marker values for the stack, account and region, then turned back into
a pattern where the stack is any name, the account any 12 digits, the region any
region. A name whose fragment after the stack has several parts (`tickit_gold`,
`lake-bronze`) is also caught without a stack in front, with `-` and `_` alike: the
shape DAGs used to write them in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devkit.airflow.dag_files import DAGS_DIR
from devkit.iam.policies import physical_names, stack_resolver, template
from lakehouse.datahub import CONTAINER_NAME

STACK, ACCOUNT, REGION = "zq-stack-zq", "999988887777", "eu-west-3"
GLUE_STACK = STACK.replace("-", "_")
MARKERS = {
    STACK: r"[a-z0-9][a-z0-9_-]*",
    GLUE_STACK: r"[a-z0-9][a-z0-9_-]*",
    ACCOUNT: r"\d{12}",
    REGION: r"[a-z]{2}(?:-[a-z]+)+-\d",
}
# Names the DAGs rightly write that are not AWS resources: the container inside the
# task definition (its family is `<stack>-datahub-ingestion`).
NOT_RESOURCES = {CONTAINER_NAME}
TOKEN = r"(?<![A-Za-z0-9_-]){}(?![A-Za-z0-9_-])"


def template_names() -> set[str]:
    """Every stack-derived name of the template: resources (roles aside: CloudFormation
    makes theirs up) and outputs built from the stack's name."""
    resolver = stack_resolver(STACK, **{"AWS::AccountId": ACCOUNT, "AWS::Region": REGION})
    kinds = {k: r["Type"] for k, r in template()["Resources"].items()}
    names = {n for k, n in physical_names(resolver).items() if kinds[k] != "AWS::IAM::Role"}
    for output in template()["Outputs"].values():
        value = resolver.resolve(output["Value"])
        if isinstance(value, str) and (STACK in value or GLUE_STACK in value):
            names.add(value)
    return {name for name in names if name not in (STACK, GLUE_STACK)}


def _literal(text: str) -> str:
    return "".join("[-_]" if char in "-_" else re.escape(char) for char in text)


def name_pattern(name: str) -> re.Pattern:
    """`zq-stack-zq-lake-<account>-<region>` -> any stack, account and region."""
    pieces = re.split("(" + "|".join(map(re.escape, MARKERS)) + ")", name)
    regex = "".join(MARKERS.get(piece, _literal(piece)) for piece in pieces)
    fragment = re.sub(f"^({re.escape(STACK)}|{GLUE_STACK})[-_/]", "", name)
    several_parts = len(re.split("[-_/]", fragment)) > 1
    if fragment != name and several_parts and fragment not in NOT_RESOURCES:
        if not any(marker in fragment for marker in MARKERS):
            regex = f"(?:{MARKERS[STACK]}[-_/])?{_literal(fragment)}"
    return re.compile(TOKEN.format(regex))


PATTERNS = {name: name_pattern(name) for name in sorted(template_names())}


def dag_files() -> list[Path]:
    return sorted(DAGS_DIR.rglob("*.py"))


def test_the_patterns_cover_every_kind_of_name():
    names = " ".join(PATTERNS)
    for fragment in ("tickit_gold", "lake-bronze", "-lake-", "/airflow/variables", "-datahub"):
        assert fragment in names, (fragment, sorted(PATTERNS))


@pytest.mark.parametrize(
    "written",
    [
        "tickit_gold_sales_by_category",  # the crawler, as a DAG named it before
        "data_lake_bronze",
        "lake_gold",
        "acme-prod-lake-123456789012-us-east-1",
        "acme-prod/airflow/variables",
        "acme-datahub",
        "/ecs/acme/datahub-ingestion",
    ],
)
def test_a_written_name_is_found(written):
    assert any(p.search(f'x = "{written}"') for p in PATTERNS.values()), written


def test_no_dag_file_writes_a_resource_name():
    found = [
        f"{path.relative_to(DAGS_DIR.parent)}:{number}: {match.group(0)!r} looks like the "
        f"stack's {name!r}"
        for path in dag_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for name, pattern in PATTERNS.items()
        for match in [pattern.search(line)]
        if match
    ]
    assert not found, (
        "dags/ names AWS resources; read them from a Variable (lakehouse.conventions.Var, "
        "an output of infra/pipelines.yaml) instead:\n" + "\n".join(found)
    )
