"""devkit/iam/evaluate.py against the IAM User Guide's own examples.

Policy evaluation logic (explicit deny > allow > implicit deny), NotAction and
NotResource, policy variables (the s3:prefix home-folder listing example), wildcards
and the condition operators, including the set operators and their missing-key rules.
"""

from __future__ import annotations

import pytest

from devkit.iam.evaluate import PolicyError, Request, arn_matches, evaluate


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allowed(policies, action, resource, **context) -> bool:
    context = {k.replace("__", ":"): v for k, v in context.items()}
    return evaluate(policies, Request(action, resource, context)).allowed


# --- evaluation logic -----------------------------------------------------------------


def test_nothing_allows_means_implicit_deny():
    decision = evaluate([policy()], Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert (decision.allowed, decision.reason) == (False, "implicit-deny")


def test_explicit_deny_overrides_any_allow():
    policies = [
        policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        policy(
            {
                "Sid": "NoPayroll",
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::hr/payroll/*",
            }
        ),
    ]
    decision = evaluate(policies, Request("s3:GetObject", "arn:aws:s3:::hr/payroll/2026.csv"))
    assert (decision.allowed, decision.reason) == (False, "explicit-deny")
    assert [ref.sid for ref in decision.statements] == ["NoPayroll"]
    assert allowed(policies, "s3:GetObject", "arn:aws:s3:::hr/handbook.pdf")


# --- NotAction / NotResource (IAM JSON policy elements reference) -------------------------


def test_allow_with_notaction_allows_everything_but_the_listed_service():
    # "Allow everything except IAM" (NotAction with Allow).
    policies = [policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]
    assert allowed(policies, "s3:GetObject", "arn:aws:s3:::b/k")
    assert not allowed(policies, "iam:CreateUser", "arn:aws:iam::123456789012:user/x")


def test_deny_notaction_unless_mfa_with_bool_if_exists():
    # "Deny all but IAM when the user is not signed in with MFA".
    policies = [
        policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        policy(
            {
                "Effect": "Deny",
                "NotAction": "iam:*",
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        ),
    ]
    assert not allowed(policies, "ec2:RunInstances", "*")  # key absent: IfExists -> true
    assert not allowed(policies, "ec2:RunInstances", "*", aws__MultiFactorAuthPresent=False)
    assert allowed(policies, "ec2:RunInstances", "*", aws__MultiFactorAuthPresent=True)
    assert allowed(policies, "iam:ListUsers", "*")


def test_deny_notresource_keeps_access_to_the_listed_resources_only():
    # "Deny everything in S3 except the HRBucket/Payroll folder" (NotResource with Deny).
    policies = [
        policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        policy(
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
            }
        ),
    ]
    assert allowed(policies, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/june.csv")
    assert not allowed(policies, "s3:GetObject", "arn:aws:s3:::HRBucket/Other/june.csv")


def test_statement_needs_exactly_one_of_action_and_notaction():
    with pytest.raises(PolicyError, match="neither Action nor NotAction"):
        evaluate([policy({"Effect": "Allow", "Resource": "*"})], Request("s3:GetObject", "*"))


# --- wildcards ------------------------------------------------------------------------


def test_actions_are_case_insensitive_and_take_wildcards():
    policies = [policy({"Effect": "Allow", "Action": "S3:get*", "Resource": "*"})]
    assert allowed(policies, "s3:GetObject", "arn:aws:s3:::b/k")
    assert not allowed(policies, "s3:PutObject", "arn:aws:s3:::b/k")


def test_resources_are_case_sensitive_and_question_mark_is_one_character():
    policies = [
        policy(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/day-?/*"}
        )
    ]
    assert allowed(policies, "s3:GetObject", "arn:aws:s3:::logs/day-1/a.gz")
    assert not allowed(policies, "s3:GetObject", "arn:aws:s3:::logs/day-10/a.gz")
    assert not allowed(policies, "s3:GetObject", "arn:aws:s3:::Logs/day-1/a.gz")


def test_a_wildcard_in_an_arn_segment_does_not_span_colons():
    assert arn_matches(
        "arn:aws:glue:*:123456789012:table/db/*",
        "arn:aws:glue:us-east-1:" "123456789012:table/db/t",
    )
    assert not arn_matches("arn:aws:iam::*:role/x", "arn:aws:iam::1:2:role/x")
    assert arn_matches(
        "arn:aws:logs:us-east-1:1:log-group:/g:*",
        "arn:aws:logs:us-east-1:1:" "log-group:/g:log-stream:s",
    )


# --- policy variables: the User Guide's "home folder" S3 example ----------------------------

HOME_FOLDERS = policy(
    {
        "Sid": "ListHomeFolder",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
        "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
    },
    {
        "Sid": "OwnObjects",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*",
    },
)


def test_users_list_and_use_only_their_home_folder():
    bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
    alice = {"aws__username": "alice"}
    assert allowed([HOME_FOLDERS], "s3:ListBucket", bucket, s3__prefix="", **alice)
    assert allowed([HOME_FOLDERS], "s3:ListBucket", bucket, s3__prefix="home/alice/x", **alice)
    assert not allowed([HOME_FOLDERS], "s3:ListBucket", bucket, s3__prefix="home/bob/", **alice)
    assert not allowed([HOME_FOLDERS], "s3:ListBucket", bucket, **alice)  # no prefix sent
    assert allowed([HOME_FOLDERS], "s3:PutObject", f"{bucket}/home/alice/cv.pdf", **alice)
    assert not allowed([HOME_FOLDERS], "s3:PutObject", f"{bucket}/home/bob/cv.pdf", **alice)


def test_a_missing_variable_matches_nothing_and_a_default_fills_in():
    bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
    assert not allowed([HOME_FOLDERS], "s3:GetObject", f"{bucket}/home//x")  # no username
    with_default = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*",
        }
    )
    assert allowed([with_default], "s3:GetObject", "arn:aws:s3:::b/shared/x")
    assert allowed(
        [with_default], "s3:GetObject", "arn:aws:s3:::b/data/x", **{"aws:PrincipalTag/team": "data"}
    )


def test_escaped_wildcard_variables_match_literally():
    literal = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${*}/x"}
    )
    assert allowed([literal], "s3:GetObject", "arn:aws:s3:::b/*/x")
    assert not allowed([literal], "s3:GetObject", "arn:aws:s3:::b/a/x")


# --- condition operators ----------------------------------------------------------------


def one(condition: dict) -> list[dict]:
    return [policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition})]


def test_values_under_one_key_are_ored_keys_and_operators_are_anded():
    policies = one(
        {
            "StringEquals": {
                "aws:PrincipalTag/team": ["data", "ml"],
                "aws:RequestedRegion": "eu-west-1",
            },
            "Bool": {"aws:SecureTransport": "true"},
        }
    )
    base = {
        "aws:PrincipalTag/team": "ml",
        "aws:RequestedRegion": "eu-west-1",
        "aws:SecureTransport": True,
    }
    assert allowed(policies, "s3:GetObject", "*", **base)
    assert not allowed(
        policies, "s3:GetObject", "*", **{**base, "aws:RequestedRegion": "us-east-1"}
    )
    assert not allowed(policies, "s3:GetObject", "*", **{**base, "aws:SecureTransport": False})


def test_condition_key_names_are_case_insensitive_values_are_not():
    policies = one({"StringEquals": {"IAM:PassedToService": "glue.amazonaws.com"}})
    assert allowed(policies, "iam:PassRole", "*", iam__PassedToService="glue.amazonaws.com")
    assert not allowed(policies, "iam:PassRole", "*", iam__PassedToService="GLUE.amazonaws.com")


def test_a_missing_key_fails_positive_operators_and_passes_negated_ones():
    assert not allowed(one({"StringEquals": {"aws:SourceVpc": "vpc-1"}}), "s3:GetObject", "*")
    assert allowed(one({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}), "s3:GetObject", "*")
    assert not allowed(
        one({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}),
        "s3:GetObject",
        "*",
        aws__SourceVpc="vpc-1",
    )
    assert allowed(one({"StringLikeIfExists": {"aws:SourceVpc": "vpc-*"}}), "s3:GetObject", "*")


def test_arn_like_and_arn_equals_compare_segment_wise_with_wildcards():
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/datahub"
    for operator in ("ArnEquals", "ArnLike"):
        policies = one({operator: {"ecs:cluster": "arn:aws:ecs:*:123456789012:cluster/data*"}})
        assert allowed(policies, "ecs:RunTask", "*", ecs__cluster=cluster)
        assert not allowed(
            policies,
            "ecs:RunTask",
            "*",
            ecs__cluster="arn:aws:ecs:us-east-1:999999999999:cluster/datahub",
        )
    assert allowed(
        one({"ArnNotLike": {"ecs:cluster": "arn:aws:ecs:*:*:cluster/other"}}),
        "ecs:RunTask",
        "*",
        ecs__cluster=cluster,
    )


def test_null_checks_presence():
    policies = one({"Null": {"aws:TokenIssueTime": "true"}})  # long-term keys only
    assert allowed(policies, "s3:GetObject", "*")
    assert not allowed(policies, "s3:GetObject", "*", aws__TokenIssueTime="2026-01-01T00:00:00Z")


def test_for_all_values_allows_only_listed_tag_keys_and_an_empty_request():
    # The User Guide's aws:TagKeys example: only these tag keys may be sent.
    policies = one({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}})
    assert allowed(policies, "ec2:CreateTags", "*", aws__TagKeys=["environment"])
    assert not allowed(policies, "ec2:CreateTags", "*", aws__TagKeys=["environment", "owner"])
    assert allowed(policies, "ec2:CreateTags", "*")  # no keys at all: vacuously true


def test_for_any_value_needs_one_match_and_a_present_key():
    policies = one({"ForAnyValue:StringLike": {"aws:TagKeys": ["cost-*"]}})
    assert allowed(policies, "ec2:CreateTags", "*", aws__TagKeys=["owner", "cost-center"])
    assert not allowed(policies, "ec2:CreateTags", "*", aws__TagKeys=["owner"])
    assert not allowed(policies, "ec2:CreateTags", "*")


def test_numeric_operators():
    policies = one({"NumericLessThanEquals": {"s3:max-keys": "10"}})
    assert allowed(policies, "s3:ListBucket", "*", **{"s3:max-keys": "10"})
    assert not allowed(policies, "s3:ListBucket", "*", **{"s3:max-keys": "11"})


def test_an_unknown_operator_is_an_error_never_a_silent_decision():
    with pytest.raises(PolicyError, match="DateGreaterThan"):
        evaluate(
            one({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01"}}),
            Request("s3:GetObject", "*", {"aws:CurrentTime": "2026-06-01"}),
        )
    with pytest.raises(PolicyError, match="Effect"):
        evaluate(
            [policy({"Effect": "allow", "Action": "*", "Resource": "*"})],
            Request("s3:GetObject", "*"),
        )
