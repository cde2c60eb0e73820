"""Authorization details (``GetAccountAuthorizationDetails``): users, groups, roles, managed and inline
policies, attachments and group members.

* ``users.has_console_password`` / ``users.mfa_active`` come from the credential report; they are
  ``<NA>`` when the bundle has no credential report (e.g. an offline export without one), and the
  checks that need them call :attr:`AccountModel.credential_report` first, which raises.
* Service-linked roles (path ``/aws-service-role/``) and IAM Identity Center roles (path
  ``/aws-reserved/sso.amazonaws.com/``, name ``AWSReservedSSO_*``) are flagged on ``roles``; AWS
  owns their trust and permissions, so checks skip them and say so.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from iamkit.evidence import AUTHORIZATION_DETAILS, CREDENTIAL_REPORT
from iamkit.model.credentials import CredentialsMixin
from iamkit.model.frames import MissingEvidence, _doc, _dt, _frame
from iamkit.reads import fact

SERVICE_LINKED_PATH = "/aws-service-role/"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


class AuthorizationMixin(CredentialsMixin):
    """GAAD tables of :class:`~iamkit.model.AccountModel` (``users`` joins the credential report's
    ``cred_users`` when the bundle has one)."""

    @fact
    def gaad(self) -> dict[str, Any]:
        data = self.json(AUTHORIZATION_DETAILS)
        if not isinstance(data, dict):
            raise MissingEvidence(self.bundle, AUTHORIZATION_DETAILS)
        return data

    @fact
    def users(self) -> pd.DataFrame:
        cols = ["user_name", "arn", "user_id", "path", "create_date", "groups", "attached_policy_arns",
                "inline_policy_names", "permissions_boundary_arn", "tags"]
        recs = [{
            "user_name": u.get("UserName"), "arn": u.get("Arn"), "user_id": u.get("UserId"),
            "path": u.get("Path", "/"), "create_date": u.get("CreateDate"),
            "groups": list(u.get("GroupList") or []),
            "attached_policy_arns": [p["PolicyArn"] for p in u.get("AttachedManagedPolicies") or []],
            "inline_policy_names": [p["PolicyName"] for p in u.get("UserPolicyList") or []],
            "permissions_boundary_arn": (u.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "tags": {t["Key"]: t.get("Value", "") for t in u.get("Tags") or []},
        } for u in self.gaad.get("UserDetailList") or []]
        df = _frame(recs, cols)
        df["create_date"] = _dt(df["create_date"])
        if self.bundle.has(CREDENTIAL_REPORT):
            cr = self.cred_users()[["arn", "password_enabled", "mfa_active"]].rename(
                columns={"password_enabled": "has_console_password"})
            df = df.merge(cr, on="arn", how="left")
            df["has_console_password"] = df["has_console_password"].astype("boolean")
            df["mfa_active"] = df["mfa_active"].astype("boolean")
        else:
            df["has_console_password"] = pd.array([pd.NA] * len(df), dtype="boolean")
            df["mfa_active"] = pd.array([pd.NA] * len(df), dtype="boolean")
        return df

    @fact
    def groups(self) -> pd.DataFrame:
        cols = ["group_name", "arn", "path", "create_date", "attached_policy_arns", "inline_policy_names"]
        recs = [{
            "group_name": g.get("GroupName"), "arn": g.get("Arn"), "path": g.get("Path", "/"),
            "create_date": g.get("CreateDate"),
            "attached_policy_arns": [p["PolicyArn"] for p in g.get("AttachedManagedPolicies") or []],
            "inline_policy_names": [p["PolicyName"] for p in g.get("GroupPolicyList") or []],
        } for g in self.gaad.get("GroupDetailList") or []]
        df = _frame(recs, cols)
        df["create_date"] = _dt(df["create_date"])
        return df

    @fact
    def roles(self) -> pd.DataFrame:
        cols = ["role_name", "arn", "path", "create_date", "attached_policy_arns", "inline_policy_names",
                "trust_policy", "last_used", "permissions_boundary_arn", "tags"]
        recs = [{
            "role_name": r.get("RoleName"), "arn": r.get("Arn"), "path": r.get("Path", "/"),
            "create_date": r.get("CreateDate"),
            "attached_policy_arns": [p["PolicyArn"] for p in r.get("AttachedManagedPolicies") or []],
            "inline_policy_names": [p["PolicyName"] for p in r.get("RolePolicyList") or []],
            "trust_policy": _doc(r.get("AssumeRolePolicyDocument")),
            "last_used": (r.get("RoleLastUsed") or {}).get("LastUsedDate"),
            "permissions_boundary_arn": (r.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "tags": {t["Key"]: t.get("Value", "") for t in r.get("Tags") or []},
        } for r in self.gaad.get("RoleDetailList") or []]
        df = _frame(recs, cols)
        df["create_date"] = _dt(df["create_date"])
        df["last_used"] = _dt(df["last_used"])
        path = df["path"].astype("string").fillna("/")
        df["is_service_linked"] = path.str.startswith(SERVICE_LINKED_PATH).astype(bool)
        df["is_sso_provisioned"] = (path.str.startswith(SSO_PATH)
                                    & df["role_name"].astype("string").str.startswith("AWSReservedSSO_")).astype(bool)
        return df

    @fact
    def policies(self) -> pd.DataFrame:
        """Managed policies in the bundle (customer managed, and AWS managed ones GAAD returned)."""
        cols = ["arn", "name", "path", "is_aws_managed", "attachment_count", "document"]
        recs = []
        for p in self.gaad.get("Policies") or []:
            versions = p.get("PolicyVersionList") or []
            default = next((v for v in versions if v.get("IsDefaultVersion")), versions[0] if versions else {})
            recs.append({"arn": p.get("Arn"), "name": p.get("PolicyName"), "path": p.get("Path", "/"),
                         "is_aws_managed": ":iam::aws:policy/" in str(p.get("Arn", "")),
                         "attachment_count": int(p.get("AttachmentCount") or 0),
                         "document": _doc(default.get("Document"))})
        return _frame(recs, cols)

    @fact
    def inline_policies(self) -> pd.DataFrame:
        """One row per inline policy: principal_arn, principal_type (user|group|role), principal_name,
        policy_name, document."""
        cols = ["principal_arn", "principal_type", "principal_name", "policy_name", "document"]
        recs = []
        for kind, lst, name_key, pol_key in (("user", "UserDetailList", "UserName", "UserPolicyList"),
                                             ("group", "GroupDetailList", "GroupName", "GroupPolicyList"),
                                             ("role", "RoleDetailList", "RoleName", "RolePolicyList")):
            for e in self.gaad.get(lst) or []:
                for p in e.get(pol_key) or []:
                    recs.append({"principal_arn": e.get("Arn"), "principal_type": kind,
                                 "principal_name": e.get(name_key), "policy_name": p.get("PolicyName"),
                                 "document": _doc(p.get("PolicyDocument"))})
        return _frame(recs, cols)

    @fact
    def attachments(self) -> pd.DataFrame:
        """One row per managed-policy attachment: principal_arn, principal_type, principal_name, policy_arn."""
        parts = []
        for kind, table, name_col in (("user", self.users, "user_name"), ("group", self.groups, "group_name"),
                                      ("role", self.roles, "role_name")):
            t = table[["arn", name_col, "attached_policy_arns"]].explode("attached_policy_arns")
            t = t[t["attached_policy_arns"].notna()]
            parts.append(pd.DataFrame({"principal_arn": t["arn"], "principal_type": kind,
                                       "principal_name": t[name_col], "policy_arn": t["attached_policy_arns"]}))
        return pd.concat(parts, ignore_index=True)

    @fact
    def group_members(self) -> pd.DataFrame:
        """user_arn, user_name, group_name, group_arn."""
        t = self.users[["arn", "user_name", "groups"]].explode("groups")
        t = t[t["groups"].notna()].rename(columns={"arn": "user_arn", "groups": "group_name"})
        return t.merge(self.groups[["group_name", "arn"]].rename(columns={"arn": "group_arn"}),
                       on="group_name", how="left").reset_index(drop=True)

