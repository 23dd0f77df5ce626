"""infra/pipelines.yaml's Rules: what CloudFormation refuses before creating anything."""

from __future__ import annotations

import pytest
from cfnlint.decode import decode_str

from devkit.iam.infra_policies import INFRA_DIR

TEMPLATE = decode_str((INFRA_DIR / "pipelines.yaml").read_text())[0]


def holds(expression, parameters: dict[str, list[str]]) -> bool:
    """The Rules functions the template uses, as CloudFormation evaluates them."""
    ((function, args),) = expression.items()
    if function == "Fn::Not":
        return not holds(args[0], parameters)
    if function == "Fn::Contains":
        return args[1] in resolve(args[0], parameters)
    raise AssertionError(f"{function}: add it to this evaluator")


def resolve(value, parameters):
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    return value


def verdict(redshift_subnet_ids: str) -> bool:
    # a CommaDelimitedList as CloudFormation splits it: "" is [""]
    given = {"RedshiftSubnetIds": redshift_subnet_ids.split(",")}
    rule = TEMPLATE["Rules"]["RedshiftSubnetIdsGiven"]
    return all(holds(a["Assert"], given) for a in rule["Assertions"])


@pytest.mark.parametrize(
    "value, allowed",
    [("", False), ("subnet-a,,subnet-c", False), ("subnet-a,subnet-b,subnet-c", True)],
)
def test_redshift_subnet_ids_cannot_be_left_empty(value, allowed):
    assert verdict(value) is allowed


def test_the_workgroup_takes_the_redshift_subnets_never_the_mwaa_two():
    workgroup = TEMPLATE["Resources"]["RedshiftWorkgroup"]["Properties"]
    assert workgroup["SubnetIds"] == {"Ref": "RedshiftSubnetIds"}
    assert "Default" not in TEMPLATE["Parameters"]["RedshiftSubnetIds"]
