

from iamkit.policy import actions
from iamkit.policy.evaluate import (
    ADMIN_MAX_EXCLUDED_ACTIONS,
    Decision,
    allows_full_admin_statement,
    effective_actions,
    evaluate,
    evaluate_detailed,
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


def test_identity_allow_and_implicit_deny():
    policies = [doc(allow("s3:Get*"))]
    assert evaluate(policies, "s3:GetObject") is Decision.ALLOWED
    result = evaluate_detailed(policies, "s3:PutObject")
    assert result.decision is Decision.DENIED and not result.explicit_deny
    assert "no statement in identity policies" in result.reason
    assert evaluate([], "s3:GetObject") is Decision.DENIED


def test_explicit_deny_wins_across_documents():
    result = evaluate_detailed([ADMIN, doc(deny("iam:*", Sid="NoIam"))], "iam:CreateUser")
    assert result.decision is Decision.DENIED and result.explicit_deny
    assert "NoIam" in result.reason
    assert evaluate([ADMIN, doc(deny("iam:*"))], "s3:GetObject") is Decision.ALLOWED


def test_action_matching_is_case_insensitive():
    assert evaluate([doc(allow("S3:getobject"))], "s3:GetObject") is Decision.ALLOWED


def test_not_action_allow_and_deny():
    trick = doc({"Effect": "Allow", "NotAction": "iam:ChangePassword", "Resource": "*"})
    assert evaluate([trick], "iam:CreateUser") is Decision.ALLOWED
    assert evaluate([trick], "iam:ChangePassword") is Decision.DENIED
    guard = doc({"Effect": "Deny", "NotAction": ["s3:*", "sts:GetCallerIdentity"], "Resource": "*"})
    assert evaluate([ADMIN, guard], "s3:PutObject") is Decision.ALLOWED
    assert evaluate([ADMIN, guard], "ec2:RunInstances") is Decision.DENIED


def test_resources_and_not_resource():
    bucket = doc(allow("s3:GetObject", "arn:aws:s3:::data/*"))
    assert evaluate([bucket], "s3:GetObject", "arn:aws:s3:::data/report.csv") is Decision.ALLOWED
    assert evaluate([bucket], "s3:GetObject", "arn:aws:s3:::other/x") is Decision.DENIED
    assert evaluate([bucket], "s3:GetObject") is Decision.DENIED  # "*" means every resource
    not_res = doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})
    assert evaluate([not_res], "s3:GetObject", "arn:aws:s3:::public/x") is Decision.ALLOWED
    assert evaluate([not_res], "s3:GetObject", "arn:aws:s3:::secret/x") is Decision.DENIED
    scoped_deny = doc(deny("s3:*", "arn:aws:s3:::secret/*"))
    assert evaluate([ADMIN, scoped_deny], "s3:GetObject", "arn:aws:s3:::secret/x") is Decision.DENIED
    assert evaluate([ADMIN, scoped_deny], "s3:GetObject", "arn:aws:s3:::public/x") is Decision.ALLOWED


def test_scp_deny_filters_identity_allow():
    scps = [[FULL_SCP], [doc(allow(), deny("ec2:*", Sid="NoEc2"))]]
    result = evaluate_detailed([ADMIN], "ec2:RunInstances", scps=scps)
    assert result.decision is Decision.DENIED and result.explicit_deny
    assert "SCP level 2" in result.reason
    assert evaluate([ADMIN], "s3:GetObject", scps=scps) is Decision.ALLOWED


def test_every_scp_level_must_allow():
    scps = [[FULL_SCP], [doc(allow("s3:*"))], [FULL_SCP]]
    assert evaluate([ADMIN], "s3:GetObject", scps=scps) is Decision.ALLOWED
    result = evaluate_detailed([ADMIN], "ec2:RunInstances", scps=scps)
    assert result.decision is Decision.DENIED and not result.explicit_deny
    assert "SCP level 2" in result.reason
    assert evaluate([ADMIN], "s3:GetObject", scps=[[FULL_SCP], []]) is Decision.DENIED
    # an SCP alone never grants anything
    assert evaluate([], "s3:GetObject", scps=[[FULL_SCP]]) is Decision.DENIED


def test_permissions_boundary_limits():
    boundary = doc(allow(["s3:*", "cloudwatch:*"]))
    assert evaluate([ADMIN], "s3:GetObject", boundary=boundary) is Decision.ALLOWED
    result = evaluate_detailed([ADMIN], "iam:CreateUser", boundary=boundary)
    assert result.decision is Decision.DENIED and "permissions boundary" in result.reason
    # the boundary grants nothing by itself
    assert evaluate([doc(allow("cloudwatch:*"))], "s3:GetObject", boundary=boundary) is Decision.DENIED


def test_conditional_allow_is_conditional_not_allowed():
    policies = [doc(allow("s3:*", Condition=MFA))]
    result = evaluate_detailed(policies, "s3:GetObject")
    assert result.decision is Decision.CONDITIONAL
    assert "conditional Allow" in result.reason
    assert evaluate(policies, "ec2:RunInstances") is Decision.DENIED


def test_conditional_deny_makes_allow_conditional():
    policies = [ADMIN, doc(deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))]
    assert evaluate(policies, "s3:GetObject") is Decision.CONDITIONAL


def test_context_resolves_conditions():
    policies = [doc(allow("s3:*", Condition=MFA))]
    assert evaluate(policies, "s3:GetObject", context={"aws:MultiFactorAuthPresent": True}) is Decision.ALLOWED
    assert evaluate(policies, "s3:GetObject", context={"aws:MultiFactorAuthPresent": False}) is Decision.DENIED
    deny_no_mfa = [ADMIN, doc(deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))]
    assert evaluate(deny_no_mfa, "s3:GetObject", context={}) is Decision.DENIED
    assert evaluate(deny_no_mfa, "s3:GetObject", context={"aws:MultiFactorAuthPresent": True}) is Decision.ALLOWED


def test_unsupported_condition_operator_is_conditional_even_with_context():
    policies = [doc(allow("s3:*", Condition={"StringSortaEquals": {"k": "v"}}))]
    assert evaluate(policies, "s3:GetObject", context={"k": "v"}) is Decision.CONDITIONAL


def test_unknown_action_still_evaluates_by_pattern():
    assert evaluate([ADMIN], "brandnew:DoThing") is Decision.ALLOWED
    assert evaluate([doc(allow("brandnew:*"))], "brandnew:DoThing") is Decision.ALLOWED


# -- admin-equivalence --------------------------------------------------------------------------


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
