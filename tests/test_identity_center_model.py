"""Identity Center model on tables built in code: people, per-account resolution, SCPs, boundaries, roles."""

from __future__ import annotations

import pandas as pd
import pytest

from iamkit.evidence import Bundle
from iamkit.identity_center import (
    IdentityCenter,
    decide,
    identity_center_of,
    permission_set_access,
    session_hours,
    sso_roles,
)
from iamkit.identity_center.views import roll_up
from iamkit.model import AccountModel, MissingEvidence, OrgModel
from tests.checks.helpers import allow, managed
from tests.identity_center_fixtures import (
    ADMIN_ARN,
    MGMT,
    A,
    B,
    admin_policy,
    identity_center,
    ps,
    sso_role,
    write_account,
    write_org,
)

OPS_A = managed(f"arn:aws:iam::{A}:policy/Ops", allow("*", "*"))
OPS_B = managed(f"arn:aws:iam::{B}:policy/Ops", allow(["s3:GetObject", "s3:ListBucket"], "*"))


def _world(tmp_path, sets, assignments, **kw):
    org = OrgModel(Bundle(write_org(tmp_path, identity_center(sets, assignments, **kw))))
    accounts = {
        MGMT: AccountModel(Bundle(write_account(tmp_path, MGMT, policies=[admin_policy()])), org=org),
        A: AccountModel(Bundle(write_account(tmp_path, A, policies=[admin_policy(), OPS_A])), org=org),
        B: AccountModel(Bundle(write_account(tmp_path, B, policies=[admin_policy(), OPS_B])), org=org),
    }
    return org, identity_center_of(org), accounts


def test_groups_expand_to_their_members_and_orphans_to_nobody(tmp_path):
    _, ic, _ = _world(tmp_path, [ps("Admin", managed_arns=[ADMIN_ARN], accounts=[A])],
                      [(A, "Admin", "GROUP", "ops"), (A, "Admin", "USER", "carol"), (A, "Admin", "GROUP", "empty"),
                       (A, "Admin", "USER", "deleted:u-gone")],
                      users=["alice", "bob", "carol"], groups={"ops": ["alice", "bob"], "empty": []})
    people = ic.people
    assert sorted(zip(people["user_name"], people["via"], strict=True)) == [
        ("Alice", "group ops"), ("Bob", "group ops"), ("Carol", "direct")]
    a = ic.assignments.set_index("principal_id")
    assert bool(a.loc["u-gone", "orphaned"])
    assert a.loc["u-gone", "principal_arn"] == "arn:aws:identitystore:::user/u-gone"
    assert int(a.loc["g-empty", "members"]) == 0 and int(a.loc["g-ops", "members"]) == 2


def test_customer_managed_reference_is_resolved_in_each_account(tmp_path):
    org, ic, accounts = _world(tmp_path, [ps("Ops", refs=["Ops"], accounts=[A, B])],
                               [(A, "Ops", "USER", "alice"), (B, "Ops", "USER", "alice")], users=["alice"])
    row = ic.permission_sets.iloc[0].to_dict()
    assert permission_set_access(row, A, accounts[A], org).level == "admin"      # Ops is '*' in A
    assert permission_set_access(row, B, accounts[B], org).level == "read_only"  # and two reads in B
    missing = permission_set_access(row, MGMT, accounts[MGMT], org)               # no Ops policy there
    assert missing.level == "unknown" and f"arn:aws:iam::{MGMT}:policy/Ops" in missing.reason


def test_scp_chain_denies_admin_in_one_account_only(tmp_path):
    org, ic, accounts = _world(tmp_path, [ps("Admin", managed_arns=[ADMIN_ARN], accounts=[A, B, MGMT])],
                               [(x, "Admin", "USER", "alice") for x in (A, B, MGMT)], users=["alice"])
    row = ic.permission_sets.iloc[0].to_dict()
    levels = {x: permission_set_access(row, x, accounts[x], org).level for x in (MGMT, A, B)}
    assert levels[MGMT] == "admin" and levels[A] == "admin"
    assert levels[B] == "escalate"  # iam:* denied by the Locked OU's SCP; other escalation paths remain
    r = roll_up(ic, accounts, org)
    m = r.matrix().set_index("person")
    assert m.loc["Alice", "b (222222222222)"] == "can escalate"
    assert m.loc["Alice", "mgmt (123456789012) [management]"] == "admin"


def test_unknown_aws_managed_document_is_unknown_not_nothing(tmp_path):
    org, ic, accounts = _world(tmp_path, [ps("PU", managed_arns=["arn:aws:iam::aws:policy/PowerUserAccess"],
                                              accounts=[A])], [(A, "PU", "USER", "alice")], users=["alice"])
    acc = permission_set_access(ic.permission_sets.iloc[0].to_dict(), A, accounts[A], org)
    assert acc.level == "unknown" and "PowerUserAccess" in acc.reason
    # found in another collected account's GAAD: judged with that document
    pool = {"arn:aws:iam::aws:policy/PowerUserAccess": allow(["s3:GetObject"], "*")}
    assert permission_set_access(ic.permission_sets.iloc[0].to_dict(), A, accounts[A], org, pool).level == "read_only"


def test_boundary_caps_and_inline_adds(tmp_path):
    reader = managed(f"arn:aws:iam::{A}:policy/Reader", allow(["s3:GetObject"], "*"))
    org = OrgModel(Bundle(write_org(tmp_path, identity_center(
        [ps("Capped", managed_arns=[ADMIN_ARN], boundary={"CustomerManagedPolicyReference": {"Name": "Reader"}},
            accounts=[A]),
         ps("Inline", inline=allow(["iam:CreatePolicyVersion"], "*"), accounts=[A])],
        [(A, "Capped", "USER", "alice"), (A, "Inline", "USER", "alice")], users=["alice"]))))
    acct = AccountModel(Bundle(write_account(tmp_path, A, policies=[admin_policy(), reader])), org=org)
    rows = {r["name"]: r for r in IdentityCenter(org.bundle).permission_sets.to_dict("records")}
    assert permission_set_access(rows["Capped"], A, acct, org).level == "read_only"
    inline = permission_set_access(rows["Inline"], A, acct, org)
    assert inline.level == "escalate" and any("iam:CreatePolicyVersion" in m for m in inline.methods)


def test_decide_levels_and_conditions():
    """decide() gives the levels below admin (admin is iamkit.admins' question, asked first)."""
    assert decide([allow("*", "*")], None, None)[0] == "escalate"
    # a Deny in another policy (the SCP level) takes the actions away
    assert decide([allow("*", "*")], None, [[allow("*", "*"), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotAction": ["s3:GetObject"], "Resource": "*"}]}]]) == ("read_only", ())
    assert decide([allow(["s3:PutObject"], "*")], None, None) == ("write", ("s3:PutObject",))
    assert decide([allow(["s3:GetObject"], "*")], None, [[]]) == ("none", ())  # an empty SCP level allows nothing


def test_sso_roles_link_by_name_even_with_underscores(tmp_path):
    org, ic, _ = _world(tmp_path, [ps("Data_Eng", managed_arns=[ADMIN_ARN], accounts=[A])],
                        [(A, "Data_Eng", "USER", "alice")], users=["alice"])
    acct = AccountModel(Bundle(write_account(tmp_path / "x", A, policies=[admin_policy()], roles=[
        sso_role(A, "Data_Eng", [ADMIN_ARN]), sso_role(A, "Gone")])), org=org)
    links = sso_roles(acct, ic).set_index("permission_set_name")
    assert links.loc["Data_Eng", "permission_set_arn"] == ic.permission_sets.iloc[0]["arn"]
    assert bool(links.loc["Data_Eng", "assigned"]) and pd.isna(links.loc["Gone", "permission_set_arn"])


@pytest.mark.parametrize(("text", "hours"), [("PT8H", 8), ("PT7H59M", 7 + 59 / 60), ("PT8H1M", 8 + 1 / 60),
                                             ("PT28800S", 8), ("P0DT12H", 12), ("PT1H30M", 1.5)])
def test_session_hours(text, hours):
    assert session_hours(text) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["8h", "P", "PT", "", None, "PTH"])
def test_session_hours_rejects_non_durations(text):
    assert session_hours(text) is None


def test_missing_files_raise_with_the_manifest_reason(tmp_path):
    files = identity_center([], [])
    del files["identity_center/permission_sets.json"]
    org = OrgModel(Bundle(write_org(tmp_path, files, errors=[{
        "collector": "identity_center", "operation": "ListPermissionSets", "code": "AccessDeniedException",
        "message": "denied", "file": "identity_center/permission_sets.json"}])))
    with pytest.raises(MissingEvidence, match="ListPermissionSets failed: AccessDeniedException"):
        identity_center_of(org).permission_sets  # noqa: B018
