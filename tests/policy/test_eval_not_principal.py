"""NotPrincipal: IAM User Guide, "AWS JSON policy elements: NotPrincipal" ("NotPrincipal with Deny": every form
of the principal must be listed to be exempt: the session, the role and the account)."""

from __future__ import annotations

from evalkit import ADMIN, ROLE, SESSION, USER, A, allow, decision, doc, grant

ACCOUNT_ROOT = f"arn:aws:iam::{A}:root"


def bucket_with(not_principal):
    return doc(grant("*", "s3:GetObject", "arn:aws:s3:::bucket/*"),
               {"Effect": "Deny", "NotPrincipal": {"AWS": not_principal}, "Action": "s3:*",
                "Resource": "arn:aws:s3:::bucket/*"})


def test_deny_everyone_but_the_listed_user_and_account():
    assert decision(USER, identity_policies=[ADMIN], resource_policy=bucket_with([USER, ACCOUNT_ROOT])) == "allowed"
    assert decision(f"arn:aws:iam::{A}:user/bob", identity_policies=[ADMIN],
                    resource_policy=bucket_with([USER, ACCOUNT_ROOT])) == "explicit_deny"


def test_listing_the_user_without_its_account_still_denies_it():
    """NotPrincipal page: "you must also include the account ARN"; otherwise the Deny applies to the account form."""
    assert decision(USER, identity_policies=[ADMIN], resource_policy=bucket_with([USER])) == "explicit_deny"


def test_role_session_needs_session_role_and_account_listed():
    """NotPrincipal page, example with an assumed-role session: list the session ARN, the role ARN and the account."""
    assert decision(SESSION, identity_policies=[ADMIN],
                    resource_policy=bucket_with([SESSION, ROLE, ACCOUNT_ROOT])) == "allowed"
    assert decision(SESSION, identity_policies=[ADMIN], resource_policy=bucket_with([ROLE, ACCOUNT_ROOT])) == \
        "explicit_deny"
    assert decision(SESSION, identity_policies=[ADMIN], resource_policy=bucket_with([SESSION, ROLE])) == \
        "explicit_deny"


def test_not_principal_deny_applies_to_anonymous():
    assert decision("anonymous", resource_policy=bucket_with([USER, ACCOUNT_ROOT])) == "explicit_deny"


def test_allow_with_not_principal_grants_to_the_others():
    bucket = doc({"Effect": "Allow", "NotPrincipal": {"AWS": [USER, ACCOUNT_ROOT]}, "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::bucket/*"})
    assert decision(f"arn:aws:iam::{A}:user/bob", resource_policy=bucket, identity_policies=[]) == "allowed"
    assert decision(USER, resource_policy=bucket, identity_policies=[]) == "implicit_deny"
    assert decision(USER, resource_policy=bucket, identity_policies=[doc(allow("s3:GetObject"))]) == "allowed"
