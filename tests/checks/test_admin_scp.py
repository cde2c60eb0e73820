"""Effective administrators under the SCP chain of their account (iamkit.admins, issue 9 "Effective administrators").

A principal is administrator when its own policies and boundary allow every IAM write on ``*`` AND, where SCPs
apply (member accounts; never the management account, nor service-linked roles: AWS Organizations User Guide,
"Service control policies"), the full chain still lets it write its own permissions (a role: Attach/PutRolePolicy
on its own ARN; a user: Attach/PutUserPolicy on itself or Attach/PutGroupPolicy on one of its groups). Every SCP
level (root > OU... > account) must allow (the chain is ANDed) and a Deny at any level wins. Policies are built in
code; the organization is r-root > ou-work (Workloads) > ou-prod (Prod) > ACCT, the management account under the
root.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamkit.checks.privilege import principal_admin
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.model import AccountModel, OrgModel
from tests.checks import helpers as h
from tests.checks.helpers import ACCT, allow, gaad, group, managed, role, run, user, write_bundle

MGMT = h.SCP_MGMT
LEVELS = h.SCP_LEVELS
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
TRUST = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny(actions, sid: str = "Guard", **extra) -> dict:  # noqa: ANN001
    key = "NotAction" if extra.pop("not_action", False) else "Action"
    return doc({"Sid": sid, "Effect": "Deny", key: actions, "Resource": "*", **extra})


DENY_IAM = deny("iam:*", "NoIam")
GUARDRAIL = deny(["iam:CreateUser", "iam:CreateAccessKey"], "NoUsersNoKeys")


def org_bundle(root: Path, scps: dict[str, tuple[dict | str, list[str]]], *, full_on=LEVELS, drop=()) -> Path:  # noqa: ANN001
    """``scps``: name -> (document, target ids); FullAWSAccess on ``full_on`` and the management account."""
    return h.scp_org_bundle(root, scps, full_on=full_on, drop=tuple(drop))


def account_files(account: str = ACCT) -> dict:
    """Roles boss and OrgAdmin (AdministratorAccess), user ann (AdministratorAccess through group admins)."""
    return {"iam/authorization_details.json": gaad(
        users=[user("ann", account=account, groups=["admins"])],
        groups=[group("admins", account=account, attached=[ADMIN])],
        roles=[role("boss", TRUST, account=account, attached=[ADMIN]),
               role("OrgAdmin", TRUST, account=account, attached=[ADMIN])],
        policies=[managed(ADMIN, allow())])}


def table(tmp_path: Path, scps: dict | None, *, account: str = ACCT, files: dict | None = None, **kw):  # noqa: ANN003
    """principal_admin indexed by name: ``scps`` None = no organization evidence at all."""
    path = write_bundle(tmp_path / "acct" / account, files or account_files(account), account_id=account)
    org = OrgModel(Bundle(org_bundle(tmp_path, scps, **kw))) if scps is not None else None
    return principal_admin(AccountModel(Bundle(path), org=org), org).set_index("principal_name")


def test_full_aws_access_only_keeps_an_administrator(tmp_path):
    t = table(tmp_path, {})
    assert t.loc["boss", "is_admin"] and t.loc["boss", "error"] == ""
    assert "iam:AttachRolePolicy on arn:aws:iam::111122223333:role/boss" in t.loc["boss", "scp"]


def test_guardrail_on_user_and_key_creation_is_no_cap(tmp_path):
    t = table(tmp_path, {"Guardrail": (GUARDRAIL, ["ou-work"])})
    assert t.loc["boss", "is_admin"] and t.loc["OrgAdmin", "is_admin"] and t.loc["ann", "is_admin"]


def test_deny_iam_cuts_and_names_scp_level_and_statement(tmp_path):
    t = table(tmp_path, {"DenyIam": (DENY_IAM, ["ou-prod"])})
    assert not t.loc["boss", "is_admin"] and t.loc["boss", "error"] == ""
    cut = t.loc["boss", "cut_by"]
    assert "SCP DenyIam at OU Prod, statement 1 (Sid NoIam)" in cut and "iam:PutRolePolicy" in cut
    assert t.loc["boss", "scp"].startswith("cut")


def test_denying_both_self_writes_is_the_limit(tmp_path):
    both = table(tmp_path / "both", {"Lock": (deny(["iam:AttachRolePolicy", "iam:PutRolePolicy"]), ["ou-work"])})
    assert not both.loc["boss", "is_admin"] and "SCP Lock at OU Workloads" in both.loc["boss", "cut_by"]
    one = table(tmp_path / "one", {"Lock": (deny("iam:AttachRolePolicy"), ["ou-work"])})  # limit - 1
    assert one.loc["boss", "is_admin"] and "iam:PutRolePolicy" in one.loc["boss", "scp"]


def test_protecting_a_named_role_from_modification_is_a_guardrail_not_a_cap(tmp_path):
    """The issue's guardrail "protect the security/audit roles from modification" denies Attach/PutRolePolicy on
    those roles' ARNs only: the protected administrator role keeps every IAM write on the account's other roles
    (it can give a role it creates and assumes anything), so it stays administrator; the same Deny on every
    role (Resource "*") is a cap and cuts it (test_denying_both_self_writes_is_the_limit)."""
    protect = doc({"Sid": "ProtectSecurityRole", "Effect": "Deny",
                   "Action": ["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:DeleteRole"],
                   "Resource": "arn:aws:iam::*:role/OrgAdmin"})
    t = table(tmp_path, {"Protect": (protect, ["ou-work"])})
    assert t.loc["OrgAdmin", "is_admin"] and t.loc["OrgAdmin", "scp"].startswith("protect it from modification")
    assert "SCP Protect at OU Workloads, statement 1 (Sid ProtectSecurityRole)" in t.loc["OrgAdmin", "scp"]
    assert t.loc["boss", "scp"].startswith("leave it its own permissions")


def test_allow_list_scp_without_iam_cuts_at_its_level(tmp_path):
    t = table(tmp_path, {"AllowS3": (allow("s3:*"), ["ou-work"])}, full_on=("r-root", "ou-prod", ACCT))
    assert not t.loc["boss", "is_admin"]
    cut = t.loc["boss", "cut_by"]
    assert "no SCP at OU Workloads allows iam:AttachRolePolicy" in cut and "(attached there: AllowS3)" in cut


def test_exempted_admin_role_keeps_admin_the_other_does_not(tmp_path):
    exempt = deny("iam:*", "NoIamButOrgAdmin",
                  Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}})
    t = table(tmp_path, {"Exempt": (exempt, ["r-root"])})
    assert t.loc["OrgAdmin", "is_admin"]
    assert not t.loc["boss", "is_admin"] and "SCP Exempt at root r-root" in t.loc["boss", "cut_by"]


@pytest.mark.parametrize("where", ["ou-work", ACCT])
def test_a_deny_at_any_level_counts(tmp_path, where):
    t = table(tmp_path, {"DenyIam": (DENY_IAM, [where])})
    label = "OU Workloads" if where == "ou-work" else f"account {ACCT}"
    assert not t.loc["boss", "is_admin"] and f"at {label}" in t.loc["boss", "cut_by"]


def test_chain_is_anded_an_allow_missing_at_the_account_level_denies(tmp_path):
    t = table(tmp_path, {}, full_on=("r-root", "ou-work", "ou-prod"))  # nothing attached to the account itself
    assert not t.loc["boss", "is_admin"] and f"no SCP at account {ACCT} allows" in t.loc["boss", "cut_by"]
    assert "(attached there: no SCP)" in t.loc["boss", "cut_by"]


def test_notaction_deny_cuts(tmp_path):
    t = table(tmp_path, {"OnlyS3": (deny("s3:*", not_action=True), ["ou-prod"])})
    assert not t.loc["boss", "is_admin"] and "SCP OnlyS3 at OU Prod" in t.loc["boss", "cut_by"]


def test_management_account_ignores_scps(tmp_path):
    t = table(tmp_path, {"DenyIam": (DENY_IAM, ["r-root", MGMT])}, account=MGMT)
    assert t.loc["boss", "is_admin"] and "management account" in t.loc["boss", "scp"]


def test_service_linked_role_ignores_scps(tmp_path):
    files = account_files()
    files["iam/authorization_details.json"]["RoleDetailList"].append(
        role("AWSServiceRoleForX", {"Effect": "Allow", "Principal": {"Service": "x.amazonaws.com"},
                                    "Action": "sts:AssumeRole"}, path="/aws-service-role/x.amazonaws.com/",
             attached=[ADMIN]))
    t = table(tmp_path, {"DenyIam": (DENY_IAM, ["r-root"])}, files=files)
    assert t.loc["AWSServiceRoleForX", "is_admin"] and "service-linked" in t.loc["AWSServiceRoleForX", "scp"]
    assert not t.loc["boss", "is_admin"]


def test_no_organization_evidence_decides_on_own_policies_and_says_so(tmp_path):
    t = table(tmp_path, None)
    assert t.loc["boss", "is_admin"] and t.loc["boss", "scp"].startswith("not in evidence")


@pytest.mark.parametrize("drop", ["organizations/policies.json", "organizations/targets.json"])
def test_unreadable_scp_chain_is_an_error_not_a_no(tmp_path, drop):
    t = table(tmp_path, {"DenyIam": (DENY_IAM, ["ou-prod"])}, drop=(drop,))
    assert not t.loc["boss", "is_admin"] and "SCP chain of account" in t.loc["boss", "error"]
    assert t.loc["boss", "policies"]  # its own policies do make it administrator: named


def test_malformed_scp_is_an_error(tmp_path):
    t = table(tmp_path, {"Broken": ('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]}', ["ou-prod"])})
    assert not t.loc["boss", "is_admin"] and "malformed" in t.loc["boss", "error"]


def test_a_deny_the_evidence_cannot_decide_counts_as_administrator_with_a_note(tmp_path):
    """aws:RequestedRegion is not in an IAM request's evidence: the Deny may or may not apply, and an unknown
    never hides an administrator."""
    regions = deny("*", "Regions", Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}})
    t = table(tmp_path, {"Regions": (regions, ["ou-prod"])})
    assert t.loc["boss", "is_admin"] and "aws:requestedregion" in t.loc["boss", "scp"].lower()


def test_own_deny_on_its_own_arn_is_no_scp_cut(tmp_path):
    files = account_files()
    self_lock = managed(f"arn:aws:iam::{ACCT}:policy/self-lock", doc({
        "Effect": "Deny", "Action": ["iam:AttachRolePolicy", "iam:PutRolePolicy"],
        "Resource": f"arn:aws:iam::{ACCT}:role/boss"}))
    g = files["iam/authorization_details.json"]
    g["Policies"].append(self_lock)
    g["RoleDetailList"][0]["AttachedManagedPolicies"].append({"PolicyName": "self-lock",
                                                              "PolicyArn": self_lock["Arn"]})
    t = table(tmp_path, {})
    assert t.loc["boss", "is_admin"]  # the same verdict as without organization evidence
    assert table(tmp_path / "none", None, files=files).loc["boss", "is_admin"]


# -- users ---------------------------------------------------------------------------------------------------------
def test_user_admin_through_group_is_cut_by_deny_iam(tmp_path):
    t = table(tmp_path, {"DenyIam": (DENY_IAM, ["ou-prod"])})
    assert not t.loc["ann", "is_admin"] and "SCP DenyIam at OU Prod" in t.loc["ann", "cut_by"]
    assert "iam:PutGroupPolicy on arn:aws:iam::111122223333:group/admins" in t.loc["ann", "cut_by"]


def test_user_keeps_admin_through_its_group_policy(tmp_path):
    own = deny(["iam:AttachUserPolicy", "iam:PutUserPolicy"])  # its own ARN locked, its group's policies not
    t = table(tmp_path / "own", {"LockUsers": (own, ["ou-prod"])})
    assert t.loc["ann", "is_admin"] and "group/admins" in t.loc["ann", "scp"]
    both = deny(["iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachGroupPolicy", "iam:PutGroupPolicy"])
    t = table(tmp_path / "both", {"LockAll": (both, ["ou-prod"])})
    assert not t.loc["ann", "is_admin"]


def test_protecting_the_user_itself_only_leaves_it_administrator(tmp_path):
    mine = [f"arn:aws:iam::{ACCT}:user/ann", f"arn:aws:iam::{ACCT}:group/admins"]
    protect = doc({"Effect": "Deny", "Resource": mine, "Action": [
        "iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachGroupPolicy", "iam:PutGroupPolicy"]})
    t = table(tmp_path, {"ProtectAnn": (protect, ["ou-prod"])})
    assert t.loc["ann", "is_admin"] and "other users" in t.loc["ann", "scp"]


def _mfa(tmp_path: Path, scps: dict) -> dict[str, Status]:
    files = {**account_files(), "iam/credential_report.csv": h.cred_report(h.cred_row("<root_account>"),
                                                                         h.cred_row("ann", password=True))}
    found = run(tmp_path / "run", files, "iam.user.privileged_without_mfa", org=org_bundle(tmp_path, scps))
    return {f.resource_arn.rsplit("/", 1)[-1]: f.status for f in found}


def test_privileged_without_mfa_follows_the_scp_cut(tmp_path):
    assert _mfa(tmp_path / "cut", {"DenyIam": (DENY_IAM, ["ou-prod"])}) == {}  # not an administrator: no finding
    assert _mfa(tmp_path / "guard", {"Guardrail": (GUARDRAIL, ["ou-work"])}) == {"ann": Status.FAIL}
    assert _mfa(tmp_path / "broken", {"DenyIam": (DENY_IAM, ["ou-prod"])} | {
        "Broken": ('{"Statement": 3}', ["ou-work"])}) == {"ann": Status.ERROR}


def test_full_admin_attached_names_the_scp_cut(tmp_path):
    found = run(tmp_path / "run", account_files(), "iam.policy.full_admin_attached",
                org=org_bundle(tmp_path, {"Exempt": (deny("iam:*", Condition={"ArnNotLike": {
                    "aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}}), ["ou-work"])}))
    admin = next(f for f in found if f.resource_arn == ADMIN)
    assert admin.status == Status.FAIL
    assert "Effective administrators through it: OrgAdmin." in admin.detail
    assert "boss (the SCP chain takes away" in admin.detail and "ann (the SCP chain" in admin.detail


def test_principals_command_reports_the_scp_notion(tmp_path, capsys):
    """``iamkit principals EVIDENCE_DIR --org-evidence DIR --json``: admin, admin_via and what the SCPs did."""
    from iamkit.cli import main

    acct = write_bundle(tmp_path / "ev" / ACCT, account_files())
    exempt = deny("iam:*", "NoIamButOrgAdmin",
                  Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}})
    org = org_bundle(tmp_path, {"Exempt": (exempt, ["ou-work"])})
    assert main(["principals", str(acct), "--org-evidence", str(org), "--json"]) == 0
    got = {r["arn"].rsplit("/", 1)[-1]: r for r in json.loads(capsys.readouterr().out)}
    assert got["OrgAdmin"]["admin"] is True and got["OrgAdmin"]["admin_via"] == "direct"
    assert got["OrgAdmin"]["scp"].startswith("leave it its own permissions")
    boss = got["boss"]
    assert boss["admin"] is False and boss["scp"].startswith("cut") and "SCP Exempt at OU Workloads" in boss["cut_by"]
    # the SCP denies only iam:*: it can still assume administrator role OrgAdmin (sts-001), so it escalates
    assert boss["admin_via"] == "escalation" and "sts-001" in {m["method"] for m in boss["escalation"]}
    assert main(["principals", str(acct), "--json"]) == 0  # no organization evidence: SCPs unknown
    alone = {r["arn"].rsplit("/", 1)[-1]: r for r in json.loads(capsys.readouterr().out)}
    assert alone["boss"]["admin"] is True and alone["boss"]["scp"].startswith("not in evidence")
    assert main(["principals", str(acct), "--org-evidence", str(org)]) == 0  # the text form says it too
    lines = {line.split()[1].rsplit("/", 1)[-1]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["boss"].endswith("[SCP cut]") and lines["OrgAdmin"].startswith("ADMIN")
