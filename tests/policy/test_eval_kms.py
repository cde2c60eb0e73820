"""KMS key policies: AWS KMS Developer Guide, "Key policies in AWS KMS" ("Every KMS key must have exactly one key
policy"; IAM policies grant access only when the key policy allows the account ("Allows access to the AWS
account and enables IAM policies"))."""

from __future__ import annotations

from evalkit import ADMIN, ROLE, SESSION, USER, A, B, allow, ask, decision, doc, grant

KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ENABLE_IAM = doc(grant({"AWS": f"arn:aws:iam::{A}:root"}, "kms:*", "*", Sid="Enable IAM User Permissions"))


def test_identity_policy_counts_only_when_the_key_policy_allows_the_account():
    assert decision(USER, "kms:Decrypt", KEY, identity_policies=[ADMIN], resource_policy=ENABLE_IAM) == "allowed"
    key_users_only = doc(grant({"AWS": f"arn:aws:iam::{A}:user/bob"}, "kms:Decrypt", "*"))
    d = ask(USER, "kms:Decrypt", KEY, identity_policies=[ADMIN], resource_policy=key_users_only)
    assert d.decision == "implicit_deny" and d.decided_by == ("resource",)


def test_key_policy_without_statement_for_anyone_denies_even_admins_and_root():
    d = ask(f"arn:aws:iam::{A}:root", "kms:Decrypt", KEY, resource_policy=doc(grant({"AWS": USER}, "kms:Encrypt")))
    assert d.decision == "implicit_deny"
    assert decision(USER, "kms:Decrypt", KEY, identity_policies=[ADMIN]) == "implicit_deny"  # no key policy given


def test_key_policy_naming_the_principal_is_enough():
    key = doc(grant({"AWS": USER}, ["kms:Decrypt", "kms:Encrypt"], "*"))
    assert decision(USER, "kms:Decrypt", KEY, identity_policies=[], resource_policy=key) == "allowed"
    key_role = doc(grant({"AWS": ROLE}, "kms:Decrypt", "*"))
    assert decision(SESSION, "kms:Decrypt", KEY, identity_policies=[], resource_policy=key_role) == "allowed"
    assert decision(SESSION, "kms:Decrypt", KEY, identity_policies=[], resource_policy=key_role,
                    permissions_boundary=doc(allow("s3:*"))) == "implicit_deny"


def test_cross_account_key_use_needs_both():
    """KMS Developer Guide, "Allowing users in other accounts to use a KMS key": the key policy must allow the
    external account and that account's IAM policies must allow the user."""
    other = f"arn:aws:iam::{B}:user/dev"
    key = doc(grant({"AWS": f"arn:aws:iam::{B}:root"}, "kms:Decrypt", "*"))
    assert decision(other, "kms:Decrypt", KEY, identity_policies=[doc(allow("kms:Decrypt", KEY))],
                    resource_policy=key) == "allowed"
    assert decision(other, "kms:Decrypt", KEY, identity_policies=[], resource_policy=key) == "implicit_deny"


def test_kms_actions_without_a_key_are_ordinary():
    assert decision(USER, "kms:ListKeys", "*", identity_policies=[doc(allow("kms:List*"))]) == "allowed"
