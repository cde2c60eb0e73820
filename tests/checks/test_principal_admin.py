"""The per-principal admin-equivalence table (checks.privilege.principal_admin) that MFA checks and the
notebooks read: every user, group and role, the policies that apply (a user's groups' included), what GAAD
lacks, and why a verdict is unknown."""

from __future__ import annotations

import pytest

from iamkit.checks.privilege import policy_verdicts, principal_admin
from iamkit.evidence import Bundle
from iamkit.model import AccountModel
from tests.checks.helpers import ACCT, allow, gaad, group, managed, role, user, write_bundle

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ = f"arn:aws:iam::{ACCT}:policy/read"
GONE = "arn:aws:iam::aws:policy/Gone"
TRUST = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


@pytest.fixture
def table(tmp_path):
    doc = gaad(
        users=[user("ann", groups=["admins"]), user("bob", attached=[READ]), user("cid", inline={"all": allow()}),
               user("dan", attached=[GONE]), user("eve"), user("fay", groups=["admins"], attached=[GONE])],
        groups=[group("admins", attached=[ADMIN]), group("readers", inline={"r": allow("s3:Get*")})],
        roles=[role("ops", TRUST, attached=[ADMIN]), role("app", TRUST, inline={"bad": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 42, "Resource": "*"}]}})],
        policies=[managed(ADMIN, allow()), managed(READ, allow("s3:GetObject"))])
    model = AccountModel(Bundle(write_bundle(tmp_path, {"iam/authorization_details.json": doc})))
    return principal_admin(model).set_index("principal_name"), model


def test_every_principal_has_one_row_with_its_type(table):
    t, _ = table
    assert sorted(t.index) == sorted(["ann", "bob", "cid", "dan", "eve", "fay", "admins", "readers", "ops", "app"])
    assert t.loc["ann", "principal_type"] == "user" and t.loc["admins", "principal_type"] == "group"
    assert t.loc["ops", "principal_type"] == "role"
    assert t.loc["ann", "principal_arn"] == f"arn:aws:iam::{ACCT}:user/ann"


def test_verdicts(table):
    t, _ = table
    assert {n for n in t.index if t.loc[n, "is_admin"]} == {"ann", "cid", "admins", "ops", "fay"}
    assert t.loc["ann", "policies"] == [f"admins/{ADMIN}"]  # inherited through the group, labelled so
    assert t.loc["bob", "policies"] == [READ] and t.loc["cid", "policies"] == ["inline:all"]
    assert t.loc["readers", "policies"] == ["inline:r"] and t.loc["eve", "policies"] == []


def test_missing_and_errors(table):
    t, _ = table
    assert t.loc["dan", "missing"] == [GONE] and not t.loc["dan", "is_admin"]
    assert "Gone" in t.loc["dan", "error"] and "authorization_details" in t.loc["dan", "error"]
    # admin through what GAAD has: the missing policy cannot take it away, so no error
    assert t.loc["fay", "missing"] == [GONE] and t.loc["fay", "error"] == ""
    assert "malformed" in t.loc["app", "error"] and not t.loc["app", "is_admin"]
    assert all(t.loc[n, "error"] == "" for n in ("ann", "bob", "cid", "eve", "admins", "readers", "ops"))
    assert all(t.loc[n, "missing"] == [] for n in ("ann", "bob", "cid", "eve"))


def test_policy_verdicts_columns(table):
    _, model = table
    v = policy_verdicts(model).set_index("arn")
    assert bool(v.loc[ADMIN, "full_star"]) and bool(v.loc[ADMIN, "admin_equivalent"]) and v.loc[ADMIN, "error"] == ""
    assert not v.loc[READ, "full_star"] and not v.loc[READ, "admin_equivalent"] and v.loc[READ, "error"] == ""
