from datetime import UTC, datetime

import pytest

from iamkit.policy.conditions import UnsupportedConditionError, evaluate_conditions, split_operator
from iamkit.policy.document import PolicyError


def ok(block, context):
    return evaluate_conditions(block, context)


def test_string_operators():
    assert ok({"StringEquals": {"aws:username": "alice"}}, {"aws:username": "alice"})
    assert not ok({"StringEquals": {"aws:username": "alice"}}, {"aws:username": "Alice"})
    assert ok({"StringEqualsIgnoreCase": {"aws:username": "alice"}}, {"aws:username": "ALICE"})
    assert ok({"StringNotEquals": {"aws:username": ["bob", "carol"]}}, {"aws:username": "alice"})
    assert not ok({"StringNotEquals": {"aws:username": ["bob", "alice"]}}, {"aws:username": "alice"})
    assert not ok({"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}, {"aws:username": "alice"})
    assert ok({"StringLike": {"s3:prefix": "home/*/docs"}}, {"s3:prefix": "home/alice/docs"})
    assert ok({"StringLike": {"s3:prefix": "ab?"}}, {"s3:prefix": "abc"})
    assert not ok({"StringLike": {"s3:prefix": "ab?"}}, {"s3:prefix": "abcd"})
    assert ok({"StringNotLike": {"s3:prefix": "tmp/*"}}, {"s3:prefix": "home/x"})


def test_keys_are_case_insensitive_both_ways():
    assert ok({"StringEquals": {"AWS:UserName": "alice"}}, {"aws:USERNAME": "alice"})
    assert ok({"stringequals": {"aws:username": "alice"}}, {"aws:username": "alice"})


def test_values_are_ored_keys_and_operators_anded():
    block = {
        "StringEquals": {"aws:username": ["alice", "bob"], "aws:requestedregion": "eu-west-1"},
        "Bool": {"aws:securetransport": "true"},
    }
    ctx = {"aws:username": "bob", "aws:RequestedRegion": "eu-west-1", "aws:SecureTransport": True}
    assert ok(block, ctx)
    assert not ok(block, {**ctx, "aws:RequestedRegion": "us-east-1"})
    assert not ok(block, {**ctx, "aws:SecureTransport": False})


def test_missing_keys():
    assert not ok({"StringEquals": {"aws:username": "alice"}}, {})
    assert ok({"StringNotEquals": {"aws:username": "alice"}}, {})
    assert ok({"StringEqualsIfExists": {"aws:username": "alice"}}, {})
    assert not ok({"StringEqualsIfExists": {"aws:username": "alice"}}, {"aws:username": "bob"})
    assert ok({"StringEqualsIfExists": {"aws:username": "alice"}}, {"aws:username": "alice"})


def test_arn_operators():
    arn = "arn:aws:iam::111122223333:role/Admin"
    assert ok({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, {"aws:PrincipalArn": arn})
    assert ok({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}, {"aws:PrincipalArn": arn})
    assert not ok({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:*"}}, {"aws:PrincipalArn": arn})
    assert not ok({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin"}}, {"aws:PrincipalArn": arn})
    assert ok({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:444455556666:*"}}, {"aws:SourceArn": arn})
    assert ok({"ArnNotEquals": {"aws:SourceArn": arn}}, {})
    # a wildcard in one component does not swallow the separators of another
    assert not ok({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, {"aws:SourceArn": arn})


def test_bool_and_null():
    assert ok({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:MultiFactorAuthPresent": True})
    assert ok({"Bool": {"aws:MultiFactorAuthPresent": "TRUE"}}, {"aws:MultiFactorAuthPresent": "true"})
    assert not ok({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {})
    assert ok({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {})
    assert ok({"Null": {"aws:MultiFactorAuthAge": "true"}}, {})
    assert ok({"Null": {"aws:MultiFactorAuthAge": "true"}}, {"aws:MultiFactorAuthAge": None})
    assert not ok({"Null": {"aws:MultiFactorAuthAge": "true"}}, {"aws:MultiFactorAuthAge": 30})
    assert ok({"Null": {"aws:MultiFactorAuthAge": "false"}}, {"aws:MultiFactorAuthAge": 30})
    assert ok({"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []})


def test_ip_address():
    block = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
    assert ok(block, {"aws:SourceIp": "203.0.113.9"})
    assert ok(block, {"aws:SourceIp": "2001:db8::1"})
    assert not ok(block, {"aws:SourceIp": "198.51.100.1"})
    assert not ok(block, {"aws:SourceIp": "not-an-ip"})
    assert ok({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"})
    assert ok({"IpAddress": {"aws:SourceIp": "203.0.113.5"}}, {"aws:SourceIp": "203.0.113.5"})


def test_numeric():
    assert ok({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": 10})
    assert not ok({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "3600"})
    assert ok({"NumericLessThanEquals": {"k": "3600"}}, {"k": "3600"})
    assert ok({"NumericGreaterThan": {"k": "1.5"}}, {"k": 2})
    assert ok({"NumericGreaterThanEquals": {"k": "2"}}, {"k": 2.0})
    assert ok({"NumericEquals": {"k": "10"}}, {"k": "10.0"})
    assert ok({"NumericNotEquals": {"k": "10"}}, {"k": 11})
    assert not ok({"NumericEquals": {"k": "ten"}}, {"k": 10})


def test_dates():
    when = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert ok({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}, {"aws:CurrentTime": when})
    assert ok({"DateLessThan": {"aws:CurrentTime": "2025-01-01"}}, {"aws:CurrentTime": "2024-06-01T12:00:00Z"})
    assert not ok({"DateLessThan": {"aws:CurrentTime": "2024-01-01"}}, {"aws:CurrentTime": when})
    assert ok({"DateEquals": {"aws:EpochTime": str(int(when.timestamp()))}}, {"aws:EpochTime": when})
    assert ok({"DateLessThanEquals": {"k": "2024-06-01T12:00:00+00:00"}}, {"k": when})
    assert ok({"DateGreaterThanEquals": {"k": "2024-06-01T12:00:00"}}, {"k": when})
    assert ok({"DateNotEquals": {"k": "2020-01-01"}}, {"k": when})


def test_for_any_value():
    block = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert ok(block, {"aws:TagKeys": ["owner", "team"]})
    assert not ok(block, {"aws:TagKeys": ["owner"]})
    assert not ok(block, {})  # missing key: false
    assert not ok(block, {"aws:TagKeys": []})
    assert ok(
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/r-1/ou-x/*"}},
        {"aws:PrincipalOrgPaths": ["o-abc/r-1/ou-x/ou-y/"]},
    )
    assert ok({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["env", "x"]})


def test_for_all_values():
    block = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert ok(block, {"aws:TagKeys": ["env"]})
    assert ok(block, {"aws:TagKeys": ["env", "team"]})
    assert not ok(block, {"aws:TagKeys": ["env", "owner"]})
    assert ok(block, {})  # missing key: true (the classic ForAllValues pitfall)
    assert not ok({"ForAllValues:StringNotEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["x", "env"]})


def test_multivalued_context_without_set_prefix():
    assert ok({"StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["x", "env"]})
    assert not ok({"StringNotEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["x", "env"]})


def test_policy_variables():
    block = {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    assert ok(block, {"aws:username": "alice", "s3:prefix": "home/alice/x"})
    assert not ok(block, {"aws:username": "bob", "s3:prefix": "home/alice/x"})
    assert not ok(block, {"s3:prefix": "home/alice/x"})  # unresolved variable matches nothing
    assert ok({"StringEquals": {"k": "${aws:username, 'nobody'}"}}, {"k": "nobody"})
    assert ok({"StringEquals": {"k": "a${*}b"}}, {"k": "a*b"})
    assert not ok({"StringEquals": {"k": "a${*}b"}}, {"k": "axb"})


def test_binary_equals():
    assert ok({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": "QmluYXJ5"})
    assert not ok({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": "other"})


def test_unsupported_operator_raises_policy_error():
    with pytest.raises(UnsupportedConditionError, match="StringSortaEquals") as info:
        ok({"StringSortaEquals": {"k": "v"}}, {"k": "v"})
    assert isinstance(info.value, PolicyError)
    with pytest.raises(UnsupportedConditionError):
        ok({"ForSomeValues:StringEquals": {"k": "v"}}, {"k": "v"})


def test_split_operator():
    assert split_operator("ForAnyValue:StringLikeIfExists") == ("foranyvalue", "stringlike", True)
    assert split_operator("Null") == (None, "null", False)
    assert split_operator("ArnEquals") == (None, "arnequals", False)


def test_not_a_date_does_not_match_and_an_impossible_date_is_a_policy_error():
    assert not ok({"DateLessThan": {"aws:CurrentTime": "next tuesday"}}, {"aws:CurrentTime": "2024-06-01"})
    with pytest.raises(PolicyError, match="not a calendar date"):
        ok({"DateLessThan": {"aws:CurrentTime": "2024-02-30"}}, {"aws:CurrentTime": "2024-06-01"})


def test_parse_operator_answers_none_for_unknown_operators():
    from iamkit.policy.conditions import parse_operator

    assert parse_operator("ForAnyValue:StringLikeIfExists") == ("foranyvalue", "stringlike", True)
    assert parse_operator("StringSortaEquals") is None
    assert parse_operator("ForSomeValues:StringEquals") is None
