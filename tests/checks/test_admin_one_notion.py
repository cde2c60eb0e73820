"""One administrator notion for IAM users/roles and IAM Identity Center permission sets (iamkit.admins.judge_admin).

An Identity Center permission set is "admin" in an account exactly when an IAM role of that account holding the
same policies and boundary would be an effective administrator under the account's SCP chain: both paths call the
same function, asked as the role the permission set becomes there (AWSReservedSSO_<name>_<suffix>).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import iamkit.admins
from iamkit.checks import assess_account
from iamkit.checks.privilege import principal_admin
from iamkit.evidence import Bundle
from iamkit.identity_center import permission_set_access
from iamkit.model import AccountModel, OrgModel
from iamkit.settings import load_settings
from tests import identity_center_fixtures as icf
from tests.checks.helpers import ACCT, allow, gaad, managed, role, write_bundle
from tests.checks.test_admin_scp import DENY_IAM, GUARDRAIL, LEVELS, TRUST, deny, doc, org_bundle

ADMIN = allow()
REGIONS = deny("*", "Regions", Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}})
#: (case, identity documents, boundary document, SCPs {name: (document, targets)}, FullAWSAccess levels, admin)
CASES = [
    ("AdministratorAccess, FullAWSAccess only", [ADMIN], None, {}, LEVELS, True),
    ("guardrail: no users, no access keys", [ADMIN], None, {"G": (GUARDRAIL, ["ou-work"])}, LEVELS, True),
    ("SCP Deny iam:*", [ADMIN], None, {"D": (DENY_IAM, ["ou-prod"])}, LEVELS, False),
    ("SCP Deny Attach+PutRolePolicy (limit)", [ADMIN], None,
     {"L": (deny(["iam:AttachRolePolicy", "iam:PutRolePolicy"]), [ACCT])}, LEVELS, False),
    ("SCP Deny AttachRolePolicy only (limit - 1)", [ADMIN], None, {"L": (deny("iam:AttachRolePolicy"), [ACCT])},
     LEVELS, True),
    ("allow-list SCP s3:* at an OU", [ADMIN], None, {"S3": (allow("s3:*"), ["ou-work"])},
     ("r-root", "ou-prod", ACCT), False),
    ("SCP Deny NotAction s3:*", [ADMIN], None, {"N": (deny("s3:*", not_action=True), ["r-root"])}, LEVELS, False),
    ("SCP Deny the evidence cannot decide", [ADMIN], None, {"R": (REGIONS, ["ou-prod"])}, LEVELS, True),
    ("own Deny iam:CreateUser", [ADMIN, deny("iam:CreateUser")], None, {}, LEVELS, False),
    ("Allow NotAction iam:*", [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})], None, {}, LEVELS,
     False),
    ("Allow iam:* only", [allow("iam:*")], None, {}, LEVELS, True),
    ("boundary s3:*", [ADMIN], allow("s3:*"), {}, LEVELS, False),
    ("boundary iam:*", [ADMIN], allow("iam:*"), {}, LEVELS, True),
]


def _policy(i: int) -> str:
    return f"arn:aws:iam::{ACCT}:policy/p{i}"


def _both(root: Path, identity: list[dict], boundary: dict | None, scps: dict, full_on: tuple) -> tuple[bool, str]:
    """(role 'subject' is administrator, level of a permission set with the same policies) in ACCT."""
    n = len(identity)
    pols = [managed(_policy(i), d) for i, d in enumerate(identity)]
    subject = role("subject", TRUST, attached=[_policy(i) for i in range(n)])
    if boundary is not None:
        pols.append(managed(_policy(n), boundary))
        subject["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": _policy(n)}
    bundle = Bundle(write_bundle(root / "acct", {"iam/authorization_details.json": gaad(roles=[subject],
                                                                                        policies=pols)}))
    org = OrgModel(Bundle(org_bundle(root, scps, full_on=full_on)))
    acct = AccountModel(bundle, org=org)
    row = {"name": "Subject", "inline": None, "inline_error": "", "managed_arns": [],
           "customer_refs": [("/", f"p{i}") for i in range(n)],
           "boundary": {"CustomerManagedPolicyReference": {"Name": f"p{n}", "Path": "/"}} if boundary else None}
    is_admin = bool(principal_admin(acct, org).set_index("principal_name").loc["subject", "is_admin"])
    return is_admin, permission_set_access(row, ACCT, acct, org).level


@pytest.mark.parametrize(("case", "identity", "boundary", "scps", "full_on", "admin"), CASES,
                         ids=[c[0] for c in CASES])
def test_roles_and_permission_sets_agree(tmp_path, monkeypatch, case, identity, boundary, scps, full_on, admin):
    asked: list[str] = []
    judge = iamkit.admins.judge_admin

    def spy(ask_own, writes, org, principal_arn, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        asked.append(principal_arn)
        return judge(ask_own, writes, org, principal_arn, *args, **kw)

    monkeypatch.setattr(iamkit.admins, "judge_admin", spy)
    role_admin, level = _both(tmp_path, identity, boundary, scps, full_on)
    assert role_admin is admin, case
    assert (level == "admin") is admin, (case, level)
    # the same function decided both: for the IAM role and for the role the permission set becomes
    assert f"arn:aws:iam::{ACCT}:role/subject" in asked
    assert f"arn:aws:iam::{ACCT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Subject_{'0' * 16}" in asked


def test_the_real_provisioned_role_arn_is_asked(tmp_path):
    """An SCP exempting exactly the provisioned role (its real suffix) keeps the permission set admin: the role's
    ARN comes from the account's GAAD, not the stand-in."""
    real = icf.sso_role(ACCT, "Subject", [icf.ADMIN_ARN])
    exempt = deny("iam:*", Condition={"ArnNotLike": {"aws:PrincipalArn": real["Arn"]}})
    bundle = Bundle(write_bundle(tmp_path / "acct", {"iam/authorization_details.json": gaad(
        roles=[real], policies=[icf.admin_policy()])}))
    org = OrgModel(Bundle(org_bundle(tmp_path, {"Exempt": (exempt, ["ou-prod"])})))
    acct = AccountModel(bundle, org=org)
    row = {"name": "Subject", "inline": None, "inline_error": "", "managed_arns": [icf.ADMIN_ARN],
           "customer_refs": [], "boundary": None}
    assert permission_set_access(row, ACCT, acct, org).level == "admin"
    other = {**row, "name": "Other"}  # no role of it in the GAAD: the stand-in ARN is not exempt
    assert permission_set_access(other, ACCT, acct, org).level != "admin"


def _sso_admin_status(tmp_path: Path, scp: dict) -> str:
    """sso.permission_set.admin for AdministratorAccess assigned in member B (OU Locked, ``scp`` attached)."""
    files = icf.org_files()
    files["organizations/policies.json"]["Policies"][1]["Content"] = json.dumps(scp)
    ic = icf.identity_center([icf.ps("Admins", managed_arns=[icf.ADMIN_ARN], accounts=[icf.B])],
                             [(icf.B, "Admins", "USER", "bob")], users=["bob"])
    org = icf.write_org(tmp_path, {**ic, "organizations/policies.json": files["organizations/policies.json"]})
    acct = icf.write_account(tmp_path, icf.B, policies=[icf.admin_policy()],
                             roles=[icf.sso_role(icf.B, "Admins", [icf.ADMIN_ARN])])
    found = [f for f in assess_account(Bundle(acct), load_settings(), Bundle(org))
             if f.check_id == "sso.permission_set.admin"]
    assert len(found) == 1, found
    return found[0].status.value


def test_permission_set_admin_check_follows_the_scp_notion(tmp_path):
    assert _sso_admin_status(tmp_path / "deny", DENY_IAM) == "PASS"  # Deny iam:*: not admin in B
    assert _sso_admin_status(tmp_path / "guard", GUARDRAIL) == "FAIL"  # a guardrail leaves it admin
