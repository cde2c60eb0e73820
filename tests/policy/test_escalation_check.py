"""``iam.principal.privilege_escalation`` on bundles built in the test: each verdict, and each way a method is
taken away (a Deny in another policy, a permissions boundary, an SCP, a condition that cannot hold) or put
together (actions from two policies)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from iamkit.checks import assess_account
from iamkit.evidence import Bundle, BundleWriter
from iamkit.settings import load_settings

ACCT, MGMT = "111122223333", "999988887777"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CHECK = "iam.principal.privilege_escalation"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def managed(name, document):
    return {"PolicyName": name, "Arn": f"arn:aws:iam::{ACCT}:policy/{name}", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]}


def user(name, *policies, boundary=None):
    u = {"UserName": name, "Arn": f"arn:aws:iam::{ACCT}:user/{name}", "UserId": f"AIDA{name.upper()}", "Path": "/",
         "GroupList": [], "UserPolicyList": [],
         "AttachedManagedPolicies": [{"PolicyName": p, "PolicyArn": f"arn:aws:iam::{ACCT}:policy/{p}"}
                                     for p in policies]}
    if boundary:
        u["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                    "PermissionsBoundaryArn": f"arn:aws:iam::{ACCT}:policy/{boundary}"}
    return u


def role(name, trust, *policies, path="/"):
    return {"RoleName": name, "Arn": f"arn:aws:iam::{ACCT}:role{path}{name}", "RoleId": f"AROA{name.upper()}",
            "Path": path, "AssumeRolePolicyDocument": doc({"Effect": "Allow", "Principal": trust,
                                                           "Action": "sts:AssumeRole"}),
            "RolePolicyList": [], "AttachedManagedPolicies": [
                {"PolicyName": p, "PolicyArn": f"arn:aws:iam::{ACCT}:policy/{p}"} for p in policies]}


POLICIES = [
    managed("CreateVersion", doc(allow("iam:CreatePolicyVersion"))),
    managed("DenyIamWrites", doc({"Effect": "Deny", "Action": "iam:Create*", "Resource": "*"})),
    managed("OnlyS3", doc(allow("s3:*"))),
    managed("PassRole", doc(allow("iam:PassRole"))),
    managed("RunInstances", doc(allow("ec2:RunInstances"))),
    managed("OldTokensOnly", doc(allow("iam:CreatePolicyVersion", Condition={
        "DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}))),
    managed("Admin", doc(allow("*"))),
    managed("AssumeAny", doc(allow("sts:AssumeRole"))),
]
GAAD = {
    "UserDetailList": [user("direct", "CreateVersion"), user("denied", "CreateVersion", "DenyIamWrites"),
                       user("bounded", "CreateVersion", boundary="OnlyS3"), user("split", "PassRole", "RunInstances"),
                       user("old-tokens", "OldTokensOnly"), user("reader", "OnlyS3"), user("boss", "Admin"),
                       user("hopper", "AssumeAny")],
    "GroupDetailList": [],
    "RoleDetailList": [role("ec2-admin", {"Service": "ec2.amazonaws.com"}, "Admin"),
                       role("jump", {"AWS": f"arn:aws:iam::{ACCT}:root"}, "CreateVersion"),
                       role("AWSServiceRoleForSupport", {"Service": "support.amazonaws.com"}, "CreateVersion",
                            path="/aws-service-role/support.amazonaws.com/")],
    "Policies": POLICIES,
}


def _write(path, account, files, scope="account", extra=None):
    w = BundleWriter(path, account_id=account, scope=scope)
    for rel, content in files.items():
        w.write_json(rel, content)
    return w.finish(caller_identity={"Account": account, "Arn": f"arn:aws:iam::{account}:user/a", "UserId": "A"},
                    regions=["us-east-1"], collected_at=NOW, extra=extra)


def _org(tmp_path, scp):
    full = {"Id": "p-full", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}
    guard = {"Id": "p-guard", "Name": "NoPolicyVersions", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False}
    files = {
        "organizations/organization.json": {"Organization": {"Id": "o-abc", "MasterAccountId": MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": {"OrganizationalUnits": [{"Id": "ou-w", "Name": "Workloads", "ParentId": "r-root"}]},
        "organizations/accounts.json": {"Accounts": [{"Id": MGMT, "Name": "m", "Status": "ACTIVE"},
                                                     {"Id": ACCT, "Name": "a", "Status": "ACTIVE"}],
                                        "Parents": {MGMT: "r-root", ACCT: "ou-w"}},
        "organizations/policies.json": {"Policies": [
            {"PolicySummary": full, "Content": json.dumps(doc(allow("*")))},
            {"PolicySummary": guard, "Content": json.dumps(doc(allow("*"), {
                "Effect": "Deny", "Action": "iam:CreatePolicyVersion", "Resource": "*"}))}]},
        "organizations/targets.json": {"p-full": [{"TargetId": "r-root", "Type": "ROOT"},  # at every level
                                                  {"TargetId": "ou-w", "Type": "ORGANIZATIONAL_UNIT"},
                                                  {"TargetId": ACCT, "Type": "ACCOUNT"}],
                                       "p-guard": [{"TargetId": "ou-w", "Type": "ORGANIZATIONAL_UNIT"}] if scp
                                       else []},
    }
    return Bundle(_write(tmp_path / "org", MGMT, files, scope="organization",
                         extra={"organization_id": "o-abc", "management_account_id": MGMT}))


def verdicts(tmp_path, scp=False):
    bundle = Bundle(_write(tmp_path / "acct", ACCT, {"iam/authorization_details.json": GAAD}))
    found = assess_account(bundle, load_settings([]), _org(tmp_path, scp))
    return {f.resource_arn.rsplit("/", 1)[-1]: f for f in found if f.check_id == CHECK}


@pytest.fixture
def found(tmp_path):
    return verdicts(tmp_path)


def test_verdicts(found):
    status = {name: f.status.value for name, f in found.items()}
    assert status == {
        "direct": "FAIL",  # CreatePolicyVersion on its own customer-managed policy
        "denied": "PASS",  # ... denied by iam:Create* in another policy
        "bounded": "PASS",  # ... outside its permissions boundary
        "split": "FAIL",  # iam:PassRole and ec2:RunInstances from two policies, a role trusting EC2 exists
        "old-tokens": "PASS",  # a condition on aws:TokenIssueTime that cannot hold any more
        "reader": "PASS",
        "boss": "NOT_APPLICABLE",  # already administrator
        "hopper": "FAIL",  # can assume jump (trust names the account), which escalates
        "ec2-admin": "NOT_APPLICABLE",
        "jump": "FAIL",
        "AWSServiceRoleForSupport": "NOT_APPLICABLE",  # service-linked
    }


def test_details_name_method_statement_and_chain(found):
    assert "iam-001 (iam:CreatePolicyVersion): iam:CreatePolicyVersion on arn:aws:iam::111122223333:policy/" in \
        found["direct"].detail
    assert "identity policy CreateVersion, statement 1" in found["direct"].detail
    assert "ec2-001" in found["split"].detail and "role/ec2-admin" in found["split"].detail
    assert "can become jump" in found["hopper"].detail
    assert found["direct"].evidence[0].locator == f"UserDetailList[Arn=arn:aws:iam::{ACCT}:user/direct]"


def test_an_scp_takes_the_method_away(tmp_path):
    status = {name: f.status.value for name, f in verdicts(tmp_path, scp=True).items()}
    assert status["direct"] == "PASS" and status["jump"] == "PASS" and status["hopper"] == "PASS"
    assert status["split"] == "FAIL"


def test_an_scp_on_an_admin_probe_leaves_an_administrator_an_administrator(tmp_path):
    """SCPs cap every principal of the account alike (IAM User Guide, SCP evaluation): a principal whose own
    policies allow every IAM write holds everything the organization lets anyone in the account hold, so an
    SCP denying one admin probe (iam:CreatePolicyVersion here) must not turn it into an escalation FAIL."""
    found = verdicts(tmp_path, scp=True)
    assert found["boss"].status.value == "NOT_APPLICABLE" and "already an administrator" in found["boss"].detail


def test_role_chains_per_principal_when_an_scp_condition_tells_principals_apart(tmp_path):
    """Principals with the same policies are asked once per role (iamkit.become._classes), but only while
    nothing tells them apart: an SCP denying sts:AssumeRole to principals tagged team=blocked (and one denying
    the root user by aws:PrincipalArn, as guardrails do) must cut the chain of the tagged user alone, whichever
    of them is asked first."""
    assume = managed("AssumeAny", doc(allow("sts:AssumeRole")))
    admin = managed("Admin", doc(allow("*")))
    users = [user(n, "AssumeAny") for n in ("a-blocked", "b-free", "c-free", "d-blocked")]
    for u in users:
        u["Tags"] = [{"Key": "team", "Value": "blocked" if "blocked" in u["UserName"] else "free"}]
    hop = managed("AssumeTop", doc(allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/top")))
    gaad = {"UserDetailList": users, "GroupDetailList": [], "Policies": [assume, admin, hop],
            "RoleDetailList": [role("top", {"AWS": f"arn:aws:iam::{ACCT}:role/mid"}, "Admin"),  # only mid gets in
                               role("mid", {"AWS": f"arn:aws:iam::{ACCT}:root"}, "AssumeTop")]}
    scp = doc(allow("*"), {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*",
                           "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blocked"}}},
              {"Effect": "Deny", "Action": "*", "Resource": "*",
               "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}})
    org = _org(tmp_path, scp=False)
    pols = org.path / "organizations" / "policies.json"
    data = json.loads(pols.read_text())
    data["Policies"][1]["Content"] = json.dumps(scp)
    targets = json.loads((org.path / "organizations" / "targets.json").read_text())
    targets["p-guard"] = [{"TargetId": "ou-w", "Type": "ORGANIZATIONAL_UNIT"}]
    org = Bundle(_write(tmp_path / "org2", MGMT, {
        **{f"organizations/{n}": json.loads((org.path / "organizations" / n).read_text())
           for n in ("organization.json", "roots.json", "ous.json", "accounts.json")},
        "organizations/policies.json": data, "organizations/targets.json": targets}, scope="organization",
        extra={"organization_id": "o-abc", "management_account_id": MGMT}))
    bundle = Bundle(_write(tmp_path / "acct", ACCT, {"iam/authorization_details.json": gaad}))
    got = {f.resource_arn.rsplit("/", 1)[-1]: f for f in assess_account(bundle, load_settings([]), org)
           if f.check_id == CHECK}
    assert {n: got[n].status.value for n in ("a-blocked", "b-free", "c-free", "d-blocked")} == {
        "a-blocked": "PASS", "b-free": "FAIL", "c-free": "FAIL", "d-blocked": "PASS"}
    assert "can become mid" in got["b-free"].detail and got["mid"].status.value == "FAIL"
