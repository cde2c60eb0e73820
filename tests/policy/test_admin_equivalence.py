"""Admin-equivalence (issue 11): do not under-report administrators."""

from iamkit.policy import actions
from iamkit.policy.evaluate import ADMIN_MAX_EXCLUDED_ACTIONS, iam_permissions_management, is_admin_equivalent

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny(action):
    return {"Effect": "Deny", "Action": action, "Resource": "*"}


def allow(action, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": "*", **extra}


def test_admin_with_one_whole_small_service_denied_is_still_admin():
    assert len(actions.expand("aws-portal:*")) <= ADMIN_MAX_EXCLUDED_ACTIONS
    assert is_admin_equivalent([ADMIN, doc(deny("aws-portal:*"))])


def test_threshold_boundary_of_excluded_actions():
    # one IAM permissions-management action denied, so full IAM write does not decide this test
    others = sorted(a for a in actions.all_actions() if not a.startswith("iam:"))
    at_limit = [sorted(iam_permissions_management())[0], *others[: ADMIN_MAX_EXCLUDED_ACTIONS - 1]]
    over = [*at_limit, others[ADMIN_MAX_EXCLUDED_ACTIONS]]
    assert len(set(at_limit)) == ADMIN_MAX_EXCLUDED_ACTIONS and len(set(over)) == ADMIN_MAX_EXCLUDED_ACTIONS + 1
    assert is_admin_equivalent([ADMIN, doc(deny(at_limit))])
    assert not is_admin_equivalent([ADMIN, doc(deny(over))])


def test_full_iam_write_is_admin_equivalent():
    assert is_admin_equivalent(doc(allow("iam:*")))
    assert is_admin_equivalent(doc(allow(sorted(iam_permissions_management()))))


def test_partial_or_conditional_iam_write_is_not_admin_by_this_rule():
    missing_one = sorted(iam_permissions_management())[1:]
    assert not is_admin_equivalent(doc(allow(missing_one)))
    assert not is_admin_equivalent(doc(allow("iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))
    assert not is_admin_equivalent(doc({"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:user/x"}))
    assert not is_admin_equivalent(doc(allow("iam:Get*")))
    assert not is_admin_equivalent([doc(allow("iam:*")), doc(deny("iam:PutUserPolicy"))])


def test_power_user_is_not_admin():
    assert not is_admin_equivalent(doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                                        "Resource": "*"}))
