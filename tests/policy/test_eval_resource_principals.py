"""Resource-based policies by principal form: IAM User Guide, "AWS JSON policy elements: Principal" (AWS account
principals, IAM role principals, role session principals, IAM user principals, federated principals, service
principals, canonical users, all principals "*")."""

from __future__ import annotations

import pytest
from evalkit import ROLE, SESSION, USER, A, allow, ask, decision, doc, grant

OBJ = "arn:aws:s3:::bucket/key"
FED = f"arn:aws:sts::{A}:federated-user/carol"


@pytest.mark.parametrize("named,principal,expected", [
    ("*", USER, "allowed"),
    ("*", "anonymous", "allowed"),
    ({"AWS": "*"}, "anonymous", "allowed"),
    ({"AWS": USER}, USER, "allowed"),
    ({"AWS": USER}, f"arn:aws:iam::{A}:user/bob", "implicit_deny"),
    ({"AWS": SESSION}, SESSION, "allowed"),
    ({"AWS": f"arn:aws:sts::{A}:assumed-role/app/other"}, SESSION, "implicit_deny"),
    ({"AWS": ROLE}, SESSION, "allowed"),  # role ARN: like an identity Allow (no boundary/session policy here)
    ({"AWS": FED}, FED, "allowed"),
    ({"AWS": A}, USER, "implicit_deny"),  # the account: delegates to identity policies, grants nothing itself
    ({"AWS": f"arn:aws:iam::{A}:root"}, SESSION, "implicit_deny"),
    ({"Service": "cloudtrail.amazonaws.com"}, "cloudtrail.amazonaws.com", "allowed"),
    ({"Service": "cloudtrail.amazonaws.com"}, "config.amazonaws.com", "implicit_deny"),
    ({"Service": ["CloudTrail.amazonaws.com"]}, "cloudtrail.amazonaws.com", "allowed"),
    ({"Federated": "cognito-identity.amazonaws.com"}, {"Federated": "cognito-identity.amazonaws.com"}, "allowed"),
    ({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}, {"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"},
     "allowed"),
    ({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}, "anonymous", "implicit_deny"),
    ({"AWS": USER}, "anonymous", "implicit_deny"),
])
def test_principal_forms_same_account(named, principal, expected):
    """Principal element: who each form names, and that within one account a grant to the principal itself
    suffices without identity policies (single-account flow chart)."""
    bucket = doc(grant(named, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decision(principal, resource=OBJ, resource_account=A, resource_policy=bucket,
                    identity_policies=[]) == expected


def test_account_principal_plus_identity_policy_allows_within_the_account():
    bucket = doc(grant({"AWS": A}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decision(resource_policy=bucket, identity_policies=[doc(allow("s3:GetObject"))]) == "allowed"


def test_role_principal_with_path_matches_via_principal_arn():
    """A role ARN in Principal carries the role's path; the session ARN does not, so the role ARN comes from
    aws:PrincipalArn when the request gives it."""
    role = f"arn:aws:iam::{A}:role/team/app"
    bucket = doc(grant({"AWS": role}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decision(SESSION, resource_policy=bucket, identity_policies=[]) == "implicit_deny"
    assert decision(SESSION, resource_policy=bucket, identity_policies=[], context={"aws:PrincipalArn": role}) == \
        "allowed"


def test_principal_wildcards_are_not_patterns():
    """Principal element: you cannot use a wildcard to match part of a principal name or ARN."""
    bucket = doc(grant({"AWS": f"arn:aws:iam::{A}:user/*"}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decision(resource_policy=bucket, identity_policies=[]) == "implicit_deny"


def test_anonymous_needs_a_public_resource_policy():
    """Anonymous requests are decided by the resource policy only."""
    d = ask("anonymous")
    assert d.decision == "implicit_deny" and d.decided_by == ("resource",)
    bucket = doc(grant("*", "s3:GetObject", "arn:aws:s3:::bucket/*",
                       Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    assert decision("anonymous", resource_policy=bucket, context={"aws:SourceIp": "203.0.113.5"}) == "allowed"
    assert decision("anonymous", resource_policy=bucket, context={"aws:SourceIp": "198.51.100.1"}) == "implicit_deny"
    unknown = ask("anonymous", resource_policy=bucket)  # no source IP given: cannot say it is allowed
    assert unknown.decision == "implicit_deny" and unknown.unresolved_conditions
