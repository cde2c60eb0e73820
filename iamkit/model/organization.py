"""The organization: :class:`OrgModel` (tables of the organization bundle) and an account's membership.

Membership (:func:`membership`) is organization logic: an account is a member when the organization
bundle lists it, or when its own ``ListOrganizationsFeatures`` answered (or failed with an error code that
only a member gets); it is standalone when that call failed with a code that says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from iamkit.errors import EvidenceError
from iamkit.evidence import (
    ORG_ACCOUNTS,
    ORG_DIR,
    ORG_FEATURES,
    ORG_ORGANIZATION,
    ORG_OUS,
    ORG_POLICIES,
    ORG_ROOTS,
    ORG_TARGETS,
    ORGANIZATIONS_FEATURES,
    Bundle,
    analyzer_file,
)
from iamkit.model.frames import MissingEvidence, _doc, _frame
from iamkit.reads import fact

if TYPE_CHECKING:
    from iamkit.model.account import AccountModel

#: ListOrganizationsFeatures errors that tell the account is not in an organization / is in one
STANDALONE_CODES = frozenset({"AWSOrganizationsNotInUseException", "OrganizationNotFoundException"})
MEMBER_CODES = frozenset({"AccountNotManagementOrDelegatedAdministratorException",
                          "OrganizationNotInAllFeaturesModeException", "ServiceAccessNotEnabledException"})
#: ...and those that mean centralized root access is not enabled for the organization
FEATURE_OFF_CODES = frozenset({"OrganizationNotInAllFeaturesModeException", "ServiceAccessNotEnabledException"})


class OrgModel:
    """Tables of the organization bundle (``evidence/organization/``).

    Accepted shapes (the collector writes raw responses, pages merged): ``organizations/roots.json``
    ``{"Roots": [...]}`` (each with ``PolicyTypes``); ``ous.json`` a list or ``{"OrganizationalUnits":
    [...]}`` of OUs with ``Id``, ``Name`` and ``ParentId``; ``accounts.json`` a list or ``{"Accounts": [...]}``
    (``ParentId`` on each account, or ``{"Parents": {account_id: parent_id}}``); ``policies.json`` a list or
    ``{"Policies": [...]}`` of ``{"PolicySummary": {...}, "Content": "..."}`` (or flat summaries with
    ``Content``); ``targets.json`` ``{policy_id: [{TargetId, Type, ...}]}``.
    """

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.now = bundle.collected_at
        self._mgmt = str(bundle.manifest.get("management_account_id") or "")
        self._org_id = str(bundle.manifest.get("organization_id") or "")
        #: EnabledFeatures of the management account's ListOrganizationsFeatures (None: not known)
        self.features: list[str] | None = None
        self.features_ref: dict[str, Any] | None = None
        #: region -> ARNs of ACTIVE organization-wide analyzers seen in any account bundle of the run
        self.org_analyzers: dict[str, list[str]] = {}
        #: account id -> bundle of every account assessed with this organization (cross-account reach)
        self.account_bundles: dict[str, Bundle] = {}

    @property
    def management_account_id(self) -> str:
        if not self._mgmt and self.bundle.has(ORG_ORGANIZATION):
            o = self.organization
            self._mgmt = str(o.get("MasterAccountId") or o.get("ManagementAccountId") or "")
        return self._mgmt

    @property
    def organization_id(self) -> str:
        if not self._org_id and self.bundle.has(ORG_ORGANIZATION):
            self._org_id = str(self.organization.get("Id") or "")
        return self._org_id

    @staticmethod
    def _rel(name: str) -> str:
        """``accounts.json`` or ``organizations/accounts.json`` -> the bundle path."""
        return name if name.startswith(ORG_DIR) else f"{ORG_DIR}{name}"

    def json(self, name: str) -> Any:
        rel = self._rel(name)
        if not self.bundle.has(rel):
            raise MissingEvidence(self.bundle, rel)
        return self.bundle.json(rel)

    def ref(self, name: str, locator: str = "") -> dict[str, Any]:
        return self.bundle.ref(self._rel(name), locator)

    @staticmethod
    def _items(data: Any, *keys: str) -> list[dict[str, Any]]:
        if isinstance(data, list):
            return data
        for k in keys:
            if isinstance(data, dict) and k in data:
                return list(data[k] or [])
        return []

    @fact
    def organization(self) -> dict[str, Any]:
        data = self.json(ORG_ORGANIZATION)
        return data.get("Organization", data)

    @fact
    def roots(self) -> list[dict[str, Any]]:
        return self._items(self.json(ORG_ROOTS), "Roots")

    @property
    def root_id(self) -> str:
        return self.roots[0]["Id"] if self.roots else ""

    def policy_type_enabled(self, policy_type: str = "SERVICE_CONTROL_POLICY") -> bool:
        data = self.json(ORG_ROOTS)
        types = [t for r in self.roots for t in r.get("PolicyTypes") or []]
        if isinstance(data, dict) and "enabled_policy_types" in data:
            enabled = data["enabled_policy_types"]
            if isinstance(enabled, list):
                types += [{"Type": t, "Status": "ENABLED"} if isinstance(t, str) else t for t in enabled]
        wanted = [t for t in types if t.get("Type") == policy_type]
        if any("Status" not in t for t in wanted):
            raise EvidenceError(f"{ORG_ROOTS}: the {policy_type} policy type has no Status, so whether "
                                "it is enabled is unknown")
        return any(t["Status"] == "ENABLED" for t in wanted)

    @fact
    def ous(self) -> pd.DataFrame:
        items = self._items(self.json(ORG_OUS), "OrganizationalUnits", "ous", "OUs")
        recs = [{"id": o.get("Id"), "name": o.get("Name"), "parent_id": o.get("ParentId") or o.get("Parent")}
                for o in items]
        df = _frame(recs, ["id", "name", "parent_id"])
        by_id = dict(zip(df["id"], zip(df["name"], df["parent_id"], strict=True), strict=True))
        paths = {}
        for oid in df["id"]:  # OU trees are shallow (max depth 5); linear in OUs
            parts, cur, seen = [], oid, set()
            while cur in by_id and cur not in seen:
                seen.add(cur)
                parts.append(by_id[cur][0])
                cur = by_id[cur][1]
            paths[oid] = "/" + "/".join(reversed(parts))
        df["path"] = df["id"].map(paths)
        return df

    @fact
    def accounts(self) -> pd.DataFrame:
        data = self.json(ORG_ACCOUNTS)
        items = self._items(data, "Accounts")
        parents = data.get("Parents", {}) if isinstance(data, dict) else {}
        recs = [{"id": str(a.get("Id")), "name": a.get("Name"), "email": a.get("Email"),
                 "status": a.get("Status") or a.get("State"),
                 "parent_id": a.get("ParentId") or a.get("Parent") or parents.get(str(a.get("Id")))}
                for a in items]
        df = _frame(recs, ["id", "name", "email", "status", "parent_id"])
        ou_paths = dict(zip(self.ous["id"], self.ous["path"], strict=True)) if self.bundle.has(
            ORG_OUS) else {}
        root = self.root_id if self.bundle.has(ORG_ROOTS) else ""
        # directly under the root: "/"; under an OU missing from ous.json: None (unknown, never "/")
        df["ou_path"] = df["parent_id"].map(
            lambda p: "/" if isinstance(p, str) and (p == root or p.startswith("r-")) else ou_paths.get(p)
            if isinstance(p, str) else None)
        return df

    @fact
    def policies(self) -> pd.DataFrame:
        items = self._items(self.json(ORG_POLICIES), "Policies", "policies")
        recs = []
        for p in items:
            s = p.get("PolicySummary", p)
            content = p.get("Content", s.get("Content"))
            recs.append({"id": s.get("Id"), "arn": s.get("Arn"), "name": s.get("Name"), "type": s.get("Type"),
                         "aws_managed": bool(s.get("AwsManaged", False)), "document": _doc(content)})
        return _frame(recs, ["id", "arn", "name", "type", "aws_managed", "document"])

    @fact
    def targets(self) -> pd.DataFrame:
        data = self.json(ORG_TARGETS)
        recs = [{"policy_id": pid, "target_id": t.get("TargetId"), "target_type": t.get("Type")}
                for pid, ts in (data or {}).items() for t in ts or []]
        return _frame(recs, ["policy_id", "target_id", "target_type"])

    @fact
    def _parents(self) -> dict[str, str | None]:
        """account or OU id -> parent id (root for top-level ones)."""
        out: dict[str, str | None] = dict(zip(self.ous["id"], self.ous["parent_id"], strict=True))
        out.update(zip(self.accounts["id"], self.accounts["parent_id"], strict=True))
        return out

    @fact
    def _policies_at(self) -> dict[str, list[str]]:
        """target id -> attached policy ids (in targets.json order)."""
        out: dict[str, list[str]] = {}
        for pid, tid in zip(self.targets["policy_id"], self.targets["target_id"], strict=True):
            out.setdefault(tid, []).append(pid)
        return out

    def account_chain(self, account_id: str) -> list[str]:
        """Target ids from the root down to the account: [root, OU..., account] (empty: unknown account).

        Raises :class:`EvidenceError` when the chain passes through an OU that ``ous.json`` lacks (its
        parents, hence the policies attached above it, would be unknown) or the account has no parent."""
        parents = self._parents
        if account_id not in set(self.accounts["id"]):
            return []
        root = self.root_id
        ou_ids = set(self.ous["id"])
        chain, cur, seen = [account_id], parents.get(account_id), {account_id}
        while isinstance(cur, str) and cur and cur not in seen and cur != root:
            if cur not in ou_ids:
                raise EvidenceError(f"{ORG_OUS}: OU {cur} (on the path of account {account_id}) is "
                                    "missing, so the policies above it are unknown")
            seen.add(cur)
            chain.append(cur)
            cur = parents.get(cur)
        if not isinstance(cur, str) or not cur:
            raise EvidenceError(f"{ORG_DIR.rstrip('/')}: the parent of {chain[-1]} (on the path of account "
                                f"{account_id}) is unknown")
        if root and chain[-1] != root:
            chain.append(root)
        return list(reversed(chain))

    @fact
    def _policy_rows(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.policies.to_dict("records")}

    def scp_chain(self, account_id: str, policy_type: str = "SERVICE_CONTROL_POLICY") -> list[list[dict[str, Any]]]:
        """Policies of ``policy_type`` attached at each level (root, OU..., account), as dict rows."""
        rows = self._policy_rows
        chain = self.account_chain(account_id)
        absent = sorted({i for target in chain for i in self._policies_at.get(target, []) if i not in rows})
        if absent:
            raise EvidenceError(f"{ORG_POLICIES} lacks {', '.join(absent)}, attached (targets.json) on "
                                f"the path of account {account_id}")
        return [[rows[i] for i in self._policies_at.get(target, []) if rows[i]["type"] == policy_type]
                for target in chain]

    def add_accounts(self, accounts: Iterable[Bundle]) -> OrgModel:
        """Lift onto the organization what only some accounts can see: the management account's
        ``ListOrganizationsFeatures`` answer (when the organization bundle lacks it) and the ACTIVE
        organization-wide Access Analyzer analyzers of the delegated administrator; remember every
        account's bundle (cross-account reach). Returns ``self``."""
        if self.features is None and self.bundle.has(ORG_FEATURES):
            self.features = list(self.bundle.json(ORG_FEATURES).get("EnabledFeatures") or [])
            self.features_ref = self.bundle.ref(ORG_FEATURES, "EnabledFeatures")
        for b in accounts:
            self.account_bundles.setdefault(b.account_id, b)
            if self.features is None and b.account_id == self.management_account_id and b.has(ORGANIZATIONS_FEATURES):
                self.features = list(b.json(ORGANIZATIONS_FEATURES).get("EnabledFeatures") or [])
                self.features_ref = b.ref(ORGANIZATIONS_FEATURES, "EnabledFeatures")
            for region in b.manifest.get("regions") or []:
                if not b.has(analyzer_file(region)):
                    continue
                for a in b.json(analyzer_file(region)).get("analyzers") or []:
                    arns = self.org_analyzers.setdefault(region, [])
                    active_org = a.get("type") == "ORGANIZATION" and a.get("status") == "ACTIVE"
                    if active_org and str(a.get("arn")) not in arns:
                        arns.append(str(a.get("arn")))
        return self


def membership(account: AccountModel) -> tuple[str, str, list[dict[str, Any]]]:
    """(``member`` | ``standalone``, one-phrase reason, evidence refs) of an account's organization
    membership; raises MissingEvidence when neither the organization bundle nor the account's
    ``ListOrganizationsFeatures`` answer tells."""
    org, bundle = account.org, account.bundle
    if org is not None and account.account_id in set(org.accounts["id"]):
        return ("member", f"listed in organization {org.organization_id or '(id unknown)'}",
                [org.ref(ORG_ACCOUNTS, f"Id={account.account_id}")])
    if bundle.has(ORGANIZATIONS_FEATURES):
        data = bundle.json(ORGANIZATIONS_FEATURES)
        return ("member", f"ListOrganizationsFeatures answered for organization {data.get('OrganizationId', '?')}",
                [bundle.ref(ORGANIZATIONS_FEATURES)])
    for err in bundle.errors:
        if err.get("file") != ORGANIZATIONS_FEATURES:
            continue
        code = str(err.get("code"))
        if code in STANDALONE_CODES:
            return ("standalone", f"ListOrganizationsFeatures answered {code} (the account is not in an "
                    "organization)", [])
        if code in MEMBER_CODES:
            return ("member", f"ListOrganizationsFeatures answered {code} (the account belongs to an "
                    "organization)", [])
    raise MissingEvidence(bundle, ORGANIZATIONS_FEATURES)
