"""SCPs: AWS Organizations User Guide, "Service control policies (SCPs)" and "SCP evaluation" (every level from
the root through each OU to the account must allow; explicit denies anywhere deny), plus the enforcement
page's "AWS Organizations SCPs" step and the SCP exemptions (management account, service-linked roles)."""

from __future__ import annotations

import pytest
from evalkit import ADMIN, FULL, USER, A, allow, ask, decision, doc, grant

ROOT_LEVEL = {"name": "root r-1", "policies": [{"name": "FullAWSAccess", "document": FULL}]}


def level(name, *documents):
    return {"name": name, "policies": [{"name": n, "document": d} for n, d in documents]}


def test_every_level_must_allow():
    """"SCP evaluation": a permission must be allowed at every level above the account, and at the account."""
    chain = [ROOT_LEVEL, level("OU Workloads", ("OnlyS3", doc(allow("s3:*")))), level(f"account {A}", ("Full", FULL))]
    assert decision(identity_policies=[ADMIN], scps=chain) == "allowed"
    d = ask(action="ec2:RunInstances", resource="*", identity_policies=[ADMIN], scps=chain)
    assert d.decision == "implicit_deny" and d.decided_by == ("scp",) and "OU Workloads" in d.reason


def test_empty_level_allows_nothing_and_no_scps_means_not_in_an_organization():
    assert decision(identity_policies=[ADMIN], scps=[ROOT_LEVEL, []]) == "implicit_deny"
    assert decision(identity_policies=[ADMIN]) == "allowed"


def test_scp_never_grants():
    """SCPs "do not grant permissions": an SCP Allow without an identity Allow is an implicit deny."""
    d = ask(identity_policies=[], scps=[ROOT_LEVEL])
    assert d.decision == "implicit_deny" and d.decided_by == ("identity",)


def test_deny_at_an_ou_names_the_policy_level_and_statement():
    chain = [ROOT_LEVEL, level("OU Workloads", ("DenyLeaveOrg", doc(allow(), {
        "Sid": "DenyLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})))]
    d = ask(action="organizations:LeaveOrganization", resource="*", identity_policies=[ADMIN], scps=chain)
    assert d.decision == "explicit_deny"
    s = d.statements[0]
    assert (s.policy_type, s.policy, s.level, s.index, s.sid) == ("scp", "DenyLeaveOrg", "OU Workloads", 2, "DenyLeave")


def test_scp_applies_even_when_a_resource_policy_allows():
    """Enforcement page: SCPs are evaluated before resource-based policies and limit principals of member
    accounts whatever a resource policy grants."""
    bucket = doc(grant({"AWS": USER}, "s3:*", "arn:aws:s3:::bucket/*"))
    assert decision(identity_policies=[], resource_policy=bucket, scps=[level("root", ("OnlyEc2", doc(
        allow("ec2:*"))))]) == "implicit_deny"


def test_management_account_is_exempt():
    """Organizations User Guide, SCPs: "SCPs don't affect users or roles in the management account"."""
    deny_all = [level("root", ("DenyAll", doc({"Effect": "Deny", "Action": "*", "Resource": "*"})))]
    assert decision(identity_policies=[ADMIN], scps=deny_all, management_account=A) == "allowed"
    assert decision(identity_policies=[ADMIN], scps=deny_all, management_account="999988887777") == "explicit_deny"


def test_service_linked_roles_are_exempt():
    """Organizations User Guide, SCPs: "SCPs do not affect service-linked roles"."""
    slr = f"arn:aws:iam::{A}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForELB"
    deny_all = [level("root", ("DenyAll", doc({"Effect": "Deny", "Action": "*", "Resource": "*"})))]
    assert decision(slr, "ec2:DescribeInstances", "*", identity_policies=[ADMIN], scps=deny_all) == "allowed"
    assert decision(f"arn:aws:iam::{A}:role/app", "ec2:DescribeInstances", "*", identity_policies=[ADMIN],
                    scps=deny_all) == "explicit_deny"


@pytest.mark.parametrize("principal", ["anonymous", "lambda.amazonaws.com"])
def test_scps_do_not_apply_to_anonymous_or_service_principals(principal):
    """SCPs restrict principals of member accounts; anonymous callers and service principals are not."""
    deny_all = [level("root", ("DenyAll", doc({"Effect": "Deny", "Action": "*", "Resource": "*"})))]
    bucket = doc(grant("*", "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decision(principal, resource_policy=bucket, scps=deny_all) == "allowed"


def test_scp_condition_on_region_uses_the_resource_region():
    """A typical region guardrail (aws:RequestedRegion) decided from the resource ARN's region."""
    chain = [level("root", ("Regions", doc(allow(), {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                                                     "Condition": {"StringNotEquals": {
                                                         "aws:RequestedRegion": ["eu-west-1"]}}})))]
    table = "arn:aws:dynamodb:{}:111122223333:table/T"
    assert decision(action="dynamodb:GetItem", resource=table.format("eu-west-1"), identity_policies=[ADMIN],
                    scps=chain) == "allowed"
    assert decision(action="dynamodb:GetItem", resource=table.format("us-east-1"), identity_policies=[ADMIN],
                    scps=chain) == "explicit_deny"
