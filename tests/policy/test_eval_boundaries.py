"""Permissions boundaries: IAM User Guide, "Permissions boundaries for IAM entities" (identity-based policies
with boundaries, resource-based policies, and the NotPrincipal warning) and the enforcement page's
"Resource-based policies" paragraph on role ARN versus role session ARN."""

from __future__ import annotations

from evalkit import ADMIN, ROLE, SESSION, USER, allow, ask, decision, doc, grant

BOUNDARY = doc(allow(["s3:*", "cloudwatch:*", "ec2:*"]))
OBJ = "arn:aws:s3:::bucket/key"


def test_effective_permissions_are_the_intersection():
    """Boundaries page, "Identity-based policies with boundaries": only what both allow."""
    assert decision(identity_policies=[ADMIN], permissions_boundary=BOUNDARY) == "allowed"
    d = ask(action="iam:CreateUser", resource="*", identity_policies=[ADMIN], permissions_boundary=BOUNDARY)
    assert d.decision == "implicit_deny" and d.decided_by == ("boundary",)
    # the boundary grants nothing by itself
    d = ask(identity_policies=[doc(allow("cloudwatch:*"))], permissions_boundary=BOUNDARY)
    assert d.decision == "implicit_deny" and d.decided_by == ("identity",)


def test_deny_in_boundary_is_explicit():
    d = ask(identity_policies=[ADMIN], permissions_boundary=doc(allow(), {"Effect": "Deny", "Action": "s3:Get*",
                                                                          "Resource": "*", "Sid": "NoRead"}))
    assert d.decision == "explicit_deny" and d.decided_by == ("boundary",)


def test_resource_policy_naming_the_user_is_not_limited_by_the_boundary():
    """Boundaries page, "Resource-based policies": an implicit deny in the boundary does not limit what a
    resource-based policy grants to the IAM user ARN in the same account."""
    bucket = doc(grant({"AWS": USER}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    d = ask(identity_policies=[], permissions_boundary=doc(allow("sts:GetCallerIdentity")), resource_policy=bucket)
    assert d.decision == "allowed" and d.decided_by == ("resource",)


def test_resource_policy_naming_the_role_arn_is_limited_by_the_boundary():
    """Enforcement page, "Resource-based policies" for IAM roles: permissions granted to the role ARN are limited
    by an implicit deny in the permissions boundary or session policy; granted to the role session ARN they are
    not."""
    narrow = doc(allow("sts:GetCallerIdentity"))
    by_role = doc(grant({"AWS": ROLE}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    d = ask(SESSION, identity_policies=[], permissions_boundary=narrow, resource_policy=by_role)
    assert d.decision == "implicit_deny" and d.decided_by == ("boundary",)
    # with a boundary that allows the action, the role-ARN grant works without any identity policy
    assert decision(SESSION, identity_policies=[], permissions_boundary=BOUNDARY, resource_policy=by_role) == "allowed"
    by_session = doc(grant({"AWS": SESSION}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decision(SESSION, identity_policies=[], permissions_boundary=narrow, resource_policy=by_session) == "allowed"


def test_not_principal_deny_always_denies_a_principal_with_a_boundary():
    """Boundaries page, "Important": a NotPrincipal Deny "will always deny any IAM principal that has a
    permissions boundary policy attached, regardless of the values specified in the NotPrincipal element"."""
    bucket = doc(grant("*", "s3:GetObject", "arn:aws:s3:::bucket/*"),
                 {"Effect": "Deny", "NotPrincipal": {"AWS": [USER, "arn:aws:iam::111122223333:root"]},
                  "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"})
    assert decision(identity_policies=[ADMIN], resource_policy=bucket) == "allowed"  # listed: exempt
    assert decision(identity_policies=[ADMIN], resource_policy=bucket, permissions_boundary=BOUNDARY) == \
        "explicit_deny"
