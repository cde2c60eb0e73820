"""Session policies: IAM User Guide, "Session policies" (in "Policies and permissions in IAM") and the
enforcement page's "Session policies" step."""

from __future__ import annotations

from evalkit import ADMIN, ROLE, SESSION, A, allow, ask, decision, doc, grant

FED = f"arn:aws:sts::{A}:federated-user/carol"


def test_session_policy_limits_the_role_permissions():
    """"Session policies": the session's permissions are the intersection of the identity policies and the
    session policy; the session policy grants nothing by itself."""
    assert decision(SESSION, identity_policies=[ADMIN], session_policy=doc(allow("s3:*"))) == "allowed"
    d = ask(SESSION, "ec2:RunInstances", "*", identity_policies=[ADMIN], session_policy=doc(allow("s3:*")))
    assert d.decision == "implicit_deny" and d.decided_by == ("session",)
    assert decision(SESSION, identity_policies=[doc(allow("ec2:*"))], session_policy=doc(allow("s3:*"))) == \
        "implicit_deny"


def test_session_policy_does_not_apply_to_iam_users():
    """Session policies are passed when a role or federated-user session is created; an IAM user making a
    request with its long-term credentials has none."""
    assert decision(identity_policies=[ADMIN], session_policy=doc(allow("ec2:*"))) == "allowed"


def test_resource_policy_for_the_session_arn_is_not_limited():
    """"Session policies": a resource-based policy that names the session ARN adds permissions after the session
    is created, so the session policy does not limit them; one that names the role ARN is limited."""
    narrow = doc(allow("sqs:*"))
    by_session = doc(grant({"AWS": SESSION}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    by_role = doc(grant({"AWS": ROLE}, "s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decision(SESSION, identity_policies=[], session_policy=narrow, resource_policy=by_session) == "allowed"
    d = ask(SESSION, identity_policies=[], session_policy=narrow, resource_policy=by_role)
    assert d.decision == "implicit_deny" and d.decided_by == ("session",)
    assert decision(SESSION, identity_policies=[], session_policy=doc(allow("s3:*")), resource_policy=by_role) == \
        "allowed"


def test_federated_user_session():
    """GetFederationToken sessions: the session policy limits the IAM user's permissions; a resource policy
    naming the federated-user ARN grants directly."""
    assert decision(FED, identity_policies=[ADMIN], session_policy=doc(allow("s3:GetObject"))) == "allowed"
    assert decision(FED, "s3:PutObject", identity_policies=[ADMIN], session_policy=doc(allow("s3:GetObject"))) == \
        "implicit_deny"
    by_fed = doc(grant({"AWS": FED}, "s3:PutObject", "arn:aws:s3:::bucket/*"))
    assert decision(FED, "s3:PutObject", identity_policies=[], session_policy=doc(allow("s3:GetObject")),
                    resource_policy=by_fed) == "allowed"


def test_explicit_deny_in_session_policy():
    d = ask(SESSION, identity_policies=[ADMIN], session_policy=doc(allow(), {"Effect": "Deny", "Action": "s3:*",
                                                                             "Resource": "*"}))
    assert d.decision == "explicit_deny" and d.decided_by == ("session",)
