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


GUIDE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"


def test_a_wildcard_ending_an_arn_segment_spans_colons():
    # reference_policies_elements_resource.html, "Using wildcards in resource ARNs": "If
    # the * wildcard is the last character of a resource ARN segment, it can expand to
    # match beyond the colon boundaries."
    assert arn_matches(
        "arn:aws:glue:*:123456789012:table/db/*",
        "arn:aws:glue:us-east-1:" "123456789012:table/db/t",
    )
    assert arn_matches("arn:aws:iam::*:role/x", "arn:aws:iam::1:2:role/x")
    assert not arn_matches("arn:aws:iam::1*2:role/x", "arn:aws:iam::1:2:role/x")  # not last
    assert not arn_matches("arn:aws:iam::?:role/x", "arn:aws:iam:::role/x")
    assert arn_matches(
        "arn:aws:logs:us-east-1:1:log-group:/g:*",
        "arn:aws:logs:us-east-1:1:" "log-group:/g:log-stream:s",
    )


def test_a_deny_written_with_a_spanning_wildcard_denies():
    deny = policy(
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:GetRole", "Resource": "arn:aws:iam::*:role/admin"},
    )
    assert not allowed([deny], "iam:GetRole", "arn:aws:iam::1:2:role/admin")


def test_arn_conditions_take_the_stricter_reading_for_allow_and_the_wider_for_deny():
    # reference_policies_elements_condition_operators.html (ARN): "each of the six
    # colon-delimited components of the ARN is checked separately"; the Resource page
    # lets a final `*` span colons. An Allow gets the reading that allows less, a Deny
    # the one that denies more.
    spanning = "arn:aws:ecs:us-east-1:1:2:cluster/x"
    allow = one({"ArnLike": {"ecs:cluster": "arn:aws:ecs:us-east-1:*:cluster/x"}})
    assert not allowed(allow, "ecs:RunTask", "*", ecs__cluster=spanning)
    deny = [
        policy(
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"ArnLike": {"ecs:cluster": "arn:aws:ecs:us-east-1:*:cluster/x"}},
            },
        )
    ]
    assert not allowed(deny, "ecs:RunTask", "*", ecs__cluster=spanning)


def test_without_version_2012_10_17_policy_variables_are_literal_text():
    # reference_policies_elements_version.html: with no Version (or 2008-10-17),
    # "policy variables ... are treated as literal strings".
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/home/${aws:username}/*",
    }
    old = {"Statement": [statement]}
    alice = {"aws__username": "alice"}
    assert not allowed([old], "s3:GetObject", "arn:aws:s3:::b/home/alice/x", **alice)
    assert allowed([old], "s3:GetObject", "arn:aws:s3:::b/home/${aws:username}/x", **alice)
    assert allowed([policy(statement)], "s3:GetObject", "arn:aws:s3:::b/home/alice/x", **alice)


def test_principal_in_an_identity_policy_makes_it_invalid():
    # reference_policies_elements_principal.html: "You cannot use the Principal element
    # in an identity-based policy."
    with pytest.raises(PolicyError, match="Principal"):
        evaluate(
            [policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})],
            Request("s3:GetObject", "*"),
        )


def test_numeric_and_bool_conditions_take_no_policy_variables():
    # reference_policies_variables.html, "Where you can use policy variables": in the
    # Condition element only "with the string operators or the ARN operators".
    numeric = one({"NumericLessThanEquals": {"s3:max-keys": "${aws:PrincipalTag/limit}"}})
    tagged = {"aws:PrincipalTag/limit": "100", "s3:max-keys": "10"}
    assert not allowed(numeric, "s3:ListBucket", "*", **tagged)
    boolean = one({"Bool": {"aws:SecureTransport": "${aws:PrincipalTag/tls}"}})
    tls = {"aws:PrincipalTag/tls": "true", "aws:SecureTransport": True}
    assert not allowed(boolean, "s3:GetObject", "*", **tls)
    string = one({"StringEquals": {"s3:prefix": "${aws:PrincipalTag/limit}"}})
    assert allowed(string, "s3:ListBucket", "*", **{"s3:prefix": "100", **tagged})


def test_empty_values_are_null_for_null_and_the_set_operators():
    # reference_policies_condition-single-vs-multi-valued-context-keys.html: ForAllValues
    # "returns true if ... the context key value resolves to a null dataset, such as an
    # empty string"; ForAnyValue is false then. Null: true = the key has no value.
    for empty in ("", []):
        assert allowed(
            one({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}),
            "ec2:CreateTags",
            "*",
            aws__TagKeys=empty,
        )
        assert not allowed(
            one({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}),
            "ec2:CreateTags",
            "*",
            aws__TagKeys=empty,
        )
        assert allowed(
            one({"Null": {"aws:TagKeys": "true"}}), "s3:GetObject", "*", aws__TagKeys=empty
        )
        assert not allowed(
            one({"Null": {"aws:TagKeys": "false"}}), "s3:GetObject", "*", aws__TagKeys=empty
        )


# --- permissions boundaries ---------------------------------------------------------------


def test_a_boundary_caps_what_the_identity_policy_allows():
    # access_policies_boundaries.html: "The effective permissions for an entity are the
    # permissions that are granted by both the identity-based policies and its
    # permissions boundaries."
    identity = [policy({"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"})]
    boundary = [policy({"Sid": "S3Only", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})]
    assert evaluate(identity, Request("s3:GetObject", "arn:aws:s3:::b/k"), boundary).allowed
    decision = evaluate(identity, Request("iam:CreateUser", "*"), boundary)
    assert (decision.allowed, decision.reason) == (False, "outside-boundary")
    none = evaluate([policy()], Request("s3:GetObject", "arn:aws:s3:::b/k"), boundary)
    assert none.reason == "implicit-deny"  # the boundary grants nothing by itself
    deny = boundary + [
        policy(
            {
                "Sid": "NoPayroll",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::*/payroll",
            }
        )
    ]
    refused = evaluate(identity, Request("s3:GetObject", "arn:aws:s3:::b/payroll"), deny)
    assert (refused.reason, [r.sid for r in refused.statements]) == ("boundary-deny", ["NoPayroll"])


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
