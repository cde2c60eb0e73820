"""Property tests: whatever JSON a request or a policy holds, the evaluator answers or raises its own one-line
error (:class:`~iamkit.policy.document.PolicyError`), never anything else, and never fails open on an
undecidable Deny."""

from __future__ import annotations

from evalkit import NOW, USER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamkit.policy.document import PolicyError
from iamkit.policy.engine import decide
from iamkit.policy.intake import request_from_mapping

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
WORDS = st.sampled_from(["*", "s3:*", "s3:GetObject", "S3:get*", "iam:?assRole", "arn:aws:s3:::b/*", "${aws:username}",
                         "arn:aws:s3:::b/${*}", "111122223333", USER, "anonymous", "lambda.amazonaws.com", "",
                         "aws:SourceIp", "aws:TagKeys", "10.0.0.0/8", "2026-01-01", "true", "${aws:x, 'd'}"])
VALUE = WORDS | st.lists(WORDS, max_size=3) | st.integers() | st.booleans()
OPERATORS = st.sampled_from(["StringEquals", "StringNotLike", "ForAllValues:StringLike", "ForAnyValue:ArnLike",
                             "NumericLessThan", "DateGreaterThan", "Bool", "IpAddress", "NotIpAddress", "Null",
                             "BinaryEquals", "StringEqualsIfExists", "Bogus", "ForSome:StringEquals"])
CONDITION = st.dictionaries(OPERATORS, st.dictionaries(WORDS, VALUE, max_size=2), max_size=2)
STATEMENT = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny", "allow", "Maybe"])},
    optional={"Action": VALUE, "NotAction": VALUE, "Resource": VALUE, "NotResource": VALUE, "Sid": WORDS,
              "Principal": VALUE | st.dictionaries(st.sampled_from(["AWS", "Service", "Federated", "x"]), VALUE),
              "NotPrincipal": st.dictionaries(st.sampled_from(["AWS", "Service"]), VALUE), "Condition": CONDITION},
)
POLICY = st.fixed_dictionaries({"Statement": st.lists(STATEMENT, max_size=3) | STATEMENT},
                               optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", "x"])})
FIELD = st.sampled_from(["identity_policies", "permissions_boundary", "session_policy", "resource_policy",
                         "vpc_endpoint_policy", "scps", "rcps"])


def _shape(field, policy):
    if field == "identity_policies":
        return [policy]
    if field in ("scps", "rcps"):
        return [[policy]]
    return policy


def _decide(raw):
    try:
        return decide(request_from_mapping(raw, "request", NOW))
    except PolicyError as exc:
        assert "\n" not in str(exc)
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_arbitrary_json_as_a_request(raw):
    _decide(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=FIELD, policy=JSON, principal=WORDS | JSON, action=WORDS | JSON, resource=WORDS | JSON)
def test_arbitrary_json_in_any_field(field, policy, principal, action, resource):
    _decide({"principal": principal, "action": action, "resource": resource, "resource_account": "111122223333",
             field: _shape(field, policy)})


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=FIELD, policy=POLICY, action=WORDS, resource=WORDS, context=st.dictionaries(WORDS, VALUE, max_size=3))
def test_policy_shaped_json(field, policy, action, resource, context):
    _decide({"principal": USER, "action": action, "resource": resource, "resource_account": "111122223333",
             "context": context, field: _shape(field, policy)})


@settings(max_examples=200, deadline=None)
@given(operator=st.text(min_size=1, max_size=20), key=st.text(min_size=1, max_size=15))
def test_an_undecidable_deny_is_never_allowed(operator, key):
    """Whatever operator or key a Deny uses, the answer is a Deny or an explicit decision, never a silent allow
    when the condition could not be evaluated."""
    guard = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {operator: {key: "x"}}}]}
    d = _decide({"principal": USER, "action": "s3:GetObject", "resource": "*", "identity_policies": [
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, guard]})
    if d is not None and d.decision == "allowed":
        assert not d.unresolved_conditions
