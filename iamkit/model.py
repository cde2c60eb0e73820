"""Typed tables built from one evidence bundle (and the organization bundle).

Checks read facts only through :class:`AccountModel` and :class:`OrgModel`. When a fact's evidence is
missing (not collected, denied, not supplied with an export) the accessor raises
:class:`MissingEvidence` with the reason from the manifest; the check runner turns that into an
ERROR finding, so a check can never PASS on evidence it does not have. A table is never silently
empty because its file is missing.

Building the tables is linear in the number of principals: JSON is walked once into records, and
every join/derivation after that is a pandas vector operation (merges, ``explode``, ``where``).

Decisions (documented here because the checks rely on them):

* ``access_keys`` comes from the credential report (one row per *existing* key: a slot whose
  ``last_rotated`` is a date; slots with ``N/A`` hold no key). The root user's keys are not in
  this table; root checks read the ``<root_account>`` row.
* ``users.has_console_password`` / ``users.mfa_active`` come from the credential report; they are
  ``<NA>`` when the bundle has no credential report (e.g. an offline export without one), and the
  checks that need them call :attr:`AccountModel.credential_report` first, which raises.
* ``mfa_devices`` lists assigned virtual devices (``ListVirtualMFADevices``) and, for every user
  whose ``mfa_active`` is true without an assigned virtual device, one inferred ``hardware`` row
  (serial unknown: a hardware TOTP token or a FIDO security key/passkey).
* Service-linked roles (path ``/aws-service-role/``) and IAM Identity Center roles (path
  ``/aws-reserved/sso.amazonaws.com/``, name ``AWSReservedSSO_*``) are flagged on ``roles``; AWS
  owns their trust and permissions, so checks skip them and say so.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from iamkit.errors import EvidenceError
from iamkit.evidence import (  # the bundle layout
    ACCOUNT_ALIASES,
    ACCOUNT_SUMMARY,
    AUTHORIZATION_DETAILS,
    CREDENTIAL_REPORT,
    CREDENTIAL_REPORT_META,
    ORGANIZATIONS_FEATURES,
    PASSWORD_POLICY,
    PROVIDERS,
    REGIONS,
    ROOT_ACTIVITY,
    SERVER_CERTIFICATES,
    VIRTUAL_MFA_DEVICES,
    Bundle,
    context_reads,
)
from iamkit.policy import PolicyError, analyze_trust_policy
from iamkit.policy.trust import lacks_confused_deputy_protection

ROOT_USER = "<root_account>"
#: ListOrganizationsFeatures errors that tell the account is not in an organization / is in one
STANDALONE_CODES = frozenset({"AWSOrganizationsNotInUseException", "OrganizationNotFoundException"})
MEMBER_CODES = frozenset({"AccountNotManagementOrDelegatedAdministratorException",
                          "OrganizationNotInAllFeaturesModeException", "ServiceAccessNotEnabledException"})
#: ...and those that mean centralized root access is not enabled for the organization
FEATURE_OFF_CODES = frozenset({"OrganizationNotInAllFeaturesModeException", "ServiceAccessNotEnabledException"})
SERVICE_LINKED_PATH = "/aws-service-role/"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"

_CRED_DATE_COLUMNS = [
    "user_creation_time", "password_last_used", "password_last_changed", "password_next_rotation",
    "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_2_last_rotated", "access_key_2_last_used_date",
    "cert_1_last_rotated", "cert_2_last_rotated",
]
_CRED_BOOL_COLUMNS = ["password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active",
                      "cert_1_active", "cert_2_active"]
_NO_DATE = ["N/A", "no_information", "not_supported"]


class MissingEvidence(Exception):
    """A fact a check needs is not in the bundle; ``str()`` says which file and why."""

    def __init__(self, bundle: Bundle, relpath: str) -> None:
        self.relpath = relpath
        super().__init__(f"{relpath}: {bundle.missing_reason(relpath)}")


_PARTITION_RE = re.compile(r"arn:(aws[a-z0-9-]*):")


def partition_of(bundle: Bundle) -> str:
    """The partition named by the first ARN of the caller identity, credential report or GAAD."""
    identity = bundle.manifest.get("caller_identity") or {}
    sources: list[Any] = [identity.get("Arn")]
    with context_reads():  # locating the account, not evidence a verdict rests on
        for rel in (CREDENTIAL_REPORT, AUTHORIZATION_DETAILS):
            if not bundle.has(rel):
                continue
            try:
                sources.append(bundle.read_bytes(rel)[:65536].decode("utf-8", "replace"))
            except EvidenceError:  # an altered file: every check that reads it says ERROR; try the next source
                continue
    for text in sources:
        m = _PARTITION_RE.search(text) if isinstance(text, str) else None
        if m:
            return m.group(1)
    return "aws"


def analyzer_file(region: str) -> str:
    return f"access_analyzer/{region}.json"


def _dt(values: Any, strict: str | None = None) -> pd.Series:
    """Strings/datetimes -> UTC timestamps (NaT for empty values and AWS's N/A markers). With ``strict``
    (a phrase naming the file and field), a value that is not a date raises :class:`EvidenceError`
    instead of becoming NaT, so a fact a check needs never silently vanishes."""
    s = pd.Series(values, dtype="object")
    if s.empty:
        return pd.Series([], dtype="datetime64[ns, UTC]")
    text = s.astype("string").where(~s.astype("string").isin(_NO_DATE))
    out = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if strict is not None:
        bad = text.notna() & (text.str.strip() != "") & out.isna()
        if bool(bad.any()):
            raise EvidenceError(f"{strict}: {int(bad.sum())} value(s) are not dates (e.g. {text[bad].iloc[0]!r})")
    return out


def _doc(value: Any) -> dict[str, Any]:
    """A policy document as a dict: the raw IAM API URL-encodes documents; the CLI and boto3 decode them."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        text = urllib.parse.unquote(value) if value.lstrip().startswith("%") else value
        try:
            out = json.loads(text)
        except ValueError:
            out = json.loads(urllib.parse.unquote(value))
        return out if isinstance(out, dict) else {}
    return {}


def _frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)


def _days(now: datetime, ts: pd.Series) -> pd.Series:
    """Whole days from ``ts`` to ``now`` (float, NaN where ``ts`` is NaT)."""
    return np.floor((pd.Timestamp(now) - ts).dt.total_seconds() / 86400.0)


class AccountModel:
    """Lazy tables of one account bundle. ``now`` is the collection time, never the wall clock.

    ``org`` (an :class:`OrgModel`), ``trusted_account_ids`` and ``known_vendor_accounts`` classify the
    accounts named in role trust policies (``trust.relation``).
    """

    def __init__(self, bundle: Bundle, org: OrgModel | None = None, trusted_account_ids: Any = (),
                 known_vendor_accounts: dict[str, str] | None = None) -> None:
        self.bundle = bundle
        self.account_id = bundle.account_id
        self.now: datetime = bundle.collected_at
        self.org = org
        self.trusted_account_ids = frozenset(str(a) for a in trusted_account_ids)
        self.known_vendor_accounts = dict(known_vendor_accounts or {})

    def require(self, relpath: str) -> None:
        if not self.bundle.has(relpath):
            raise MissingEvidence(self.bundle, relpath)

    def json(self, relpath: str) -> Any:
        self.require(relpath)
        return self.bundle.json(relpath)

    def ref(self, relpath: str, locator: str = "") -> dict[str, Any]:
        return self.bundle.ref(relpath, locator)

    @cached_property
    def partition(self) -> str:
        """The AWS partition (``aws``, ``aws-us-gov``, ``aws-cn`` ...) of the account, read from the
        evidence: the caller identity ARN in the manifest, else the credential report's ARNs, else the
        ARNs in GAAD. ``aws`` only when no ARN at all is in the bundle (nothing is then built on it but
        the root ARN that names the account's findings)."""
        return partition_of(self.bundle)

    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def is_root_arn(self, arn: Any) -> bool:
        """True for this account's root user ARN in any partition."""
        return isinstance(arn, str) and bool(re.fullmatch(rf"arn:[a-z0-9-]+:iam::{self.account_id}:root", arn))

    # -- credential report --------------------------------------------------------------------
    @cached_property
    def credential_report(self) -> pd.DataFrame:
        """One row per user incl. ``<root_account>``. Date columns are UTC timestamps (NaT where AWS
        wrote N/A, no_information or not_supported); the raw strings stay in ``<col>_raw`` and
        ``<col>_invalid`` is True where the raw value is neither a date nor one of those markers.
        Boolean columns are True/False, or NA where AWS wrote not_supported."""
        self.require(CREDENTIAL_REPORT)
        rows = self.bundle.csv_rows(CREDENTIAL_REPORT)
        df = pd.DataFrame(rows, dtype="string")
        if df.empty:
            df = pd.DataFrame(columns=["user", "arn"], dtype="string")
        for col in _CRED_DATE_COLUMNS:
            if col in df:
                df[f"{col}_raw"] = df[col]
                df[col] = pd.to_datetime(df[col].where(~df[col].isin(_NO_DATE)),
                                         utc=True, errors="coerce", format="ISO8601")
                # a value that is neither a date nor one of AWS's markers: checks say ERROR, never skip it
                df[f"{col}_invalid"] = (df[col].isna() & df[f"{col}_raw"].notna()
                                        & ~df[f"{col}_raw"].isin(_NO_DATE)).astype(bool)
        for col in _CRED_BOOL_COLUMNS:
            if col in df:
                df[col] = df[col].str.lower().map({"true": True, "false": False}).astype("boolean")
        return df

    @cached_property
    def credential_report_generated(self) -> datetime | None:
        if not self.bundle.has(CREDENTIAL_REPORT_META):
            return None
        value = self.bundle.json(CREDENTIAL_REPORT_META).get("GeneratedTime")
        return pd.Timestamp(value).to_pydatetime() if value else None

    def credential_report_note(self, cache_hours: int = 4) -> str:
        """A sentence on how fresh the credential report is (AWS serves a cached report younger than
        ``cache_hours`` hours instead of generating a new one)."""
        gen = self.credential_report_generated
        if gen is None:
            return " The credential report's generation time is unknown."
        age_h = (self.now - gen).total_seconds() / 3600
        if age_h < cache_hours:
            return (f" The credential report was generated {age_h * 60:.0f} min before collection "
                    f"({gen:%Y-%m-%d %H:%M} UTC); AWS serves a cached report younger than {cache_hours} hours, "
                    "so changes after that time are not reflected.")
        return f" The credential report was generated {age_h:.1f} h before collection ({gen:%Y-%m-%d %H:%M} UTC)."

    def root_row(self) -> dict[str, Any] | None:
        df = self.credential_report
        rows = df[df["user"] == ROOT_USER]
        return None if rows.empty else rows.iloc[0].to_dict()

    def cred_users(self) -> pd.DataFrame:
        """Credential report rows of IAM users (root excluded)."""
        df = self.credential_report
        return df[df["user"] != ROOT_USER]

    # -- account summary, aliases, features ------------------------------------------------------
    @cached_property
    def account_summary(self) -> dict[str, Any]:
        data = self.json(ACCOUNT_SUMMARY)
        return dict(data.get("SummaryMap", data))

    @cached_property
    def account_alias(self) -> str | None:
        aliases = self.json(ACCOUNT_ALIASES).get("AccountAliases") or []
        return aliases[0] if aliases else None

    @cached_property
    def organizations_features(self) -> list[str]:
        """EnabledFeatures of ListOrganizationsFeatures (e.g. RootCredentialsManagement, RootSessions)."""
        return list(self.json(ORGANIZATIONS_FEATURES).get("EnabledFeatures") or [])

    # -- authorization details ----------------------------------------------------------------
    @cached_property
    def gaad(self) -> dict[str, Any]:
        data = self.json(AUTHORIZATION_DETAILS)
        if not isinstance(data, dict):
            raise MissingEvidence(self.bundle, AUTHORIZATION_DETAILS)
        return data

    @cached_property
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

    @cached_property
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

    @cached_property
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

    @cached_property
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

    @cached_property
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

    @cached_property
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

    @cached_property
    def group_members(self) -> pd.DataFrame:
        """user_arn, user_name, group_name, group_arn."""
        t = self.users[["arn", "user_name", "groups"]].explode("groups")
        t = t[t["groups"].notna()].rename(columns={"arn": "user_arn", "groups": "group_name"})
        return t.merge(self.groups[["group_name", "arn"]].rename(columns={"arn": "group_arn"}),
                       on="group_name", how="left").reset_index(drop=True)

    # -- credentials ---------------------------------------------------------------------------
    @cached_property
    def access_keys(self) -> pd.DataFrame:
        """One row per existing access key of an IAM user (root excluded), from the credential report.

        A key exists when ``last_rotated`` is a date, or when it is neither a date nor N/A (an
        unreadable value): such a row has ``date_error`` set (``column='value'``) and the checks give
        it an ERROR instead of dropping it."""
        cr = self.cred_users()
        frames = []
        for slot in (1, 2):
            p = f"access_key_{slot}_"
            errors = pd.Series("", index=cr.index, dtype="object")
            for col in (f"{p}last_rotated", f"{p}last_used_date"):
                bad = cr[f"{col}_invalid"] if f"{col}_invalid" in cr else pd.Series(False, index=cr.index)
                errors = errors.where(~bad, errors + col + "=" + cr[f"{col}_raw"].astype(str).map(repr) + " ")
            f = pd.DataFrame({
                "user_name": cr["user"], "user_arn": cr["arn"], "slot": slot,
                "active": cr[f"{p}active"], "last_rotated": cr[f"{p}last_rotated"],
                "last_used": cr[f"{p}last_used_date"], "last_used_raw": cr[f"{p}last_used_date_raw"],
                "last_used_service": cr.get(f"{p}last_used_service"),
                "user_creation_time": cr["user_creation_time"], "has_console_password": cr["password_enabled"],
                "date_error": errors.str.strip(),
            })
            frames.append(f[f["last_rotated"].notna() | (f["date_error"] != "")])
        df = pd.concat(frames, ignore_index=True)
        df["active"] = df["active"].astype("boolean")
        df["age_days"] = _days(self.now, df["last_rotated"])
        df["days_since_use"] = _days(self.now, df["last_used"])
        df["resource_arn"] = df["user_arn"] + "#access_key_" + df["slot"].astype(str)
        return df.sort_values(["user_arn", "slot"]).reset_index(drop=True)

    @cached_property
    def virtual_mfa_devices(self) -> pd.DataFrame:
        cols = ["serial", "user_arn", "enable_date"]
        recs = [{"serial": d.get("SerialNumber"), "user_arn": (d.get("User") or {}).get("Arn"),
                 "enable_date": d.get("EnableDate")}
                for d in self.json(VIRTUAL_MFA_DEVICES).get("VirtualMFADevices") or []]
        df = _frame(recs, cols)
        df["enable_date"] = _dt(df["enable_date"])
        return df

    @cached_property
    def mfa_devices(self) -> pd.DataFrame:
        """serial, user_arn, kind virtual|hardware, enable_date (see the module docstring)."""
        v = self.virtual_mfa_devices
        assigned = v[v["user_arn"].notna()].assign(kind="virtual")
        cr = self.credential_report
        with_mfa = cr[cr["mfa_active"].fillna(False).astype(bool)]
        # root's virtual device is listed with User.Arn = the root ARN, serial .../root-account-mfa-device
        root_virtual = assigned["serial"].astype("string").str.endswith(":mfa/root-account-mfa-device").fillna(False)
        root_virtual |= assigned["user_arn"].map(self.is_root_arn).astype(bool)
        virtual_arns = set(assigned["user_arn"]) | ({self.root_arn()} if bool(root_virtual.any()) else set())
        hw = with_mfa[~with_mfa["arn"].isin(virtual_arns)]
        hardware = pd.DataFrame({"serial": None, "user_arn": hw["arn"], "kind": "hardware", "enable_date": pd.NaT})
        return pd.concat([assigned[["serial", "user_arn", "kind", "enable_date"]], hardware], ignore_index=True)

    # -- other IAM -----------------------------------------------------------------------------
    @cached_property
    def password_policy(self) -> dict[str, Any] | None:
        """The account password policy, or None when the account has none (NoSuchEntity)."""
        data = self.json(PASSWORD_POLICY)
        return data.get("PasswordPolicy") if isinstance(data, dict) else None

    @cached_property
    def providers(self) -> pd.DataFrame:
        data = self.json(PROVIDERS)
        recs = [{"arn": p.get("Arn"), "type": "SAML", "url": None, "client_ids": []}
                for p in data.get("SAMLProviderList") or []]
        for p in data.get("OpenIDConnectProviders") or data.get("OpenIDConnectProviderList") or []:
            arn = p.get("Arn", "")
            url = p.get("Url") or arn.split(":oidc-provider/", 1)[-1]
            recs.append({"arn": arn, "type": "OIDC", "url": url, "client_ids": list(p.get("ClientIDList") or [])})
        return _frame(recs, ["arn", "type", "url", "client_ids"])

    @cached_property
    def server_certificates(self) -> pd.DataFrame:
        data = self.json(SERVER_CERTIFICATES)
        recs = [{"name": c.get("ServerCertificateName"), "arn": c.get("Arn"), "expiration": c.get("Expiration")}
                for c in data.get("ServerCertificateMetadataList") or []]
        df = _frame(recs, ["name", "arn", "expiration"])
        df["expiration"] = _dt(df["expiration"])
        return df

    # -- regions, access analyzer ---------------------------------------------------------------
    @cached_property
    def enabled_regions(self) -> list[str]:
        """Regions enabled for the account (``regions.json``: DescribeRegions, or a plain list)."""
        data = self.json(REGIONS)
        if isinstance(data, dict):
            data = data.get("Regions") or data.get("regions") or []
        return sorted({r if isinstance(r, str) else r.get("RegionName") for r in data} - {None})

    @cached_property
    def regions(self) -> list[str]:
        """Regions whose per-region evidence was collected (the manifest's ``regions``; ``--regions`` may
        restrict them), else the enabled regions."""
        regions = list(self.bundle.manifest.get("regions") or [])
        return sorted(regions) if regions else self.enabled_regions

    def analyzer_region(self, region: str) -> dict[str, Any]:
        """The raw Access Analyzer file of one region (raises MissingEvidence when absent)."""
        return self.json(analyzer_file(region))

    @cached_property
    def analyzers(self) -> pd.DataFrame:
        """Analyzers of every region whose file is present (regions without a file: see ``analyzer_region``)."""
        recs = []
        for region in self.regions:
            if not self.bundle.has(analyzer_file(region)):
                continue
            for a in self.bundle.json(analyzer_file(region)).get("analyzers") or []:
                recs.append({"region": region, "name": a.get("name"), "arn": a.get("arn"),
                             "type": a.get("type"), "status": a.get("status")})
        return _frame(recs, ["region", "name", "arn", "type", "status"])

    @cached_property
    def analyzer_findings(self) -> pd.DataFrame:
        recs = []
        for region in self.regions:
            if not self.bundle.has(analyzer_file(region)):
                continue
            data = self.bundle.json(analyzer_file(region))
            for analyzer_arn, items in (data.get("findings") or {}).items():
                for f in items or []:
                    principal = f.get("principal") or {}
                    recs.append({"region": region, "analyzer_arn": analyzer_arn, "id": f.get("id"),
                                 "resource": f.get("resource"), "resource_type": f.get("resourceType"),
                                 "principal": json.dumps(principal, sort_keys=True) if principal else "",
                                 "is_public": bool(f.get("isPublic", False)), "status": f.get("status"),
                                 "finding_type": f.get("findingType")})
        return _frame(recs, ["region", "analyzer_arn", "id", "resource", "resource_type", "principal",
                             "is_public", "status", "finding_type"])

    # -- CloudTrail root activity -------------------------------------------------------------
    @cached_property
    def root_activity(self) -> dict[str, Any]:
        return self.json(ROOT_ACTIVITY)

    @cached_property
    def root_events(self) -> pd.DataFrame:
        recs = []
        for region, events in (self.root_activity.get("regions") or {}).items():
            for e in events or []:
                detail = e.get("CloudTrailEvent")
                detail = json.loads(detail) if isinstance(detail, str) and detail else (detail or {})
                recs.append({"event_time": e.get("EventTime"), "region": region, "event_name": e.get("EventName"),
                             "source_ip": detail.get("sourceIPAddress", ""),
                             "user_agent": detail.get("userAgent", "")})
        df = _frame(recs, ["event_time", "region", "event_name", "source_ip", "user_agent"])
        df["event_time"] = _dt(df["event_time"], strict=f"{ROOT_ACTIVITY} EventTime")
        return df.sort_values("event_time", ascending=False).reset_index(drop=True)

    # -- role trust -----------------------------------------------------------------------------
    def membership(self) -> tuple[str, str, list[dict[str, Any]]]:
        """(``member`` | ``standalone``, one-phrase reason, evidence refs) of this account's organization
        membership; raises MissingEvidence when neither the organization bundle nor this account's
        ``ListOrganizationsFeatures`` answer tells."""
        if self.org is not None and self.account_id in set(self.org.accounts["id"]):
            return ("member", f"listed in organization {self.org.organization_id or '(id unknown)'}",
                    [self.org.ref("accounts.json", f"Id={self.account_id}")])
        if self.bundle.has(ORGANIZATIONS_FEATURES):
            data = self.bundle.json(ORGANIZATIONS_FEATURES)
            return ("member", f"ListOrganizationsFeatures answered for organization {data.get('OrganizationId', '?')}",
                    [self.ref(ORGANIZATIONS_FEATURES)])
        for err in self.bundle.errors:
            if err.get("file") != ORGANIZATIONS_FEATURES:
                continue
            code = str(err.get("code"))
            if code in STANDALONE_CODES:
                return ("standalone", f"ListOrganizationsFeatures answered {code} (the account is not in an "
                        "organization)", [])
            if code in MEMBER_CODES:
                return ("member", f"ListOrganizationsFeatures answered {code} (the account belongs to an "
                        "organization)", [])
        raise MissingEvidence(self.bundle, ORGANIZATIONS_FEATURES)

    def org_account_ids(self) -> frozenset[str]:
        return frozenset(self.org.accounts["id"]) if self.org is not None else frozenset()

    @cached_property
    def _trust_parsed(self) -> tuple[pd.DataFrame, dict[str, str]]:
        cols = ["role_arn", "role_name", "statement_index", "principal_kind", "principal", "account_id",
                "service", "provider", "provider_host", "actions", "restricted_by", "sub_restricted",
                "aud_restricted", "condition_summary", "confused_deputy_unprotected", "identity_restricted"]
        cache: dict[str, list[tuple[Any, ...]] | str] = {}
        recs: list[tuple[Any, ...]] = []
        errors: dict[str, str] = {}
        roles = self.roles
        for arn, name, doc in zip(roles["arn"], roles["role_name"], roles["trust_policy"], strict=True):
            key = json.dumps(doc, sort_keys=True)
            if key not in cache:  # roles often share one trust policy: analyse each distinct one once
                try:
                    cache[key] = [(e.statement_index, e.principal_kind, e.principal, e.account_id, e.service,
                                   e.provider, e.provider_host, e.actions, e.restricted_by, e.sub_restricted,
                                   e.aud_restricted, e.condition_summary, lacks_confused_deputy_protection(e),
                                   e.identity_restricted)
                                  for e in analyze_trust_policy(doc)]
                except PolicyError as exc:
                    cache[key] = str(exc)
            entries = cache[key]
            if isinstance(entries, str):
                errors[arn] = entries
                continue
            recs.extend((arn, name, *e) for e in entries)
        return _frame([dict(zip(cols, r, strict=True)) for r in recs], cols), errors

    @property
    def trust_errors(self) -> dict[str, str]:
        """role ARN -> why its trust policy could not be parsed."""
        return self._trust_parsed[1]

    @cached_property
    def trust(self) -> pd.DataFrame:
        """One row per trusted principal of a role trust policy (Allow statements that permit an
        ``sts:AssumeRole*`` action), from :func:`iamkit.policy.analyze_trust_policy`.

        ``relation``: ``any`` (anyone), ``service``, ``federated`` (SAML/OIDC), and for AWS principals
        ``same_account``, ``organization`` (an account of the OrgModel), ``trusted``
        (``trusted_account_ids``), ``vendor`` (``known_vendor_accounts``) or ``unknown`` (anything else,
        incl. a deleted principal's unique id)."""
        df = self._trust_parsed[0].copy()
        kind = df["principal_kind"]
        acct = df["account_id"]
        relation = np.select(
            [kind == "any", kind == "service", kind == "federated", acct == self.account_id,
             acct.isin(self.org_account_ids()), acct.isin(self.trusted_account_ids),
             acct.isin(set(self.known_vendor_accounts))],
            ["any", "service", "federated", "same_account", "organization", "trusted", "vendor"], default="unknown")
        df["relation"] = relation
        df["vendor"] = acct.map(self.known_vendor_accounts)
        return df


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
        if not self._mgmt and self.bundle.has("organizations/organization.json"):
            o = self.organization
            self._mgmt = str(o.get("MasterAccountId") or o.get("ManagementAccountId") or "")
        return self._mgmt

    @property
    def organization_id(self) -> str:
        if not self._org_id and self.bundle.has("organizations/organization.json"):
            self._org_id = str(self.organization.get("Id") or "")
        return self._org_id

    def json(self, name: str) -> Any:
        rel = f"organizations/{name}"
        if not self.bundle.has(rel):
            raise MissingEvidence(self.bundle, rel)
        return self.bundle.json(rel)

    def ref(self, name: str, locator: str = "") -> dict[str, Any]:
        return self.bundle.ref(f"organizations/{name}", locator)

    @staticmethod
    def _items(data: Any, *keys: str) -> list[dict[str, Any]]:
        if isinstance(data, list):
            return data
        for k in keys:
            if isinstance(data, dict) and k in data:
                return list(data[k] or [])
        return []

    @cached_property
    def organization(self) -> dict[str, Any]:
        data = self.json("organization.json")
        return data.get("Organization", data)

    @cached_property
    def roots(self) -> list[dict[str, Any]]:
        return self._items(self.json("roots.json"), "Roots")

    @property
    def root_id(self) -> str:
        return self.roots[0]["Id"] if self.roots else ""

    def policy_type_enabled(self, policy_type: str = "SERVICE_CONTROL_POLICY") -> bool:
        data = self.json("roots.json")
        types = [t for r in self.roots for t in r.get("PolicyTypes") or []]
        if isinstance(data, dict) and "enabled_policy_types" in data:
            enabled = data["enabled_policy_types"]
            if isinstance(enabled, list):
                types += [{"Type": t, "Status": "ENABLED"} if isinstance(t, str) else t for t in enabled]
        wanted = [t for t in types if t.get("Type") == policy_type]
        if any("Status" not in t for t in wanted):
            raise EvidenceError(f"organizations/roots.json: the {policy_type} policy type has no Status, so whether "
                                "it is enabled is unknown")
        return any(t["Status"] == "ENABLED" for t in wanted)

    @cached_property
    def ous(self) -> pd.DataFrame:
        items = self._items(self.json("ous.json"), "OrganizationalUnits", "ous", "OUs")
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

    @cached_property
    def accounts(self) -> pd.DataFrame:
        data = self.json("accounts.json")
        items = self._items(data, "Accounts")
        parents = data.get("Parents", {}) if isinstance(data, dict) else {}
        recs = [{"id": str(a.get("Id")), "name": a.get("Name"), "email": a.get("Email"),
                 "status": a.get("Status") or a.get("State"),
                 "parent_id": a.get("ParentId") or a.get("Parent") or parents.get(str(a.get("Id")))}
                for a in items]
        df = _frame(recs, ["id", "name", "email", "status", "parent_id"])
        ou_paths = dict(zip(self.ous["id"], self.ous["path"], strict=True)) if self.bundle.has(
            "organizations/ous.json") else {}
        root = self.root_id if self.bundle.has("organizations/roots.json") else ""
        # directly under the root: "/"; under an OU missing from ous.json: None (unknown, never "/")
        df["ou_path"] = df["parent_id"].map(
            lambda p: "/" if isinstance(p, str) and (p == root or p.startswith("r-")) else ou_paths.get(p)
            if isinstance(p, str) else None)
        return df

    @cached_property
    def policies(self) -> pd.DataFrame:
        items = self._items(self.json("policies.json"), "Policies", "policies")
        recs = []
        for p in items:
            s = p.get("PolicySummary", p)
            content = p.get("Content", s.get("Content"))
            recs.append({"id": s.get("Id"), "arn": s.get("Arn"), "name": s.get("Name"), "type": s.get("Type"),
                         "aws_managed": bool(s.get("AwsManaged", False)), "document": _doc(content)})
        return _frame(recs, ["id", "arn", "name", "type", "aws_managed", "document"])

    @cached_property
    def targets(self) -> pd.DataFrame:
        data = self.json("targets.json")
        recs = [{"policy_id": pid, "target_id": t.get("TargetId"), "target_type": t.get("Type")}
                for pid, ts in (data or {}).items() for t in ts or []]
        return _frame(recs, ["policy_id", "target_id", "target_type"])

    @cached_property
    def _parents(self) -> dict[str, str | None]:
        """account or OU id -> parent id (root for top-level ones)."""
        out: dict[str, str | None] = dict(zip(self.ous["id"], self.ous["parent_id"], strict=True))
        out.update(zip(self.accounts["id"], self.accounts["parent_id"], strict=True))
        return out

    @cached_property
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
                raise EvidenceError(f"organizations/ous.json: OU {cur} (on the path of account {account_id}) is "
                                    "missing, so the policies above it are unknown")
            seen.add(cur)
            chain.append(cur)
            cur = parents.get(cur)
        if not isinstance(cur, str) or not cur:
            raise EvidenceError(f"organizations: the parent of {chain[-1]} (on the path of account {account_id}) "
                                "is unknown")
        if root and chain[-1] != root:
            chain.append(root)
        return list(reversed(chain))

    @cached_property
    def _policy_rows(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.policies.to_dict("records")}

    def scp_chain(self, account_id: str, policy_type: str = "SERVICE_CONTROL_POLICY") -> list[list[dict[str, Any]]]:
        """Policies of ``policy_type`` attached at each level (root, OU..., account), as dict rows."""
        rows = self._policy_rows
        chain = self.account_chain(account_id)
        absent = sorted({i for target in chain for i in self._policies_at.get(target, []) if i not in rows})
        if absent:
            raise EvidenceError(f"organizations/policies.json lacks {', '.join(absent)}, attached (targets.json) on "
                                f"the path of account {account_id}")
        return [[rows[i] for i in self._policies_at.get(target, []) if rows[i]["type"] == policy_type]
                for target in chain]
