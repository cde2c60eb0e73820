from __future__ import annotations

import pandas as pd
import pytest

from iamkit.evidence import Bundle
from iamkit.model import AccountModel, MissingEvidence, OrgModel
from tests.checks.helpers import ACCT, allow, cred_report, cred_row, gaad, group, managed, role, user, write_bundle

GAAD = "iam/authorization_details.json"


@pytest.fixture
def model(tmp_path) -> AccountModel:
    pol = f"arn:aws:iam::{ACCT}:policy/p"
    files = {
        "iam/credential_report.csv": cred_report(
            cred_row("<root_account>", mfa=True),
            cred_row("alice", password=True, mfa=True, keys=[{"rotated": 100, "used": 3}]),
            cred_row("bob", keys=[{"rotated": 10, "used": None}, {"active": False, "rotated": 20}])),
        GAAD: gaad(users=[user("alice", groups=["g"], attached=[pol]), user("bob", inline={"i": allow("s3:*")})],
                   groups=[group("g", attached=[pol])],
                   roles=[role("r", {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                                     "Action": "sts:AssumeRole"}),
                          role("AWSServiceRoleForX", {"Effect": "Allow", "Principal": {"Service": "x.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}, path="/aws-service-role/")],
                   policies=[managed(pol, allow("ec2:*"), 2)]),
        "iam/virtual_mfa_devices.json": {"VirtualMFADevices": [
            {"SerialNumber": f"arn:aws:iam::{ACCT}:mfa/alice", "User": {"Arn": f"arn:aws:iam::{ACCT}:user/alice"},
             "EnableDate": "2025-01-01T00:00:00Z"},
            {"SerialNumber": f"arn:aws:iam::{ACCT}:mfa/unassigned"}]},
    }
    return AccountModel(Bundle(write_bundle(tmp_path / ACCT, files)), known_vendor_accounts={"999988887777": "V"})


def test_users_join_credential_report(model):
    u = model.users.set_index("user_name")
    assert list(u.columns[:3]) == ["arn", "user_id", "path"]
    assert u.loc["alice", "has_console_password"] and u.loc["alice", "mfa_active"]
    assert not u.loc["bob", "has_console_password"]
    assert u.loc["alice", "groups"] == ["g"] and u.loc["bob", "inline_policy_names"] == ["i"]


def test_access_keys_one_row_per_existing_key(model):
    k = model.access_keys
    assert list(zip(k["user_name"], k["slot"], k["active"], strict=True)) == [
        ("alice", 1, True), ("bob", 1, True), ("bob", 2, False)]
    assert k.loc[0, "age_days"] == 100 and k.loc[0, "days_since_use"] == 3
    assert pd.isna(k.loc[1, "days_since_use"])  # never used (N/A)
    assert k.loc[0, "resource_arn"] == f"arn:aws:iam::{ACCT}:user/alice#access_key_1"


def test_mfa_devices_virtual_and_inferred_hardware(model):
    d = model.mfa_devices
    kinds = dict(zip(d["user_arn"], d["kind"], strict=True))
    assert kinds == {f"arn:aws:iam::{ACCT}:user/alice": "virtual", f"arn:aws:iam::{ACCT}:root": "hardware"}


def test_roles_and_trust(model):
    r = model.roles.set_index("role_name")
    assert r.loc["AWSServiceRoleForX", "is_service_linked"] and not r.loc["r", "is_service_linked"]
    t = model.trust.set_index("role_name")
    assert t.loc["r", "relation"] == "vendor" and t.loc["r", "vendor"] == "V"
    assert t.loc["AWSServiceRoleForX", "relation"] == "service"


def test_policies_attachments_and_group_members(model):
    assert model.policies.loc[0, "attachment_count"] == 2
    a = model.attachments
    assert set(zip(a["principal_type"], a["principal_name"], strict=True)) == {("user", "alice"), ("group", "g")}
    assert list(model.group_members["group_name"]) == ["g"]
    assert model.inline_policies.loc[0, "policy_name"] == "i"


def test_missing_evidence_is_raised_never_an_empty_table(tmp_path):
    m = AccountModel(Bundle(write_bundle(tmp_path / "x", {}, errors=[
        {"collector": "iam", "operation": "GetAccountAuthorizationDetails", "code": "AccessDenied",
         "message": "denied", "file": GAAD}])))
    for attr in ("users", "roles", "groups", "policies", "trust", "credential_report", "access_keys",
                 "password_policy", "providers", "server_certificates", "mfa_devices", "root_events"):
        with pytest.raises(MissingEvidence):
            getattr(m, attr)
    with pytest.raises(MissingEvidence, match="GetAccountAuthorizationDetails failed: AccessDenied"):
        _ = m.users


def test_password_policy_none_means_no_policy(tmp_path):
    m = AccountModel(Bundle(write_bundle(tmp_path / "x", {"iam/password_policy.json": {"PasswordPolicy": None}})))
    assert m.password_policy is None


def test_url_encoded_trust_policy_is_decoded(tmp_path):
    r = role("enc", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    import json
    import urllib.parse

    r["AssumeRolePolicyDocument"] = urllib.parse.quote(json.dumps(r["AssumeRolePolicyDocument"]))
    m = AccountModel(Bundle(write_bundle(tmp_path / "x", {GAAD: gaad(roles=[r])})))
    assert m.trust.loc[0, "relation"] == "any"


def test_org_model_chain(tmp_path):
    from tests.checks.test_cross_account_scp_privilege import _org_bundle

    org = OrgModel(Bundle(_org_bundle(tmp_path)))
    assert org.management_account_id == "123456789012" and org.organization_id == "o-abc123"
    assert org.account_chain(ACCT) == ["r-root", "ou-work", "ou-prod", ACCT]
    chain = org.scp_chain(ACCT)
    assert [[p["name"] for p in level] for level in chain] == [  # FullAWSAccess on every level, as AWS keeps it
        ["FullAWSAccess"], ["FullAWSAccess", "deny-leave"], ["FullAWSAccess"], ["FullAWSAccess"]]
    assert dict(zip(org.accounts["id"], org.accounts["ou_path"], strict=True))[ACCT] == "/Workloads/Prod"
