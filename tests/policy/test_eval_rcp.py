"""RCPs: AWS Organizations User Guide, "Resource control policies (RCPs)" and the enforcement page's "AWS
Organizations RCPs" step: RCPFullAWSAccess is attached at every level, so RCPs only take away; they apply to
resources of member accounts whoever calls, except resources of the management account and requests by
service-linked roles."""

from __future__ import annotations

from evalkit import ADMIN, USER, A, B, allow, ask, decision, doc, grant

OBJ = "arn:aws:s3:::bucket/key"
TLS = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
       "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}
PERIMETER = {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"},
                           "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}


def rcps(*statements, name="Perimeter"):
    return [{"name": "root r-1", "policies": []}, {"name": "OU Workloads", "policies": [
        {"name": name, "document": doc(*statements)}]}]


def test_rcps_only_take_away():
    """RCPFullAWSAccess is implied at every level: a level without an Allow does not deny."""
    assert decision(identity_policies=[ADMIN], rcps=[[], []]) == "allowed"
    assert decision(identity_policies=[], rcps=rcps(TLS)) == "implicit_deny"  # and grant nothing


def test_secure_transport_rcp():
    assert decision(identity_policies=[ADMIN], rcps=rcps(TLS)) == "allowed"  # SDK calls use TLS
    d = ask(identity_policies=[ADMIN], rcps=rcps(TLS), context={"aws:SecureTransport": False})
    assert d.decision == "explicit_deny" and d.decided_by == ("rcp",)
    assert d.statements[0].level == "OU Workloads" and d.statements[0].sid == "DenyInsecureTransport"


def test_data_perimeter_rcp_applies_to_external_and_anonymous_principals():
    bucket = doc(grant("*", "s3:GetObject", "arn:aws:s3:::bucket/*"))
    # anonymous: aws:PrincipalOrgID is absent, so ...IfExists is true and the Deny applies (public access blocked)
    assert decision("anonymous", resource_policy=bucket, rcps=rcps(PERIMETER)) == "explicit_deny"
    assert decision("anonymous", resource_policy=bucket, rcps=rcps(TLS)) == "allowed"
    outsider = f"arn:aws:iam::{B}:user/eve"
    d = ask(outsider, resource_account=A, identity_policies=[ADMIN], resource_policy=bucket, rcps=rcps(PERIMETER),
            context={"aws:PrincipalOrgID": "o-other"})
    assert d.decision == "explicit_deny" and d.decided_by == ("rcp",)
    assert decision(outsider, resource_account=A, identity_policies=[ADMIN], resource_policy=bucket,
                    rcps=rcps(PERIMETER), context={"aws:PrincipalOrgID": "o-abc"}) == "allowed"


def test_rcp_does_not_exempt_service_principals_unless_it_says_so():
    bucket = doc(grant({"Service": "logging.s3.amazonaws.com"}, "s3:PutObject", "arn:aws:s3:::bucket/*"))
    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    assert decision("logging.s3.amazonaws.com", "s3:PutObject", resource_account=A, resource_policy=bucket,
                    rcps=rcps(deny_all)) == "explicit_deny"
    assert decision("logging.s3.amazonaws.com", "s3:PutObject", resource_account=A, resource_policy=bucket,
                    rcps=rcps(PERIMETER)) == "allowed"


def test_management_account_resources_and_service_linked_roles_are_exempt():
    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    assert decision(identity_policies=[ADMIN], rcps=rcps(deny_all), management_account=A) == "allowed"
    assert decision(identity_policies=[ADMIN], rcps=rcps(deny_all), management_account=B) == "explicit_deny"
    slr = f"arn:aws:iam::{A}:role/aws-service-role/s3.amazonaws.com/AWSServiceRoleForS3"
    assert decision(slr, identity_policies=[ADMIN], rcps=rcps(deny_all)) == "allowed"


def test_rcp_without_principal_is_malformed():
    import pytest

    from iamkit.policy.document import PolicyError

    with pytest.raises(PolicyError, match=r"rcps\[0\]\[0\]: statement 1: this policy type \(rcp\) needs Principal"):
        ask(identity_policies=[ADMIN], rcps=[[doc(allow())]])


def test_rcp_applies_to_the_user_of_the_same_account():
    assert decision(USER, identity_policies=[ADMIN], rcps=rcps(dict(TLS, Condition={}))) == "explicit_deny"
