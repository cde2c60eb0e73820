"""Conditions in the evaluator: IAM User Guide, "IAM JSON policy elements: Condition operators", "Creating a
condition with multiple keys or values" (operators and keys ANDed, values ORed), "...IfExists condition
operators", "Single-valued vs. multivalued context keys" (ForAllValues/ForAnyValue with empty and missing
keys), and "AWS global condition context keys" (what AWS puts in the request context)."""

from __future__ import annotations

import pytest
from evalkit import ADMIN, ROLE, SESSION, USER, A, allow, ask, decision, doc, grant


def cond(block, **ctx):
    return decision(identity_policies=[doc(allow("s3:*", Condition=block))], context=ctx)


def test_operators_and_keys_are_anded_values_ored():
    """"Creating a condition with multiple keys or values": every operator and key must match; any value may."""
    block = {"StringEquals": {"aws:PrincipalTag/team": ["blue", "green"], "aws:PrincipalTag/env": "prod"},
             "Bool": {"aws:MultiFactorAuthPresent": "true"}}
    ok = {"aws:PrincipalTag/team": "green", "aws:PrincipalTag/env": "prod", "aws:MultiFactorAuthPresent": True}
    assert decision(identity_policies=[doc(allow("s3:*", Condition=block))], context=ok) == "allowed"
    for key, bad in (("aws:PrincipalTag/team", "red"), ("aws:PrincipalTag/env", "dev"),
                     ("aws:MultiFactorAuthPresent", False)):
        assert decision(identity_policies=[doc(allow("s3:*", Condition=block))], context={**ok, key: bad}) == \
            "implicit_deny"


@pytest.mark.parametrize("age,expected", [(3599, "allowed"), (3600, "allowed"), (3601, "implicit_deny")])
def test_numeric_limit(age, expected):
    """Numeric condition operators, NumericLessThanEquals at limit-1, limit, limit+1."""
    assert cond({"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}}, **{"aws:MultiFactorAuthAge": age}) == \
        expected


@pytest.mark.parametrize("when,expected", [("2026-05-31T23:59:59Z", "allowed"),
                                           ("2026-06-01T00:00:00Z", "implicit_deny"),
                                           ("2026-06-01T00:00:01Z", "implicit_deny")])
def test_date_limit(when, expected):
    """Date condition operators: DateLessThan is strict."""
    assert cond({"DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"}}, **{"aws:CurrentTime": when}) == expected


def test_if_exists():
    """"...IfExists condition operators": true when the key is absent, else the operator decides."""
    block = {"StringEqualsIfExists": {"aws:RequestTag/env": "prod"}}
    assert cond(block) == "allowed"
    assert cond(block, **{"aws:RequestTag/env": "prod"}) == "allowed"
    assert cond(block, **{"aws:RequestTag/env": "dev"}) == "implicit_deny"


def test_for_all_values_with_empty_and_missing_keys():
    """Multivalued keys: ForAllValues is true when the key is missing or empty (the documented pitfall)."""
    block = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert cond(block, **{"aws:TagKeys": ["env"]}) == "allowed"
    assert cond(block, **{"aws:TagKeys": ["env", "owner"]}) == "implicit_deny"
    assert cond(block) == "allowed"
    assert cond(block, **{"aws:TagKeys": []}) == "allowed"


def test_for_any_value_with_empty_and_missing_keys():
    block = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert cond(block, **{"aws:TagKeys": ["owner", "team"]}) == "allowed"
    assert cond(block, **{"aws:TagKeys": ["owner"]}) == "implicit_deny"
    assert cond(block) == "implicit_deny"
    assert cond(block, **{"aws:TagKeys": []}) == "implicit_deny"


def test_negated_operator_with_missing_key_in_a_deny_applies():
    """A Deny "StringNotEquals aws:PrincipalOrgID" applies when the key is absent (not in an organization)."""
    guard = doc({"Effect": "Deny", "Action": "*", "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}})
    assert decision(identity_policies=[ADMIN, guard]) == "explicit_deny"
    assert decision(identity_policies=[ADMIN, guard], context={"aws:PrincipalOrgID": "o-abc"}) == "allowed"


def test_other_operator_families():
    assert cond({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
                **{"aws:SourceIp": "2001:db8::1"}) == "allowed"
    assert cond({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, **{"aws:SourceIp": "203.0.113.9"}) == \
        "implicit_deny"
    assert cond({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:topic-*"}},
                **{"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic-a"}) == "allowed"
    assert cond({"ArnNotEquals": {"aws:PrincipalArn": USER}}) == "implicit_deny"
    assert cond({"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}) == "allowed"
    assert cond({"StringLike": {"aws:username": "al*"}}) == "allowed"
    assert cond({"StringNotLike": {"aws:username": "al?ce"}}) == "implicit_deny"
    assert cond({"BinaryEquals": {"aws:PrincipalTag/k": "QmluYXJ5"}}, **{"aws:PrincipalTag/k": "QmluYXJ5"}) == \
        "allowed"
    assert cond({"Null": {"aws:RequestTag/env": "true"}}) == "allowed"
    assert cond({"Null": {"aws:RequestTag/env": "false"}}) == "implicit_deny"


def test_global_keys_completed_for_the_principal():
    """Global condition keys AWS sets: aws:PrincipalArn (the role ARN for a session), aws:PrincipalAccount,
    aws:PrincipalType, aws:username (IAM users only)."""
    assert cond({"StringEquals": {"aws:PrincipalArn": USER, "aws:PrincipalAccount": A,
                                  "aws:PrincipalType": "User", "aws:username": "alice"}}) == "allowed"
    by_role = {"ArnEquals": {"aws:PrincipalArn": ROLE}, "StringEquals": {"aws:PrincipalType": "AssumedRole"}}
    assert decision(SESSION, identity_policies=[doc(allow("s3:*", Condition=by_role))]) == "allowed"
    no_user = {"Null": {"aws:username": "true"}}
    assert decision(SESSION, identity_policies=[doc(allow("s3:*", Condition=no_user))]) == "allowed"


def test_policy_variables_in_condition_values():
    block = {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    assert decision(action="s3:ListBucket", resource="arn:aws:s3:::bucket", identity_policies=[
        doc(allow("s3:ListBucket", Condition=block))], context={"s3:prefix": "home/alice/docs"}) == "allowed"
    assert decision(action="s3:ListBucket", resource="arn:aws:s3:::bucket", identity_policies=[
        doc(allow("s3:ListBucket", Condition=block))], context={"s3:prefix": "home/bob/docs"}) == "implicit_deny"


def test_unknown_operator_never_makes_a_deny_vanish():
    """Never fail open: a Deny with an operator the evaluator does not know is taken as applying and reported."""
    guard = doc({"Sid": "Odd", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                 "Condition": {"StringSortOfEquals": {"aws:username": "x"}}})
    d = ask(identity_policies=[ADMIN, guard])
    assert d.decision == "explicit_deny"
    assert d.unresolved_conditions[0]["condition"] == "StringSortOfEquals aws:username"
    assert "not supported" in d.unresolved_conditions[0]["reason"]


def test_unknown_key_in_an_allow_is_not_allowed_and_reported():
    d = ask(identity_policies=[doc(allow("s3:*", Condition={"StringEquals": {"s3:x-amz-acl": "private"}}))])
    assert d.decision == "implicit_deny" and d.unresolved_conditions
    # the request can say the key is absent (null) or give its value
    assert decision(identity_policies=[doc(allow("s3:*", Condition={"StringEquals": {"s3:x-amz-acl": "private"}}))],
                    context={"s3:x-amz-acl": "private"}) == "allowed"


def test_unknown_key_in_a_deny_is_a_deny_but_a_false_key_beside_it_settles_it():
    """A Deny with an undecidable key ANDed with a key that is false does not apply (false AND anything)."""
    guard = doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                 "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read", "aws:username": "bob"}}})
    d = ask(identity_policies=[ADMIN, guard])
    assert d.decision == "allowed" and not d.unresolved_conditions
    d = ask(identity_policies=[ADMIN, doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {
        "StringEquals": {"s3:x-amz-acl": "public-read", "aws:username": "alice"}}})])
    assert d.decision == "explicit_deny" and d.unresolved_conditions


def test_source_ip_must_be_given():
    """aws:SourceIp is in every request AWS authorizes (except service calls): a request that leaves it out
    cannot be decided on it."""
    bucket = doc(grant("*", "s3:GetObject", "*"), {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                   "Resource": "*", "Condition": {"NotIpAddress": {
                                                       "aws:SourceIp": "10.0.0.0/8"}}})
    d = ask(identity_policies=[], resource_policy=bucket)
    assert d.decision == "explicit_deny" and d.unresolved_conditions[0]["condition"] == "NotIpAddress aws:sourceip"
    assert decision(identity_policies=[], resource_policy=bucket, context={"aws:SourceIp": "10.1.2.3"}) == "allowed"


def test_optimistic_mode_for_what_could_be_allowed():
    """For escalation analysis ("could this principal do it?"): an undecidable Allow counts and is named, an
    undecidable Deny does not; decided conditions still decide."""
    from dataclasses import replace

    from evalkit import NOW

    from iamkit.policy.engine import decide
    from iamkit.policy.intake import request_from_mapping

    raw = {"principal": USER, "action": "s3:GetObject", "resource": "*", "identity_policies": [
        doc(allow("s3:*", Condition={"StringEquals": {"s3:x-amz-acl": "private"}})),
        doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bogus": {"k": "v"}}})]}
    req = request_from_mapping(raw, "r", NOW)
    assert decide(req).decision == "explicit_deny"
    hopeful = decide(replace(req, optimistic=True))
    assert hopeful.decision == "allowed"
    assert hopeful.unresolved_conditions[0]["condition"] == "StringEquals s3:x-amz-acl"
    raw["identity_policies"][0] = doc(allow("s3:*", Condition={"StringEquals": {"aws:username": "bob"}}))
    assert decide(replace(request_from_mapping(raw, "r", NOW), optimistic=True)).decision == "implicit_deny"
