

from iamkit.policy import actions
from iamkit.policy.evaluate import allows_full_admin_statement, effective_actions


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


ADMIN = doc(allow())
FULL_SCP = doc(allow())
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_not_action_trick_is_not_the_literal_cis_statement():
    trick = doc({"Effect": "Allow", "NotAction": "iam:ChangePassword", "Resource": "*"})
    assert not allows_full_admin_statement(trick)  # the literal CIS check does not see it (the evaluator does:
    # tests/policy/test_admin_equivalence.py)


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
