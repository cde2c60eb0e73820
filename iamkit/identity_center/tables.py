"""Tables of the Identity Center evidence in the organization bundle (``identity_center/*.json``).

Every accessor raises :class:`~iamkit.model.MissingEvidence` (with the manifest's reason) when its file
is absent, so a check built on it says ERROR, never PASS. ``has_instance`` is False when ListInstances
answered with no instance: the checks are then NOT_APPLICABLE ("no Identity Center instance").

Decisions:

* People are Identity Store users. A group assignment is expanded to the group's members
  (``people``); an assignment whose principal id is neither a listed user nor a listed group is
  ``orphaned`` (the principal was deleted: AWS keeps such assignments).
* ``SessionDuration`` is ISO-8601 (``PT8H``, ``PT7H59M``, ``PT28800S``); a permission set without
  one has AWS's default of one hour (DescribePermissionSet documents PT1H as the default).
* Principal ARNs follow the Identity Store resource types of the Service Authorization Reference:
  ``arn:aws:identitystore:::user/<UserId>`` and ``arn:aws:identitystore:::group/<GroupId>``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from iamkit.evidence import (  # the bundle layout
    SSO_ASSIGNMENTS,
    SSO_GROUP_MEMBERSHIPS,
    SSO_GROUPS,
    SSO_INSTANCES,
    SSO_PERMISSION_SETS,
    SSO_USERS,
    Bundle,
)
from iamkit.model import MissingEvidence
from iamkit.reads import fact

DEFAULT_SESSION = "PT1H"
_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def session_hours(duration: str | None) -> float | None:
    """Hours of an ISO-8601 duration (``PT12H``, ``PT7H59M``, ``PT28800S``, ``P0DT8H``); None when the
    text is not such a duration."""
    m = _DURATION.match((duration or "").strip().upper())
    if not m or (duration or "").strip().upper() in ("P", "PT") or not any(m.groups()):
        return None
    d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return d * 24 + h + mi / 60 + s / 3600


def principal_arn(principal_type: str, principal_id: str) -> str:
    kind = "group" if str(principal_type).upper() == "GROUP" else "user"
    return f"arn:aws:identitystore:::{kind}/{principal_id}"


def _frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)


def _inline(text: str) -> tuple[dict[str, Any] | None, str]:
    if not text:
        return None, ""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return None, f"inline policy is not JSON ({exc})"
    return (doc, "") if isinstance(doc, dict) else (None, "inline policy is not a JSON object")


class IdentityCenter:
    """The Identity Center tables of one organization bundle."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle

    def json(self, relpath: str) -> Any:
        if not self.bundle.has(relpath):
            raise MissingEvidence(self.bundle, relpath)
        return self.bundle.json(relpath)

    def ref(self, relpath: str, locator: str = "") -> dict[str, Any]:
        return self.bundle.ref(relpath, locator)

    @fact
    def instances(self) -> list[dict[str, Any]]:
        return list(self.json(SSO_INSTANCES).get("Instances") or [])

    @property
    def has_instance(self) -> bool:
        return bool(self.instances)

    @property
    def region(self) -> str:
        return str(self.json(SSO_INSTANCES).get("Region") or "")

    @property
    def home_account_id(self) -> str:
        """The account that owns the (first) instance: where permission-set findings are reported."""
        owners = [str(i["OwnerAccountId"]) for i in self.instances if i.get("OwnerAccountId")]
        return owners[0] if owners else self.bundle.account_id

    @fact
    def permission_sets(self) -> pd.DataFrame:
        cols = ["arn", "name", "instance_arn", "session_duration", "session_hours", "relay_state", "managed_arns",
                "customer_refs", "inline", "inline_error", "boundary", "account_ids"]
        recs = []
        for p in self.json(SSO_PERMISSION_SETS).get("PermissionSets") or []:
            ps = p.get("PermissionSet") or {}
            duration = ps.get("SessionDuration") or DEFAULT_SESSION
            inline, err = _inline(p.get("InlinePolicy") or "")
            recs.append({
                "arn": ps.get("PermissionSetArn"), "name": ps.get("Name"), "instance_arn": p.get("InstanceArn"),
                "session_duration": duration, "session_hours": session_hours(duration),
                "relay_state": ps.get("RelayState"),
                "managed_arns": [m["Arn"] for m in p.get("AttachedManagedPolicies") or []],
                "customer_refs": [(r.get("Path") or "/", r["Name"]) for r in p.get("CustomerManagedPolicyReferences")
                                  or []],
                "inline": inline, "inline_error": err, "boundary": p.get("PermissionsBoundary"),
                "account_ids": [str(a) for a in p.get("AccountIds") or []]})
        return _frame(recs, cols)

    @fact
    def users(self) -> pd.DataFrame:
        recs = [{"user_id": u.get("UserId"), "user_name": u.get("UserName"),
                 "display_name": u.get("DisplayName") or u.get("UserName"), "store_id": u.get("IdentityStoreId"),
                 "arn": principal_arn("USER", str(u.get("UserId")))}
                for u in self.json(SSO_USERS).get("Users") or []]
        return _frame(recs, ["user_id", "user_name", "display_name", "store_id", "arn"])

    @fact
    def groups(self) -> pd.DataFrame:
        recs = [{"group_id": g.get("GroupId"), "group_name": g.get("DisplayName"), "store_id": g.get("IdentityStoreId"),
                 "arn": principal_arn("GROUP", str(g.get("GroupId")))}
                for g in self.json(SSO_GROUPS).get("Groups") or []]
        df = _frame(recs, ["group_id", "group_name", "store_id", "arn"])
        counts = self.memberships.groupby("group_id").size()
        df["members"] = df["group_id"].map(counts).fillna(0).astype(int)
        return df

    @fact
    def memberships(self) -> pd.DataFrame:
        recs = [{"group_id": m.get("GroupId"), "user_id": (m.get("MemberId") or {}).get("UserId")}
                for m in self.json(SSO_GROUP_MEMBERSHIPS).get("GroupMemberships") or []]
        return _frame(recs, ["group_id", "user_id"])

    @fact
    def assignments(self) -> pd.DataFrame:
        """One row per account assignment: account_id, permission_set_arn/_name, principal_type (USER|GROUP),
        principal_id, principal_name (None when deleted), principal_arn, orphaned, members (groups: count)."""
        names = dict(zip(self.permission_sets["arn"], self.permission_sets["name"], strict=True))
        users = dict(zip(self.users["user_id"], self.users["display_name"], strict=True))
        groups = dict(zip(self.groups["group_id"], self.groups["group_name"], strict=True))
        members = dict(zip(self.groups["group_id"], self.groups["members"], strict=True))
        recs = []
        for a in self.json(SSO_ASSIGNMENTS).get("AccountAssignments") or []:
            ptype, pid = str(a.get("PrincipalType")), str(a.get("PrincipalId"))
            name = (groups if ptype == "GROUP" else users).get(pid)
            recs.append({"account_id": str(a.get("AccountId")), "permission_set_arn": a.get("PermissionSetArn"),
                         "permission_set_name": names.get(a.get("PermissionSetArn")), "principal_type": ptype,
                         "principal_id": pid, "principal_name": name, "principal_arn": principal_arn(ptype, pid),
                         "orphaned": name is None, "members": members.get(pid, 0) if ptype == "GROUP" else 1})
        return _frame(recs, ["account_id", "permission_set_arn", "permission_set_name", "principal_type",
                             "principal_id", "principal_name", "principal_arn", "orphaned", "members"])

    @fact
    def people(self) -> pd.DataFrame:
        """Assignments expanded to people: account_id, permission_set_arn/_name, user_id, user_name, via
        (``direct`` or ``group <name>``). Orphaned assignments and empty groups give no rows."""
        a = self.assignments[~self.assignments["orphaned"].astype(bool)]
        direct = a[a["principal_type"] == "USER"].assign(user_id=lambda d: d["principal_id"], via="direct")
        grp = a[a["principal_type"] == "GROUP"].merge(self.memberships, left_on="principal_id", right_on="group_id")
        grp = grp.assign(via="group " + grp["principal_name"].astype(str))
        cols = ["account_id", "permission_set_arn", "permission_set_name", "user_id", "via"]
        out = pd.concat([direct[cols], grp[cols]], ignore_index=True)
        out = out.merge(self.users[["user_id", "display_name"]], on="user_id", how="left")
        out = out.rename(columns={"display_name": "user_name"})
        out["user_name"] = out["user_name"].fillna(out["user_id"])
        return out.reset_index(drop=True)

    # -- indexes the per-account checks use (built once, not filtered per account) ----------------------------
    @fact
    def by_account(self) -> dict[str, pd.DataFrame]:
        """account id -> its assignments."""
        return {str(k): g for k, g in self.assignments.groupby("account_id", sort=False)}

    @fact
    def holders(self) -> dict[tuple[str, str], list[str]]:
        """(account id, permission set ARN) -> the sorted names of the people holding it there."""
        p = self.people[["account_id", "permission_set_arn", "user_name"]].astype(str).drop_duplicates()
        return {(a, ps): sorted(g["user_name"]) for (a, ps), g in p.groupby(["account_id", "permission_set_arn"])}

    @fact
    def accounts_of(self) -> dict[str, list[str]]:
        """permission set ARN -> the sorted accounts it is assigned in."""
        a = self.assignments[["permission_set_arn", "account_id"]].astype(str).drop_duplicates()
        return {ps: sorted(g["account_id"]) for ps, g in a.groupby("permission_set_arn")}
