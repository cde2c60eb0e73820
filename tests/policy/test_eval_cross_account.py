"""Cross-account evaluation: IAM User Guide, "Cross-account policy evaluation logic" (both the identity
side in the trusted account and the resource policy in the trusting account must allow)."""

from __future__ import annotations

from evalkit import ADMIN, USER, A, B, allow, ask, decision, doc, grant, refuse

OBJ = "arn:aws:s3:::shared/report.csv"
QUEUE = f"arn:aws:sqs:us-east-1:{B}:jobs"


def test_both_sides_must_allow():
    """Cross-account page: "both the identity-based policy in account A and the resource-based policy in account
    B must allow the request"."""
    bucket = doc(grant({"AWS": USER}, "s3:GetObject", "arn:aws:s3:::shared/*"))
    both = ask(resource=OBJ, resource_account=B, identity_policies=[doc(allow("s3:GetObject"))], resource_policy=bucket)
    assert both.decision == "allowed" and set(both.decided_by) >= {"identity", "resource"}
    # resource policy alone: not enough across accounts (unlike within one account)
    only_resource = ask(resource=OBJ, resource_account=B, identity_policies=[], resource_policy=bucket)
    assert only_resource.decision == "implicit_deny" and only_resource.decided_by == ("identity",)
    # identity alone: the other account never agreed
    only_identity = ask(resource=OBJ, resource_account=B, identity_policies=[ADMIN])
    assert only_identity.decision == "implicit_deny" and only_identity.decided_by == ("resource",)


def test_resource_policy_naming_the_account_delegates_to_its_identity_policies():
    """Principal element, "AWS account principals": naming an account lets that account's administrators
    delegate through identity policies; cross-account this is the resource side's allow."""
    for principal in (A, f"arn:aws:iam::{A}:root"):
        queue = doc(grant({"AWS": principal}, "sqs:SendMessage", QUEUE))
        assert decision(action="sqs:SendMessage", resource=QUEUE, resource_policy=queue,
                        identity_policies=[doc(allow("sqs:SendMessage"))]) == "allowed"
        assert decision(action="sqs:SendMessage", resource=QUEUE, resource_policy=queue,
                        identity_policies=[]) == "implicit_deny"


def test_resource_policy_for_another_account_does_not_help():
    queue = doc(grant({"AWS": "999988887777"}, "sqs:*", QUEUE))
    d = ask(action="sqs:SendMessage", resource=QUEUE, resource_policy=queue, identity_policies=[ADMIN])
    assert d.decision == "implicit_deny" and d.decided_by == ("resource",)


def test_explicit_deny_on_either_side_wins():
    """Cross-account page: an explicit deny in any policy of either account denies."""
    queue = doc(grant({"AWS": A}, "sqs:*", QUEUE), refuse("*", "sqs:DeleteQueue", QUEUE))
    assert decision(action="sqs:DeleteQueue", resource=QUEUE, resource_policy=queue,
                    identity_policies=[ADMIN]) == "explicit_deny"
    # the caller's SCP still applies to its own principal across accounts
    assert decision(action="sqs:SendMessage", resource=QUEUE, resource_policy=queue, identity_policies=[ADMIN],
                    scps=[[doc(allow("s3:*"))]]) == "implicit_deny"


def test_boundary_still_limits_cross_account():
    """Permissions boundaries page: across accounts the boundary limits the principal's side."""
    queue = doc(grant({"AWS": USER}, "sqs:*", QUEUE))
    assert decision(action="sqs:SendMessage", resource=QUEUE, resource_policy=queue, identity_policies=[ADMIN],
                    permissions_boundary=doc(allow("s3:*"))) == "implicit_deny"


def test_root_of_another_account_needs_the_resource_policy():
    root = f"arn:aws:iam::{A}:root"
    assert decision(root, "sqs:SendMessage", QUEUE) == "implicit_deny"
    assert decision(root, "sqs:SendMessage", QUEUE, resource_policy=doc(grant({"AWS": A}, "sqs:*", QUEUE))) == "allowed"


def test_s3_arns_without_account_need_resource_account():
    """Buckets' ARNs name no account: the request says whose bucket it is, or it is refused (never guessed)."""
    import pytest
    from evalkit import NOW

    from iamkit.policy.document import PolicyError
    from iamkit.policy.engine import decide
    from iamkit.policy.intake import request_from_mapping

    with pytest.raises(PolicyError, match="resource_account: needed"):
        decide(request_from_mapping({"principal": USER, "action": "s3:GetObject", "resource": OBJ}, "r", NOW))
