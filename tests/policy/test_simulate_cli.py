"""``iamkit simulate``: both ways in (a request file, evidence bundles), the output forms and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from evalkit import ADMIN, allow, doc

from iamkit.cli import main
from iamkit.evidence import BundleWriter

MGMT, ACCT = "123456789012", "345678901234"
USER = f"arn:aws:iam::{ACCT}:user/dana"
ROLE = f"arn:aws:iam::{ACCT}:role/team/deploy"


def run(capsys, *argv):
    code = main(["simulate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, obj, name="req.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return path


def test_request_file_single_and_array(tmp_path, capsys):
    one = {"principal": USER, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_account": ACCT,
           "identity_policies": [ADMIN]}
    code, out, _ = run(capsys, "--request", str(write(tmp_path, one)), "--json")
    assert code == 0 and json.loads(out)["decision"] == "allowed"
    denied = dict(one, scps=[{"name": "OU Workloads", "policies": [{"name": "DenyS3", "document": doc(
        allow(), {"Effect": "Deny", "Action": "s3:*", "Resource": "*"})}]}])
    anonymous = {"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}
    code, out, _ = run(capsys, "--request", str(write(tmp_path, [one, denied, anonymous])), "--json")
    answers = json.loads(out)
    assert [a["decision"] for a in answers] == ["allowed", "explicit_deny", "implicit_deny"]
    assert answers[1]["statements"] == [{"policy_type": "scp", "policy": "DenyS3", "sid": None, "index": 2,
                                         "effect": "Deny", "level": "OU Workloads"}]
    assert set(answers[0]) == {"decision", "decided_by", "statements", "unresolved_conditions", "reason"}
    code, out, _ = run(capsys, "--request", str(write(tmp_path, [one, denied])))
    assert out.splitlines()[1] == "DENIED by SCP DenyS3 at OU Workloads, statement 2"
    assert out.splitlines()[0].startswith("ALLOWED")


@pytest.mark.parametrize("content,message", [
    ("{not json", "req.json: not valid JSON"),
    ("[]", "req.json: the request array is empty"),
    (json.dumps([{"principal": USER, "action": "s3:GetObject", "resource": "*"}, {"action": "s3:GetObject"}]),
     "req.json: request[1].principal: is required"),
    (json.dumps({"principal": USER, "action": "s3:GetObject", "resource": "*", "identity_policies": [
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                       {"Sid": "Bad", "Effect": "Allow", "Action": 5, "Resource": "*"}]}]}),
     "req.json: request.identity_policies[0]: statement 2 (Sid 'Bad'): Action"),
])
def test_bad_request_file_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "req.json"
    path.write_text(content)
    code, out, err = run(capsys, "--request", str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_missing_file_and_usage(tmp_path, capsys):
    code, _, err = run(capsys, "--request", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: cannot read" in err
    code, _, err = run(capsys, "--evidence", str(tmp_path), "--action", "s3:GetObject")
    assert code == 2


# -- evidence mode -----------------------------------------------------------------------------


def _bundle(dest: Path, account: str, files: dict, scope: str = "account", extra: dict | None = None) -> Path:
    w = BundleWriter(dest, account_id=account, scope=scope)
    for rel, content in files.items():
        w.write_json(rel, content)
    return w.finish(caller_identity={"Account": account, "Arn": f"arn:aws:iam::{account}:user/auditor",
                                     "UserId": "AIDA"}, regions=["us-east-1"],
                    collected_at=datetime(2026, 6, 1, tzinfo=UTC), extra=extra)


def _policy(name, document, arn=None):
    return {"PolicyName": name, "Arn": arn or f"arn:aws:iam::{ACCT}:policy/{name}", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]}


@pytest.fixture
def evidence(tmp_path):
    gaad = {
        "UserDetailList": [{"UserName": "dana", "Arn": USER, "UserId": "AIDADANA", "Path": "/",
                            "GroupList": ["Readers"],
                            "UserPolicyList": [], "AttachedManagedPolicies": [],
                            "Tags": [{"Key": "team", "Value": "blue"}]}],
        "GroupDetailList": [{"GroupName": "Readers", "GroupPolicyList": [{
            "PolicyName": "own-home",
            "PolicyDocument": doc(allow("s3:PutObject", "arn:aws:s3:::home/${aws:PrincipalTag/team}/*"))}],
            "AttachedManagedPolicies": [{"PolicyName": "AppReadOnly",
                                         "PolicyArn": f"arn:aws:iam::{ACCT}:policy/AppReadOnly"}]}],
        "RoleDetailList": [{"RoleName": "deploy", "Arn": ROLE, "RoleId": "AROADEPLOY", "Path": "/team/",
                            "AssumeRolePolicyDocument": doc({"Effect": "Allow", "Principal": {"AWS": USER},
                                                             "Action": "sts:AssumeRole"}),
                            "RolePolicyList": [], "AttachedManagedPolicies": [
                                {"PolicyName": "AdministratorAccess",
                                 "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
                            "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                                    "PermissionsBoundaryArn": f"arn:aws:iam::{ACCT}:policy/Bound"},
                            "Tags": []}],
        "Policies": [_policy("AppReadOnly", doc(allow(["s3:GetObject", "s3:ListBucket"]))),
                     _policy("Bound", doc(allow(["s3:*", "ec2:*", "organizations:*"]))),
                     _policy("AdministratorAccess", ADMIN, "arn:aws:iam::aws:policy/AdministratorAccess")],
    }
    _bundle(tmp_path / "evidence" / ACCT, ACCT, {"iam/authorization_details.json": gaad})
    full = {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}
    guard = {"Id": "p-guard", "Name": "DenyLeaveOrg", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False}
    rcp = {"Id": "p-tls", "Name": "EnforceTLS", "Type": "RESOURCE_CONTROL_POLICY", "AwsManaged": False}
    org = {
        "organizations/organization.json": {"Organization": {"Id": "o-abc123", "MasterAccountId": MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
            {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": {"OrganizationalUnits": [{"Id": "ou-work", "Name": "Workloads",
                                                            "ParentId": "r-root"}]},
        "organizations/accounts.json": {"Accounts": [{"Id": MGMT, "Name": "mgmt", "Status": "ACTIVE"},
                                                     {"Id": ACCT, "Name": "prod", "Status": "ACTIVE"}],
                                        "Parents": {MGMT: "r-root", ACCT: "ou-work"}},
        "organizations/policies.json": {"Policies": [
            {"PolicySummary": full, "Content": json.dumps(ADMIN)},
            {"PolicySummary": guard, "Content": json.dumps(doc(allow(), {
                "Sid": "DenyLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}))},
            {"PolicySummary": rcp, "Content": json.dumps(doc({
                "Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}))}]},
        "organizations/targets.json": {"p-FullAWSAccess": [{"TargetId": "r-root", "Type": "ROOT"},
                                                           {"TargetId": "ou-work", "Type": "ORGANIZATIONAL_UNIT"},
                                                           {"TargetId": ACCT, "Type": "ACCOUNT"}],
                                       "p-guard": [{"TargetId": "ou-work", "Type": "ORGANIZATIONAL_UNIT"}],
                                       "p-tls": [{"TargetId": "ou-work", "Type": "ORGANIZATIONAL_UNIT"}]},
    }
    _bundle(tmp_path / "evidence" / "organization", MGMT, org, scope="organization",
            extra={"organization_id": "o-abc123", "management_account_id": MGMT})
    return tmp_path / "evidence"


def sim(capsys, evidence, principal, action, resource="*", *extra):
    code, out, err = run(capsys, "--evidence", str(evidence), "--principal", principal, "--action", action,
                         "--resource", resource, *extra)
    assert code == 0, err
    return out.strip()


def test_evidence_user_through_group_policies(evidence, capsys):
    assert sim(capsys, evidence, USER, "s3:GetObject", "arn:aws:s3:::data/x").startswith(
        "ALLOWED: allowed by identity policy AppReadOnly")
    # the group's inline policy uses the user's tag as a variable
    assert sim(capsys, evidence, USER, "s3:PutObject", "arn:aws:s3:::home/blue/f").startswith("ALLOWED")
    assert sim(capsys, evidence, USER, "s3:PutObject", "arn:aws:s3:::home/red/f").startswith("DENIED (implicitly)")


def test_evidence_scp_chain_names_policy_and_ou(evidence, capsys):
    out = sim(capsys, evidence, ROLE, "organizations:LeaveOrganization")
    assert out == "DENIED by SCP DenyLeaveOrg at OU Workloads, statement 2 (Sid DenyLeave)"


def test_evidence_boundary_and_rcp(evidence, capsys):
    out = sim(capsys, evidence, ROLE, "iam:CreateUser")
    assert out.startswith("DENIED (implicitly): the permissions boundary does not allow")
    code, out, _ = run(capsys, "--evidence", str(evidence), "--principal", ROLE, "--action", "s3:GetObject",
                       "--resource", "arn:aws:s3:::data/x", "--context", "aws:SecureTransport=false", "--json")
    answer = json.loads(out)
    assert answer["decision"] == "explicit_deny" and answer["decided_by"] == ["rcp"]
    assert answer["statements"][0]["level"] == "OU Workloads"


def test_evidence_assume_role_uses_the_trust_policy(evidence, capsys):
    assert sim(capsys, evidence, USER, "sts:AssumeRole", ROLE).startswith("ALLOWED: allowed by resource policy "
                                                                          "trust policy of deploy")
    other = f"arn:aws:iam::{ACCT}:role/team/deploy"
    assert sim(capsys, evidence, other, "sts:AssumeRole", ROLE).startswith("DENIED (implicitly)")


def test_evidence_session_and_multivalued_context(evidence, capsys):
    session = f"arn:aws:sts::{ACCT}:assumed-role/deploy/ci"
    assert sim(capsys, evidence, session, "ec2:RunInstances").startswith("ALLOWED")
    # --context repeated: a multi-valued key
    code, out, _ = run(capsys, "--evidence", str(evidence), "--principal", session, "--action", "s3:GetObject",
                       "--resource", "arn:aws:s3:::d/x", "--context", "aws:TagKeys=a", "--context", "aws:TagKeys=b",
                       "--json")
    assert code == 0 and json.loads(out)["decision"] == "allowed"


def test_evidence_bad_input(evidence, capsys, tmp_path):
    code, _, err = run(capsys, "--evidence", str(evidence), "--principal", f"arn:aws:iam::{ACCT}:user/nobody",
                       "--action", "s3:GetObject")
    assert code == 2 and "is not in the evidence" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--evidence", str(evidence), "--principal", USER, "--action", "s3:GetObject",
                       "--context", "novalue")
    assert code == 2 and "expected KEY=VALUE" in err


def test_evidence_altered_after_collection_is_refused(evidence, capsys):
    gaad = evidence / ACCT / "iam" / "authorization_details.json"
    gaad.write_text(gaad.read_text().replace("AppReadOnly", "AppReadOnlx", 1))
    code, _, err = run(capsys, "--evidence", str(evidence), "--principal", USER, "--action", "s3:GetObject")
    assert code == 2 and "sha256" in err


def test_context_arguments_repeat_into_a_multivalued_key():
    from iamkit.simulate import _context_args

    assert _context_args(["aws:TagKeys=a", "aws:TagKeys=b", "aws:SourceIp=10.0.0.1", "s3:prefix="]) == {
        "aws:TagKeys": ["a", "b"], "aws:SourceIp": "10.0.0.1", "s3:prefix": None}
