

from iamkit.policy import actions
from iamkit.policy.evaluate import (
    ADMIN_MAX_EXCLUDED_ACTIONS,
    allows_full_admin_statement,
    effective_actions,
    is_admin_equivalent,
)


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


ADMIN = doc(allow())
FULL_SCP = doc(allow())
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_plain_admin():
    assert is_admin_equivalent(ADMIN)
    assert is_admin_equivalent([doc(allow("*:*"))])
    assert is_admin_equivalent([doc(allow("s3:*")), doc(allow("*", "arn:*"))])


def test_not_action_trick_is_admin():
    trick = doc({"Effect": "Allow", "NotAction": "iam:ChangePassword", "Resource": "*"})
    assert is_admin_equivalent(trick)
    assert not allows_full_admin_statement(trick)  # the literal CIS check does not see it


def test_not_action_excluding_a_service_or_many_actions_is_not_admin():
    power_user = doc(
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
        allow(["iam:CreateServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization"]),
    )
    assert not is_admin_equivalent(power_user)
    many = doc({"Effect": "Allow", "NotAction": ["iam:Create*", "iam:Attach*", "iam:Put*"], "Resource": "*"})
    excluded = actions.expand("iam:Create*") | actions.expand("iam:Attach*") | actions.expand("iam:Put*")
    assert len(excluded) > ADMIN_MAX_EXCLUDED_ACTIONS
    assert not is_admin_equivalent(many)


def test_threshold_is_configurable_and_small_guardrail_denies_keep_admin():
    guard = doc(deny(["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "organizations:LeaveOrganization",
                      "iam:PutUserPolicy"]))  # without full IAM write, the action count decides
    assert is_admin_equivalent([ADMIN, guard])
    assert not is_admin_equivalent([ADMIN, guard], max_excluded=2)
    assert not is_admin_equivalent([ADMIN, doc(deny("iam:*"))])


def test_conditional_or_resource_scoped_allow_is_not_admin():
    assert not is_admin_equivalent(doc(allow(Condition=MFA)))
    assert not is_admin_equivalent(doc(allow("*", "arn:aws:s3:::bucket/*")))
    assert not is_admin_equivalent(doc({"Effect": "Allow", "Action": "*", "NotResource": "*"}))
    assert is_admin_equivalent(doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::x"}))
    # a conditional deny does not stop an admin (it is admin whenever the condition is false)
    assert is_admin_equivalent([ADMIN, doc(deny(Condition={"Bool": {"aws:SecureTransport": "false"}}))])
    # a deny on specific resources does not either
    assert is_admin_equivalent([ADMIN, doc(deny("s3:*", "arn:aws:s3:::secret/*"))])


def test_allows_full_admin_statement_cis():
    assert allows_full_admin_statement(ADMIN)
    assert allows_full_admin_statement(doc(allow("*:*", ["*"])))
    assert allows_full_admin_statement(doc(allow(Condition=MFA)))  # CIS ignores conditions
    assert not allows_full_admin_statement(doc(allow("s3:*")))
    assert not allows_full_admin_statement(doc(allow("*", "arn:aws:s3:::x")))
    assert not allows_full_admin_statement(doc(deny()))


def test_effective_actions():
    policies = [doc(allow(["s3:Get*", "iam:PassRole"], "arn:aws:s3:::b/*"), deny("s3:GetObject"))]
    found = effective_actions(policies)
    assert "iam:PassRole" in found and "s3:GetObjectAcl" in found
    assert "s3:GetObject" not in found  # unconditional all-resource deny
    assert effective_actions(policies, all_resources_only=True) == frozenset()
    conditional = [doc(allow("ec2:*", Condition=MFA))]
    assert "ec2:RunInstances" in effective_actions(conditional)
    assert effective_actions(conditional, include_conditional=False) == frozenset()
    assert effective_actions(ADMIN) == actions.all_actions()
    trick = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert effective_actions(trick) == actions.all_actions() - actions.expand("iam:*")


def test_effective_actions_is_stable_when_cached():
    """Repeated (cached) evaluation gives the same answer (timings belong in benchmarks/policy.py)."""
    trick = doc({"Effect": "Allow", "NotAction": ["iam:*", "s3:*"], "Resource": "*"})
    first = effective_actions(trick)
    assert all(effective_actions(trick) == first for _ in range(3))
    assert first == actions.all_actions() - actions.expand("iam:*") - actions.expand("s3:*")
    assert not is_admin_equivalent(trick)
