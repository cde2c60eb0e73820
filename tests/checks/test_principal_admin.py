"""The per-principal effective-administrator table (checks.privilege.principal_admin, from iamkit.admins) that
the MFA, full-admin and reach checks and the notebooks read: every user and role, decided by the evaluator on
its own identity policies (incl. its groups') and its permissions boundary (IAM User Guide, "Policy evaluation
logic": an explicit Deny in any policy wins; a boundary caps what identity policies allow)."""

from __future__ import annotations

import pytest

from iamkit.checks.privilege import policy_verdicts, principal_admin
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.model import AccountModel
from iamkit.policy.escalation import ADMIN_PROBES
from tests.checks.helpers import (
    ACCT,
    allow,
    cred_report,
    cred_row,
    gaad,
    group,
    managed,
    role,
    run,
    user,
    write_bundle,
)

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ = f"arn:aws:iam::{ACCT}:policy/read"
GONE = "arn:aws:iam::aws:policy/Gone"
NO_IAM = f"arn:aws:iam::{ACCT}:policy/no-iam"  # a Deny in ANOTHER policy than the admin Allow
NO_PASS = f"arn:aws:iam::{ACCT}:policy/no-passrole"
PORTAL = f"arn:aws:iam::{ACCT}:policy/no-portal"
B_S3 = f"arn:aws:iam::{ACCT}:policy/boundary-s3"
B_ALL = f"arn:aws:iam::{ACCT}:policy/boundary-all"
B_PROBES = f"arn:aws:iam::{ACCT}:policy/boundary-probes"  # exactly the admin probes: the limit
B_MINUS1 = f"arn:aws:iam::{ACCT}:policy/boundary-probes-minus-one"  # one probe short: limit - 1
POWER = f"arn:aws:iam::{ACCT}:policy/power"  # Allow NotAction iam:* (PowerUser-like)
TRICK = f"arn:aws:iam::{ACCT}:policy/trick"  # Allow NotAction iam:ChangePassword
TRUST = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
ACCOUNT_TRUST = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}


def deny(action):  # noqa: ANN001, ANN201
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}]}


def bounded(u: dict, boundary: str) -> dict:
    return {**u, "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}}


def not_action(*actions: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": list(actions), "Resource": "*"}]}


POLICIES = [managed(ADMIN, allow()), managed(READ, allow("s3:GetObject")), managed(NO_IAM, deny("iam:*")),
            managed(NO_PASS, deny("iam:PassRole")), managed(PORTAL, deny("aws-portal:*")),
            managed(B_S3, allow("s3:*")), managed(B_ALL, allow()), managed(B_PROBES, allow(list(ADMIN_PROBES))),
            managed(B_MINUS1, allow(list(ADMIN_PROBES[:-1]))), managed(POWER, not_action("iam:*")),
            managed(TRICK, not_action("iam:ChangePassword"))]


@pytest.fixture
def files():
    doc = gaad(
        users=[user("ann", groups=["admins"]), user("bob", attached=[READ]), user("cid", inline={"all": allow()}),
               user("dan", attached=[GONE]), user("eve"), user("fay", groups=["admins"], attached=[GONE]),
               user("gil", attached=[ADMIN, NO_IAM]), user("gus", groups=["admins"], attached=[NO_PASS]),
               bounded(user("hal", attached=[ADMIN]), B_S3), bounded(user("ivy", attached=[ADMIN]), B_ALL),
               bounded(user("jay", attached=[ADMIN]), B_PROBES), bounded(user("kay", attached=[ADMIN]), B_MINUS1),
               user("jon", attached=[POWER]), user("kim", attached=[TRICK]), user("lee", attached=[ADMIN, PORTAL])],
        groups=[group("admins", attached=[ADMIN]), group("readers", inline={"r": allow("s3:Get*")})],
        roles=[role("ops", TRUST, attached=[ADMIN]), role("adm", ACCOUNT_TRUST, attached=[ADMIN]),
               role("app", TRUST, inline={"bad": {
                   "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 42, "Resource": "*"}]}})],
        policies=POLICIES)
    return {"iam/authorization_details.json": doc}


@pytest.fixture
def table(tmp_path, files):
    model = AccountModel(Bundle(write_bundle(tmp_path, files)))
    return principal_admin(model).set_index("principal_name"), model


def test_every_user_and_role_has_one_row_with_its_type(table):
    t, _ = table
    assert sorted(t.index) == sorted(["ann", "bob", "cid", "dan", "eve", "fay", "gil", "gus", "hal", "ivy", "jay",
                                      "kay", "jon", "kim", "lee", "ops", "adm", "app"])
    assert t.loc["ann", "principal_type"] == "user" and t.loc["ops", "principal_type"] == "role"
    assert t.loc["ann", "principal_arn"] == f"arn:aws:iam::{ACCT}:user/ann"


def test_verdicts(table):
    t, _ = table
    assert {n for n in t.index if t.loc[n, "is_admin"]} == {"ann", "cid", "ivy", "jay", "kim", "lee", "ops", "adm"}
    assert t.loc["ann", "how"] == "group admins" and t.loc["cid", "how"] == "direct"
    assert t.loc["ann", "policies"] == ["AdministratorAccess (group admins)"]
    assert t.loc["cid", "policies"] == ["all (inline)"] and t.loc["bob", "policies"] == []


def test_a_deny_in_another_policy_cuts_admin(table):
    t, _ = table
    for name, policy in (("gil", "no-iam"), ("gus", "no-passrole")):  # the whole service / one probe
        assert not t.loc[name, "is_admin"] and policy in t.loc[name, "cut_by"] and "Deny" in t.loc[name, "cut_by"]
    assert t.loc["lee", "is_admin"]  # a Deny on an unrelated service (aws-portal) leaves an administrator one


def test_a_permissions_boundary_caps_admin_at_the_limit(table):
    t, _ = table
    assert not t.loc["hal", "is_admin"] and "boundary" in t.loc["hal", "cut_by"]  # boundary s3:* only
    assert t.loc["hal", "boundary"] == "boundary-s3"
    assert not t.loc["kay", "is_admin"] and "boundary" in t.loc["kay", "cut_by"]  # limit - 1: one probe short
    assert t.loc["jay", "is_admin"] and t.loc["ivy", "is_admin"]  # limit (exactly the probes) and above


def test_notaction_forms_are_judged_by_evaluation(table):
    t, _ = table
    assert t.loc["kim", "is_admin"]  # Allow NotAction iam:ChangePassword: everything else, IAM writes included
    assert not t.loc["jon", "is_admin"] and t.loc["jon", "cut_by"] == ""  # NotAction iam:* names no IAM write


def test_missing_and_malformed_policies_are_errors(table):
    t, _ = table
    assert "Gone" in t.loc["dan", "error"] and not t.loc["dan", "is_admin"]
    # the missing policy could hold a Deny: unknown, never a guess either way
    assert "Gone" in t.loc["fay", "error"] and not t.loc["fay", "is_admin"]
    assert "malformed" in t.loc["app", "error"] and not t.loc["app", "is_admin"]
    assert all(t.loc[n, "error"] == "" for n in ("ann", "bob", "cid", "eve", "gil", "hal", "ops"))


def test_policy_verdicts_judge_each_document_alone(table):
    _, model = table
    v = policy_verdicts(model).set_index("arn")
    assert bool(v.loc[ADMIN, "full_star"]) and bool(v.loc[ADMIN, "admin_equivalent"]) and v.loc[ADMIN, "error"] == ""
    assert not v.loc[READ, "full_star"] and not v.loc[READ, "admin_equivalent"]
    assert bool(v.loc[TRICK, "admin_equivalent"]) and not v.loc[TRICK, "full_star"]  # CIS's literal test misses it
    assert not v.loc[POWER, "admin_equivalent"] and not v.loc[B_MINUS1, "admin_equivalent"]
    assert bool(v.loc[B_PROBES, "admin_equivalent"])


def test_privileged_without_mfa_reports_only_effective_administrators(tmp_path, files):
    names = ["ann", "bob", "cid", "eve", "gil", "gus", "hal", "ivy", "jay", "kay", "jon", "kim", "lee"]
    files = {**files, "iam/credential_report.csv": cred_report(cred_row("<root_account>"), *(
        cred_row(n, password=True) for n in names + ["dan", "fay"]))}
    got = {f.resource_arn.rsplit("/", 1)[-1]: f.status for f in run(tmp_path, files, "iam.user.privileged_without_mfa")}
    assert got == {"ann": Status.FAIL, "cid": Status.FAIL, "ivy": Status.FAIL, "jay": Status.FAIL, "kim": Status.FAIL,
                   "lee": Status.FAIL, "dan": Status.ERROR, "fay": Status.ERROR}


def test_full_admin_attached_names_effective_and_cut_holders(tmp_path, files):
    found = {f.resource_arn: f for f in run(tmp_path, files, "iam.policy.full_admin_attached")}
    admin = found[ADMIN]
    assert admin.status == Status.FAIL  # CIS 2.14 / FSBP IAM.1 judge the attached policy itself
    effective = admin.detail.split("Effective administrators through it: ")[1].split(".")[0]
    assert set(effective.split(", ")) == {"ann", "ivy", "jay", "lee", "ops", "adm"}
    cut = admin.detail.split("Not administrators despite it: ")[1]
    assert "gil (explicit Deny" in cut and "hal (the permissions boundary" in cut and "kay (" in cut
    assert found[TRICK].status == Status.FAIL and "evaluated" in found[TRICK].detail
    assert found[POWER].status == Status.PASS  # NotAction iam:*: not full admin (escalation judges the rest)
    assert found[f"arn:aws:iam::{ACCT}:user/cid"].status == Status.FAIL


def test_notaction_iam_is_not_admin_but_escalates_through_an_admin_role(tmp_path, files):
    """Allow NotAction iam:* is no administrator (no IAM write), but it allows sts:AssumeRole on role adm,
    which trusts the account, and the service actions of catalogued methods: the escalation check FAILs it."""
    doc = files["iam/authorization_details.json"]
    keep = {"dan", "fay", "app"}  # (a missing or malformed policy makes the escalation check an account ERROR)
    files = {"iam/authorization_details.json": {
        **doc, "UserDetailList": [u for u in doc["UserDetailList"] if u["UserName"] not in keep],
        "RoleDetailList": [r for r in doc["RoleDetailList"] if r["RoleName"] not in keep]}}
    got = {f.resource_arn.rsplit("/", 1)[-1]: f for f in run(tmp_path, files, "iam.principal.privilege_escalation")}
    assert got["jon"].status == Status.FAIL and "can escalate" in got["jon"].detail
    assert got["gil"].status != Status.NOT_APPLICABLE  # not an administrator: judged for escalation
    assert got["ann"].status == Status.NOT_APPLICABLE  # an administrator
