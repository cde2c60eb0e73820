"""An organization with IAM Identity Center, built in code (organization bundle + account bundles).

Management 123456789012 (no SCPs apply), members A 111111111111 (OU Open) and B 222222222222 (OU Locked,
whose SCP denies iam:*). ``identity_center(...)`` returns the identity_center/*.json files; ``ps(...)``
one permission set entry as the collector writes it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.checks.helpers import allow, gaad, managed, role, write_bundle

MGMT, A, B = "123456789012", "111111111111", "222222222222"
INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
STORE = "d-1234567890"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = allow("*", "*")
FULL = {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}
DENY_IAM = {"Id": "p-denyiam", "Name": "DenyIam", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False}


def ps_arn(name: str) -> str:
    return f"arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-{name.lower():0<16}"[:90]


def ps(name: str, *, session: str | None = "PT1H", managed_arns: list[str] = (), refs: list[str] = (),
       inline: dict | str | None = None, boundary: dict | None = None, accounts: list[str] = ()) -> dict[str, Any]:
    described = {"Name": name, "PermissionSetArn": ps_arn(name)}
    if session is not None:
        described["SessionDuration"] = session
    return {"InstanceArn": INSTANCE, "PermissionSet": described,
            "AttachedManagedPolicies": [{"Arn": a, "Name": a.rsplit("/", 1)[-1]} for a in managed_arns],
            "CustomerManagedPolicyReferences": [{"Name": r, "Path": "/"} for r in refs],
            "InlinePolicy": inline if isinstance(inline, str) else json.dumps(inline) if inline else "",
            "PermissionsBoundary": boundary, "AccountIds": list(accounts)}


def identity_center(sets: list[dict], assignments: list[tuple[str, str, str, str]], *,
                    users: list[str] = (), groups: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``assignments``: (account, permission set name, USER|GROUP, principal name or ``deleted:<id>``)."""
    uid = {u: f"u-{u}" for u in users}
    gid = {g: f"g-{g}" for g in groups or {}}
    def pid(kind: str, name: str) -> str:
        if name.startswith("deleted:"):
            return name.split(":", 1)[1]
        return (gid if kind == "GROUP" else uid)[name]
    return {
        "identity_center/instances.json": {"Region": "us-east-1", "Instances": [
            {"InstanceArn": INSTANCE, "IdentityStoreId": STORE, "OwnerAccountId": MGMT, "Status": "ACTIVE"}]},
        "identity_center/permission_sets.json": {"PermissionSets": sets},
        "identity_center/assignments.json": {"AccountAssignments": [
            {"InstanceArn": INSTANCE, "AccountId": acct, "PermissionSetArn": ps_arn(name), "PrincipalType": kind,
             "PrincipalId": pid(kind, who)} for acct, name, kind, who in assignments]},
        "identity_center/users.json": {"Users": [{"UserId": uid[u], "UserName": u, "DisplayName": u.title(),
                                                  "IdentityStoreId": STORE} for u in users]},
        "identity_center/groups.json": {"Groups": [{"GroupId": gid[g], "DisplayName": g, "IdentityStoreId": STORE}
                                                   for g in groups or {}]},
        "identity_center/group_memberships.json": {"GroupMemberships": [
            {"IdentityStoreId": STORE, "GroupId": gid[g], "MemberId": {"UserId": uid[m]}, "MembershipId": f"m-{g}-{m}"}
            for g, members in (groups or {}).items() for m in members]},
    }


def org_files() -> dict[str, Any]:
    return {
        "organizations/organization.json": {"Organization": {"Id": "o-abc123", "MasterAccountId": MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": [{"Id": "ou-open", "Name": "Open", "ParentId": "r-root"},
                                   {"Id": "ou-locked", "Name": "Locked", "ParentId": "r-root"}],
        "organizations/accounts.json": {"Accounts": [{"Id": MGMT, "Name": "mgmt"}, {"Id": A, "Name": "a"},
                                                     {"Id": B, "Name": "b"}],
                                        "Parents": {MGMT: "r-root", A: "ou-open", B: "ou-locked"}},
        "organizations/policies.json": {"Policies": [
            {"PolicySummary": FULL, "Content": json.dumps(allow("*", "*"))},
            {"PolicySummary": DENY_IAM, "Content": json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})}]},
        "organizations/targets.json": {
            "p-FullAWSAccess": [{"TargetId": t, "Type": "X"} for t in ("r-root", "ou-open", "ou-locked", MGMT, A, B)],
            "p-denyiam": [{"TargetId": "ou-locked", "Type": "ORGANIZATIONAL_UNIT"}]},
    }


def write_org(dest: Path, ic_files: dict[str, Any], *, errors: list[dict] = ()) -> Path:
    return write_bundle(dest / "organization", {**org_files(), **ic_files}, account_id=MGMT, scope="organization",
                        errors=list(errors), extra={"organization_id": "o-abc123", "management_account_id": MGMT})


def sso_role(account: str, ps_name: str, attached: list[str] = ()) -> dict:
    saml = f"arn:aws:iam::{account}:saml-provider/AWSSSO_x_DO_NOT_DELETE"
    trust = {"Effect": "Allow", "Principal": {"Federated": saml}, "Action": "sts:AssumeRoleWithSAML"}
    return role(f"AWSReservedSSO_{ps_name}_0123456789abcdef", trust, account=account,
                path="/aws-reserved/sso.amazonaws.com/", attached=list(attached))


def write_account(dest: Path, account: str, *, policies: list[dict] = (), roles: list[dict] = ()) -> Path:
    return write_bundle(dest / account, {"iam/authorization_details.json": gaad(roles=roles, policies=policies)},
                        account_id=account)


def admin_policy() -> dict:
    return managed(ADMIN_ARN, ADMIN_DOC)
