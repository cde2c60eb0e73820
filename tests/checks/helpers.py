"""Bundles built in code for check tests: a credential report, GAAD and the other IAM files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from iamkit.checks import assess_account
from iamkit.evidence import Bundle, BundleWriter, iso
from iamkit.findings import Finding
from iamkit.settings import load_settings
from tests.conftest import CRED_HEADER

ACCT = "111122223333"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
COLS = CRED_HEADER.split(",")


def ago(days: float | None) -> str:
    return "N/A" if days is None else iso(NOW - timedelta(days=days)).replace("Z", "+00:00")


def cred_row(name: str, *, account: str = ACCT, created: float = 400, password: bool = False,
             pw_used: float | str | None = "no_information", pw_changed: float | None = None, mfa: bool = False,
             keys: list[dict[str, Any]] = ()) -> str:
    """One credential report row. ``keys``: [{active, rotated (days), used (days or None)}]."""
    root = name == "<root_account>"
    arn = f"arn:aws:iam::{account}:root" if root else f"arn:aws:iam::{account}:user/{name}"
    r = dict.fromkeys(COLS, "N/A")
    r.update(user=name, arn=arn, user_creation_time=ago(created), mfa_active=str(mfa).lower())
    if root:
        r.update(password_enabled="not_supported", password_last_changed="not_supported",
                 password_next_rotation="not_supported",
                 password_last_used="N/A" if pw_used is None else pw_used if isinstance(pw_used, str) else ago(pw_used))
    else:
        r["password_enabled"] = str(password).lower()
        if password:
            r["password_last_used"] = pw_used if isinstance(pw_used, str) else ago(pw_used)
            r["password_last_changed"] = ago(pw_changed if pw_changed is not None else created)
    for i in (1, 2):
        k = keys[i - 1] if len(keys) >= i else None
        r[f"access_key_{i}_active"] = str(bool(k and k.get("active", True))).lower()
        if k:
            r[f"access_key_{i}_last_rotated"] = ago(k.get("rotated", 10))
            r[f"access_key_{i}_last_used_date"] = ago(k.get("used"))
            if k.get("used") is not None:
                r[f"access_key_{i}_last_used_region"] = "us-east-1"
                r[f"access_key_{i}_last_used_service"] = "s3"
    r["cert_1_active"] = r["cert_2_active"] = "false"
    return ",".join(r[c] for c in COLS)


def cred_report(*rows: str) -> str:
    return CRED_HEADER + "\n" + "\n".join(rows) + "\n"


def user(name: str, *, account: str = ACCT, groups: list[str] = (), attached: list[str] = (),
         inline: dict[str, dict] | None = None, path: str = "/") -> dict[str, Any]:
    return {"UserName": name, "UserId": "AIDA" + name.upper()[:10], "Arn": f"arn:aws:iam::{account}:user{path}{name}",
            "Path": path, "CreateDate": ago(400), "GroupList": list(groups),
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
            "UserPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()], "Tags": []}


def group(name: str, *, account: str = ACCT, attached: list[str] = (), inline: dict[str, dict] | None = None) -> dict:
    return {"GroupName": name, "GroupId": "AGPA" + name.upper()[:10], "Arn": f"arn:aws:iam::{account}:group/{name}",
            "Path": "/", "CreateDate": ago(400),
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
            "GroupPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()]}


def role(name: str, trust: dict | list, *, account: str = ACCT, path: str = "/", attached: list[str] = (),
         inline: dict[str, dict] | None = None) -> dict:
    statements = trust if isinstance(trust, list) else [trust]
    return {"RoleName": name, "RoleId": "AROA" + name.upper()[:10], "Arn": f"arn:aws:iam::{account}:role{path}{name}",
            "Path": path, "CreateDate": ago(300),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
            "RolePolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
            "InstanceProfileList": [], "RoleLastUsed": {}, "Tags": []}


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource,
                                                    **extra}]}


def managed(arn: str, doc: dict, attachments: int = 1) -> dict:
    return {"PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "Path": "/", "DefaultVersionId": "v1",
            "AttachmentCount": attachments, "PolicyVersionList": [{"Document": doc, "VersionId": "v1",
                                                                   "IsDefaultVersion": True}]}


def gaad(users=(), groups=(), roles=(), policies=()) -> dict:  # noqa: ANN001, ANN201
    return {"UserDetailList": list(users), "GroupDetailList": list(groups), "RoleDetailList": list(roles),
            "Policies": list(policies)}


def write_bundle(dest: Path, files: dict[str, Any], *, account_id: str = ACCT, errors: list[dict] = (),
                 regions: list[str] = ("us-east-1",), scope: str = "account", extra: dict | None = None,
                 source: str = "aws", partition: str = "aws") -> Path:
    w = BundleWriter(dest, account_id=account_id, scope=scope, source=source)
    for rel, content in files.items():
        if isinstance(content, str):
            w.write_text(rel, content)
        else:
            w.write_json(rel, content)
    for e in errors:
        w.add_error(**e)
    return w.finish(caller_identity={"Account": account_id, "Arn": f"arn:{partition}:iam::{account_id}:user/auditor",
                                     "UserId": "AIDA"}, regions=regions, collected_at=NOW, extra=extra)


def run(tmp_path: Path, files: dict[str, Any], check_id: str | None = None, *, org: Path | None = None,
        settings: dict | None = None, **kw: Any) -> list[Finding]:
    path = write_bundle(tmp_path / "evidence" / kw.get("account_id", ACCT), files, **kw)
    s = load_settings(**(settings or {}))
    findings = assess_account(Bundle(path), s, Bundle(org) if org else None)
    return [f for f in findings if check_id is None or f.check_id == check_id]


def by_resource(findings: list[Finding]) -> dict[str, str]:
    return {f.resource_arn: f.status.value for f in findings}


def write_org_bundle(tmp_path: Path, scps: bool = True, guard: bool = True) -> Path:
    """An organization bundle: root r-root > Workloads (ou-work) > Prod (ou-prod); mgmt 123456789012 under the
    root, ACCT in Prod, 444455556666 in Workloads; FullAWSAccess at every level (as AWS attaches it),
    deny-leave on Workloads."""
    full = {"Id": "p-FullAWSAccess", "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
            "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}
    deny = {"Id": "p-deny1",
            "Arn": "arn:aws:organizations::123456789012:policy/o-abc123/service_control_policy/p-deny1",
            "Name": "deny-leave", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False}
    files = {
        "organizations/organization.json": {"Organization": {"Id": "o-abc123", "MasterAccountId": "123456789012"}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}] if scps else []}]},
        "organizations/ous.json": [{"Id": "ou-prod", "Name": "Prod", "ParentId": "ou-work"},
                                   {"Id": "ou-work", "Name": "Workloads", "ParentId": "r-root"}],
        "organizations/accounts.json": {"Accounts": [
            {"Id": "123456789012", "Name": "mgmt", "Status": "ACTIVE", "ParentId": "r-root"},
            {"Id": ACCT, "Name": "prod", "Status": "ACTIVE", "ParentId": "ou-prod"},
            {"Id": "444455556666", "Name": "dev", "Status": "ACTIVE", "ParentId": "ou-work"}]},
        "organizations/policies.json": [
            {"PolicySummary": full, "Content": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                               '"Action":"*","Resource":"*"}]}'},
            {"PolicySummary": deny, "Content": '{"Version":"2012-10-17","Statement":[{"Effect":"Deny",'
                                               '"Action":"organizations:LeaveOrganization","Resource":"*"}]}'}],
        "organizations/targets.json": {"p-FullAWSAccess": [{"TargetId": t, "Type": "X"} for t in (  # every level
                                           "r-root", "ou-work", "ou-prod", "123456789012", ACCT, "444455556666")],
                                       "p-deny1": [{"TargetId": "ou-work", "Type": "ORGANIZATIONAL_UNIT"}] if guard
                                       else []},
    }
    return write_bundle(tmp_path / "org" / "organization", files, account_id="123456789012", scope="organization",
                        extra={"organization_id": "o-abc123", "management_account_id": "123456789012"})


SCP_MGMT = "123456789012"
SCP_LEVELS = ("r-root", "ou-work", "ou-prod", ACCT)


def scp_org_bundle(tmp_path: Path, scps: dict[str, tuple[dict | str, list[str]]], *, full_on=SCP_LEVELS,  # noqa: ANN001
                   drop: tuple[str, ...] = ()) -> Path:
    """Organization r-root > ou-work (Workloads) > ou-prod (Prod) > ACCT; SCP_MGMT under the root.
    ``scps``: name -> (document, target ids). FullAWSAccess sits on ``full_on`` (and SCP_MGMT). ``drop``:
    organization files left out (as a denied collector leaves them)."""
    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    pols = [{"PolicySummary": {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY",
                               "AwsManaged": True}, "Content": json.dumps(full)}]
    targets = {"p-FullAWSAccess": [{"TargetId": t, "Type": "X"} for t in [*full_on, SCP_MGMT]]}
    for i, (name, (doc, where)) in enumerate(scps.items()):
        pid = f"p-{i:08d}"
        pols.append({"PolicySummary": {"Id": pid, "Name": name, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False},
                     "Content": doc if isinstance(doc, str) else json.dumps(doc)})
        targets[pid] = [{"TargetId": t, "Type": "X"} for t in where]
    files = {
        "organizations/organization.json": {"Organization": {"Id": "o-abc123", "MasterAccountId": SCP_MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": [{"Id": "ou-prod", "Name": "Prod", "ParentId": "ou-work"},
                                   {"Id": "ou-work", "Name": "Workloads", "ParentId": "r-root"}],
        "organizations/accounts.json": {"Accounts": [
            {"Id": SCP_MGMT, "Name": "mgmt", "Status": "ACTIVE", "ParentId": "r-root"},
            {"Id": ACCT, "Name": "prod", "Status": "ACTIVE", "ParentId": "ou-prod"}]},
        "organizations/policies.json": pols,
        "organizations/targets.json": targets,
    }
    for rel in drop:
        files.pop(rel)
    return write_bundle(tmp_path / "org" / "organization", files, account_id=SCP_MGMT, scope="organization",
                        extra={"organization_id": "o-abc123", "management_account_id": SCP_MGMT})
