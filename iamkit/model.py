"""Typed tables built from one evidence bundle.

Checks read facts only through :class:`AccountModel`. When a fact's evidence is missing (not
collected, denied, not supplied with an export) the accessor raises :class:`MissingEvidence`
with the reason from the manifest; the check runner turns that into an ERROR finding, so a
check can never PASS on evidence it does not have.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

import pandas as pd

from iamkit.evidence import Bundle

CREDENTIAL_REPORT = "iam/credential_report.csv"
CREDENTIAL_REPORT_META = "iam/credential_report.json"
ACCOUNT_SUMMARY = "iam/account_summary.json"
ROOT_USER = "<root_account>"

_CRED_DATE_COLUMNS = [
    "user_creation_time", "password_last_used", "password_last_changed", "password_next_rotation",
    "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_2_last_rotated", "access_key_2_last_used_date",
    "cert_1_last_rotated", "cert_2_last_rotated",
]
_CRED_BOOL_COLUMNS = ["password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active",
                      "cert_1_active", "cert_2_active"]


class MissingEvidence(Exception):
    """A fact a check needs is not in the bundle; ``str()`` says which file and why."""

    def __init__(self, bundle: Bundle, relpath: str) -> None:
        self.relpath = relpath
        super().__init__(f"{relpath}: {bundle.missing_reason(relpath)}")


class AccountModel:
    """Lazy tables of one account bundle. ``now`` is the collection time, never the wall clock."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.account_id = bundle.account_id
        self.now: datetime = bundle.collected_at

    def require(self, relpath: str) -> None:
        if not self.bundle.has(relpath):
            raise MissingEvidence(self.bundle, relpath)

    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    # -- credential report --------------------------------------------------------------------
    @cached_property
    def credential_report(self) -> pd.DataFrame:
        """One row per user incl. ``<root_account>``. Date columns are UTC timestamps (NaT where AWS
        wrote N/A, no_information or not_supported); the raw strings stay in ``<col>_raw``.
        Boolean columns are True/False, or NA where AWS wrote not_supported."""
        self.require(CREDENTIAL_REPORT)
        rows = self.bundle.csv_rows(CREDENTIAL_REPORT)
        df = pd.DataFrame(rows, dtype="string")
        for col in _CRED_DATE_COLUMNS:
            if col in df:
                df[f"{col}_raw"] = df[col]
                df[col] = pd.to_datetime(df[col].where(~df[col].isin(["N/A", "no_information", "not_supported"])),
                                         utc=True, errors="coerce", format="ISO8601")
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

    def root_row(self) -> dict[str, Any] | None:
        df = self.credential_report
        rows = df[df["user"] == ROOT_USER]
        return None if rows.empty else rows.iloc[0].to_dict()

    # -- account summary ----------------------------------------------------------------------
    @cached_property
    def account_summary(self) -> dict[str, Any]:
        self.require(ACCOUNT_SUMMARY)
        data = self.bundle.json(ACCOUNT_SUMMARY)
        return dict(data.get("SummaryMap", data))
