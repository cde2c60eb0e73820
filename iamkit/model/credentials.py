"""The credential report and what is read from it: the root row, access keys, MFA devices, freshness.

* ``access_keys`` comes from the credential report (one row per *existing* key: a slot whose
  ``last_rotated`` is a date; slots with ``N/A`` hold no key). The root user's keys are not in
  this table; root checks read the ``<root_account>`` row.
* ``mfa_devices`` lists assigned virtual devices (``ListVirtualMFADevices``) and, for every user
  whose ``mfa_active`` is true without an assigned virtual device, one inferred ``hardware`` row
  (serial unknown: a hardware TOTP token or a FIDO security key/passkey).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from iamkit.evidence import CREDENTIAL_REPORT, CREDENTIAL_REPORT_META, VIRTUAL_MFA_DEVICES
from iamkit.model.frames import _NO_DATE, BundleFacts, _days, _dt, _frame
from iamkit.reads import fact

ROOT_USER = "<root_account>"

_CRED_DATE_COLUMNS = [
    "user_creation_time", "password_last_used", "password_last_changed", "password_next_rotation",
    "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_2_last_rotated", "access_key_2_last_used_date",
    "cert_1_last_rotated", "cert_2_last_rotated",
]
_CRED_BOOL_COLUMNS = ["password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active",
                      "cert_1_active", "cert_2_active"]


class CredentialsMixin(BundleFacts):
    """Credential-report facts of :class:`~iamkit.model.AccountModel`."""

    @fact
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

    @fact
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

    @fact
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

    @fact
    def virtual_mfa_devices(self) -> pd.DataFrame:
        cols = ["serial", "user_arn", "enable_date"]
        recs = [{"serial": d.get("SerialNumber"), "user_arn": (d.get("User") or {}).get("Arn"),
                 "enable_date": d.get("EnableDate")}
                for d in self.json(VIRTUAL_MFA_DEVICES).get("VirtualMFADevices") or []]
        df = _frame(recs, cols)
        df["enable_date"] = _dt(df["enable_date"])
        return df

    @fact
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

