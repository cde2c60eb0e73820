"""iam.principal.privilege_escalation judges each principal on its own evidence: a policy missing from GAAD makes
that principal's finding an ERROR (with why), never the whole account's, and a principal that can only be shown
to become such a role is an ERROR too (it might be an administrator); the others keep their verdicts."""

from __future__ import annotations

import json

from iamkit.findings import Status
from tests.checks.helpers import ACCT, allow, gaad, managed, role, run, user

CHECK = "iam.principal.privilege_escalation"
GONE = f"arn:aws:iam::{ACCT}:policy/gone"  # attached, but GetAccountAuthorizationDetails did not return it
ESCALATE = f"arn:aws:iam::{ACCT}:policy/escalate"  # iam:CreatePolicyVersion on a customer policy: iam-001
READ = f"arn:aws:iam::{ACCT}:policy/read"
ASSUME_GHOST = f"arn:aws:iam::{ACCT}:policy/assume-ghost"
TRUST = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}


def _found(tmp_path, users, roles=()):  # noqa: ANN001, ANN202
    policies = [managed(ESCALATE, allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCT}:policy/*")),
                managed(READ, allow(["s3:GetObject"])),
                managed(ASSUME_GHOST, allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/ghost"))]
    files = {"iam/authorization_details.json": gaad(users=users, roles=roles, policies=policies)}
    return {f.resource_arn.rsplit("/", 1)[-1]: f for f in run(tmp_path, files, CHECK)}


def test_a_missing_policy_is_an_error_for_its_principal_only(tmp_path):
    got = _found(tmp_path, [user("lost", attached=[GONE]), user("esc", attached=[ESCALATE]),
                            user("reader", attached=[READ])])
    assert got["lost"].status == Status.ERROR
    assert "policy/gone" in got["lost"].detail and "lost" in got["lost"].detail
    assert got["esc"].status == Status.FAIL and "iam-001" in got["esc"].detail
    assert got["reader"].status == Status.PASS
    assert got["lost"].resource_arn == f"arn:aws:iam::{ACCT}:user/lost"


def test_becoming_a_role_whose_permissions_are_unknown_is_an_error_not_a_pass(tmp_path):
    ghost = role("ghost", TRUST, attached=[GONE])
    got = _found(tmp_path, [user("hopper", attached=[ASSUME_GHOST]), user("reader", attached=[READ])], [ghost])
    assert got["ghost"].status == Status.ERROR
    assert got["hopper"].status == Status.ERROR and "can become ghost" in got["hopper"].detail.replace(
        f"arn:aws:iam::{ACCT}:role/", "")
    assert got["reader"].status == Status.PASS  # cannot assume ghost: judged as usual


def test_a_malformed_inline_policy_is_an_error_for_its_principal_only(tmp_path):
    bad = user("bad", inline={"x": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 7,
                                                                            "Resource": "*"}]}})
    got = _found(tmp_path, [bad, user("esc", attached=[ESCALATE])])
    assert got["bad"].status == Status.ERROR and "malformed" in got["bad"].detail
    assert got["esc"].status == Status.FAIL
    assert json.dumps(sorted(got)) == json.dumps(["bad", "esc"])
