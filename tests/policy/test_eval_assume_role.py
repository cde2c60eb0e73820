"""sts:AssumeRole: IAM User Guide, "Granting a user permissions to switch roles" and "IAM roles" ("the role
trust policy is the only resource-based policy that IAM supports"; a principal needs the trust policy to allow
it, and, when the trust policy names the account, its own identity policy too; across accounts both)."""

from __future__ import annotations

from evalkit import ADMIN, SESSION, USER, A, B, allow, ask, decision, doc

TARGET = f"arn:aws:iam::{A}:role/deploy"
XTARGET = f"arn:aws:iam::{B}:role/deploy"


def trust(principal, **extra):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def test_trust_policy_is_required():
    d = ask(USER, "sts:AssumeRole", TARGET, identity_policies=[ADMIN])
    assert d.decision == "implicit_deny" and d.decided_by == ("resource",) and "trust policy" in d.reason
    assert decision(USER, "sts:AssumeRole", TARGET, identity_policies=[ADMIN],
                    resource_policy=trust({"AWS": f"arn:aws:iam::{A}:user/bob"})) == "implicit_deny"


def test_trust_naming_the_account_needs_an_identity_allow():
    t = trust({"AWS": A})
    assert decision(USER, "sts:AssumeRole", TARGET, identity_policies=[], resource_policy=t) == "implicit_deny"
    assert decision(USER, "sts:AssumeRole", TARGET, identity_policies=[doc(allow("sts:AssumeRole", TARGET))],
                    resource_policy=t) == "allowed"


def test_trust_naming_the_user_needs_no_identity_policy_in_the_same_account():
    assert decision(USER, "sts:AssumeRole", TARGET, identity_policies=[], resource_policy=trust({"AWS": USER})) == \
        "allowed"


def test_cross_account_needs_both():
    t = trust({"AWS": USER})
    assert decision(USER, "sts:AssumeRole", XTARGET, identity_policies=[], resource_policy=t) == "implicit_deny"
    assert decision(USER, "sts:AssumeRole", XTARGET, identity_policies=[doc(allow("sts:AssumeRole"))],
                    resource_policy=t) == "allowed"


def test_trust_conditions_mfa_and_external_id():
    """Trust conditions: aws:MultiFactorAuthPresent (absent for long-term keys) and sts:ExternalId (a service key
    the request must give, or the condition cannot be decided)."""
    mfa = trust({"AWS": A}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    idp = [doc(allow("sts:AssumeRole"))]
    assert decision(USER, "sts:AssumeRole", TARGET, identity_policies=idp, resource_policy=mfa) == "implicit_deny"
    assert decision(USER, "sts:AssumeRole", TARGET, identity_policies=idp, resource_policy=mfa,
                    context={"aws:MultiFactorAuthPresent": True}) == "allowed"
    ext = trust({"AWS": B}, Condition={"StringEquals": {"sts:ExternalId": "k-123"}})
    vendor = f"arn:aws:iam::{B}:role/vendor"
    d = ask(vendor, "sts:AssumeRole", TARGET, identity_policies=idp, resource_policy=ext)
    assert d.decision == "implicit_deny" and d.unresolved_conditions[0]["condition"] == "StringEquals sts:externalid"
    assert decision(vendor, "sts:AssumeRole", TARGET, identity_policies=idp, resource_policy=ext,
                    context={"sts:ExternalId": "k-123"}) == "allowed"
    assert decision(vendor, "sts:AssumeRole", TARGET, identity_policies=idp, resource_policy=ext,
                    context={"sts:ExternalId": None}) == "implicit_deny"


def test_service_principal_assumes_by_trust_alone():
    t = trust({"Service": "lambda.amazonaws.com"})
    assert decision("lambda.amazonaws.com", "sts:AssumeRole", TARGET, resource_policy=t) == "allowed"
    assert decision("ec2.amazonaws.com", "sts:AssumeRole", TARGET, resource_policy=t) == "implicit_deny"


def test_role_chaining_from_a_session():
    t = trust({"AWS": f"arn:aws:iam::{A}:role/app"})
    assert decision(SESSION, "sts:AssumeRole", TARGET, identity_policies=[], resource_policy=t) == "allowed"
    assert decision(SESSION, "sts:AssumeRole", TARGET, identity_policies=[], resource_policy=t,
                    session_policy=doc(allow("s3:*"))) == "implicit_deny"
