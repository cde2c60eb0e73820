"""Root user checks (CIS AWS Foundations 7.0 section 2: 2.1.1, 2.4-2.7).

What each check reads, what one finding is about and when it says which status:
``root.metadata.yaml`` beside this module (rendered in docs/checks.md).

"Root has credentials" means: a password (``password_enabled`` true, or ``not_supported`` with a
``password_last_used`` other than ``N/A``: AWS writes ``no_information`` for a password never used
and ``N/A`` when there is no password), an access key (active or not), an active signing certificate
or an MFA device. A member account whose root has none of them while the organization has
``RootCredentialsManagement`` enabled is centrally managed: root MFA does not apply (NOT_APPLICABLE).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from iamkit.checks.registry import CheckContext, check
from iamkit.errors import EvidenceError
from iamkit.findings import Finding, Status
from iamkit.model import (
    ACCOUNT_SUMMARY,
    CREDENTIAL_REPORT,
    FEATURE_OFF_CODES,
    ORGANIZATIONS_FEATURES,
    ROOT_ACTIVITY,
    ROOT_USER,
    VIRTUAL_MFA_DEVICES,
    MissingEvidence,
)

ROOT_MGMT_FEATURE = "RootCredentialsManagement"


def _true(v: Any) -> bool:
    return v is not None and not pd.isna(v) and bool(v)


def root_credentials(row: dict[str, Any]) -> list[str]:
    """The kinds of credential the root row shows (empty: root has no credentials)."""
    out = []
    if "password_last_used_raw" not in row or "password_enabled" not in row:
        raise EvidenceError("the credential report has no password_enabled/password_last_used column, so whether "
                            "the root user has a password is unknown")
    pw_raw = row["password_last_used_raw"]
    # AWS: password_enabled is always not_supported for root; password_last_used is N/A when the user has
    # no password, no_information when it was never used (or before 2014-10-20), else a date
    if _true(row.get("password_enabled")) or (pd.isna(row.get("password_enabled")) and str(pw_raw) != "N/A"):
        out.append("password")
    for slot in (1, 2):
        if _true(row.get(f"access_key_{slot}_active")) or not pd.isna(row.get(f"access_key_{slot}_last_rotated")):
            out.append(f"access key {slot}")
    for slot in (1, 2):
        if _true(row.get(f"cert_{slot}_active")):
            out.append(f"signing certificate {slot}")
    if _true(row.get("mfa_active")):
        out.append("MFA device")
    return out


def central_root_management(ctx: CheckContext) -> tuple[bool | None, str, list[dict[str, Any]]]:
    """(enabled?, phrase, evidence): whether the organization has RootCredentialsManagement on.
    None when unknown (no ListOrganizationsFeatures answer for this account or its organization)."""
    acct = ctx.account
    if acct.bundle.has(ORGANIZATIONS_FEATURES):
        feats = acct.organizations_features
        return (ROOT_MGMT_FEATURE in feats, f"organization features: {', '.join(feats) or 'none'}",
                [acct.ref(ORGANIZATIONS_FEATURES, "EnabledFeatures")])
    if ctx.org is not None and ctx.org.features is not None:
        return (ROOT_MGMT_FEATURE in ctx.org.features,
                f"organization features (management account): {', '.join(ctx.org.features) or 'none'}",
                [ctx.org.features_ref] if ctx.org.features_ref else [])
    for err in acct.bundle.errors:
        if err.get("file") == ORGANIZATIONS_FEATURES and err.get("code") in FEATURE_OFF_CODES:
            return False, f"ListOrganizationsFeatures answered {err['code']}: {err.get('message', '')}", []
    return None, f"{ORGANIZATIONS_FEATURES}: {acct.bundle.missing_reason(ORGANIZATIONS_FEATURES)}", []


def _root(ctx: CheckContext) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """The credential report's root row, the root ARN and the row's evidence; a report without the row cannot be
    evaluated (the registry turns the error into one ERROR finding on the root ARN)."""
    acct = ctx.account
    row = acct.root_row()
    if row is None:
        raise EvidenceError(f"the credential report has no {ROOT_USER} row")
    return row, acct.root_arn(), [acct.ref(CREDENTIAL_REPORT, f"user={ROOT_USER}")]


def _centrally_managed_without_credentials(ctx: CheckContext, row: dict[str, Any]) -> str | None:
    """A phrase when root has no credentials under centralized root management, else None."""
    if root_credentials(row):
        return None
    enabled, phrase, _ = central_root_management(ctx)
    if enabled:
        return f"The root user has no credentials and the organization manages root access centrally ({phrase})."
    return None


@check("iam.root.access_keys_absent")
def root_access_keys_absent(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    arn = acct.root_arn()
    facts, ev, present = [], [], False
    have_cr = acct.bundle.has(CREDENTIAL_REPORT)
    if have_cr:
        row = acct.root_row()
        if row is None:
            yield ctx.error(f"the credential report has no {ROOT_USER} row", resource_arn=arn)
            return
        keys = [k for k in root_credentials(row) if k.startswith("access key")]
        present = present or bool(keys)
        states = [("active" if _true(row.get(f"access_key_{k[-1]}_active")) else "inactive") for k in keys]
        facts.append("credential report: " + (", ".join(f"{k} ({st})" for k, st in zip(keys, states, strict=True))
                                               if keys else "no access keys"))
        ev.append(acct.ref(CREDENTIAL_REPORT, f"user={ROOT_USER} columns=access_key_*"))
    if acct.bundle.has(ACCOUNT_SUMMARY):
        n = acct.account_summary.get("AccountAccessKeysPresent")
        if n is not None:
            present = present or int(n) > 0
            facts.append(f"account summary AccountAccessKeysPresent={n}")
            ev.append(acct.ref(ACCOUNT_SUMMARY, "SummaryMap.AccountAccessKeysPresent"))
    if not facts:
        raise MissingEvidence(acct.bundle, CREDENTIAL_REPORT)
    status = Status.FAIL if present else Status.PASS
    text = "The root user has access keys" if present else "The root user has no access keys"
    yield ctx.finding(status, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                      detail=f"{text} ({'; '.join(facts)}).")


@check("iam.root.mfa_enabled")
def root_mfa_enabled(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    row, arn, ev = _root(ctx)
    ev = [acct.ref(CREDENTIAL_REPORT, f"user={ROOT_USER} column=mfa_active")]
    mfa = row.get("mfa_active")
    summary_mfa = None
    if acct.bundle.has(ACCOUNT_SUMMARY):
        summary_mfa = acct.account_summary.get("AccountMFAEnabled")
        ev.append(acct.ref(ACCOUNT_SUMMARY, "SummaryMap.AccountMFAEnabled"))
    facts = f"credential report mfa_active={str(row.get('mfa_active')).lower()}" + (
        f", account summary AccountMFAEnabled={summary_mfa}" if summary_mfa is not None else "")
    if mfa is None or pd.isna(mfa):
        yield ctx.error(f"mfa_active of {ROOT_USER} is '{row.get('mfa_active')}'", resource_arn=arn)
    elif bool(mfa):
        yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"The root user has an MFA device ({facts}).")
    elif (why := _centrally_managed_without_credentials(ctx, row)) is not None:
        yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"{why} Nobody can sign in as root, so root MFA does not apply ({facts}).")
    else:
        creds = root_credentials(row)
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"The root user has no MFA device ({facts}); root credentials: "
                                 f"{', '.join(creds) or 'none visible, but root access is not centrally managed'}.")


@check("iam.root.hardware_mfa")
def root_hardware_mfa(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    row, arn, ev = _root(ctx)
    mfa = row.get("mfa_active")
    if mfa is None or pd.isna(mfa):
        yield ctx.error(f"mfa_active of {ROOT_USER} is '{mfa}'", resource_arn=arn)
        return
    if not bool(mfa):
        if (why := _centrally_managed_without_credentials(ctx, row)) is not None:
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                              detail=f"{why} Root MFA does not apply.")
        else:
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                              detail="The root user has no MFA device at all, hence no hardware MFA "
                                     "(credential report mfa_active=false).")
        return
    virt = acct.virtual_mfa_devices
    # the root user's virtual device, whatever its name and partition (User.Arn is the root ARN)
    root_virtual = virt[virt["user_arn"].map(acct.is_root_arn).astype(bool)
                        | virt["serial"].astype("string").str.endswith(":mfa/root-account-mfa-device").fillna(False)]
    ev.append(acct.ref(VIRTUAL_MFA_DEVICES, "VirtualMFADevices[User.Arn=root]"))
    if root_virtual.empty:
        yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail="The root user has MFA and no virtual MFA device is assigned to it, so the device "
                                 "is a hardware token or security key.")
    else:
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"The root user's MFA is a virtual device ({root_virtual.iloc[0]['serial']}).")


@check("iam.root.recent_use")
def root_recent_use(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    row, arn, ev = _root(ctx)
    window = ctx.thresholds.root_usage_window_days
    since = pd.Timestamp(acct.now) - pd.Timedelta(days=window)
    unreadable = [f"{c}={row.get(c + '_raw')!r}" for c in ("password_last_used", "access_key_1_last_used_date",
                                                            "access_key_2_last_used_date") if row.get(c + "_invalid")]
    if unreadable:
        yield ctx.error(f"the root user's last-use dates are unreadable ({', '.join(unreadable)})", resource_arn=arn)
        return
    uses = []
    for col, what in (("password_last_used", "password (console sign-in)"),
                      ("access_key_1_last_used_date", "access key 1"), ("access_key_2_last_used_date", "access key 2")):
        ts = row.get(col)
        if ts is not None and not pd.isna(ts) and ts >= since:
            uses.append(f"{what} last used {ts:%Y-%m-%d %H:%M} UTC ({(pd.Timestamp(acct.now) - ts).days} days ago)")
    events_txt, ct_note = "", ""
    if acct.bundle.has(ROOT_ACTIVITY):
        ev.append(acct.ref(ROOT_ACTIVITY, "regions.*"))
        events = acct.root_events
        recent = events[events["event_time"] >= since]
        if not recent.empty:
            shown = "; ".join(f"{r.event_time:%Y-%m-%d %H:%M} {r.event_name} from {r.source_ip or '?'} ({r.region})"
                              for r in recent.head(10).itertuples())
            more = f" and {len(recent) - 10} more" if len(recent) > 10 else ""
            uses.append(f"{len(recent)} CloudTrail root event(s): {shown}{more}")
        failed_regions = sorted({e.get("region", "?") for e in acct.bundle.errors
                                 if e.get("operation") == "LookupEvents"})
        if failed_regions:
            ct_note = f" CloudTrail lookup failed in {', '.join(failed_regions)}."
    else:
        ct_note = (f" CloudTrail root events are not available ({acct.bundle.missing_reason(ROOT_ACTIVITY)}); "
                   "the verdict rests on the credential report alone.")
    if uses:
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"The root user was used within the last {window} days: {'; '.join(uses)}.{ct_note}"
                                 + ctx.cr_note())
    else:
        last = row.get("password_last_used_raw")
        yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"No root sign-in, key use or CloudTrail root event within the last {window} days "
                                 f"(password_last_used={last}).{events_txt}{ct_note}" + ctx.cr_note())


@check("org.root.centralized_management")
def org_root_centralized(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    arn = acct.root_arn()
    kind, why, ev = acct.membership()
    if kind == "standalone":
        yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"Centralized root access needs AWS Organizations; {why}.")
        return
    mgmt_id = ctx.org.management_account_id if ctx.org is not None else ""
    enabled, phrase, fev = central_root_management(ctx)
    if acct.account_id == mgmt_id and enabled is not None:
        # the organization-level control lives here: is the feature enabled for the members?
        yield ctx.finding(Status.PASS if enabled else Status.FAIL, resource_arn=arn, resource_type="AwsAccount",
                          evidence=ev + fev,
                          detail=("This is the management account: the organization manages member root access "
                                  if enabled else "This is the management account: the organization does not manage "
                                  "member root access ") + f"centrally ({phrase}). The management root itself keeps "
                                  "its credentials; the other root checks cover it.")
        return
    if enabled is None:
        yield ctx.error(f"whether the organization manages root access centrally is unknown ({phrase})",
                        resource_arn=arn)
        return
    ev = ev + fev
    if not enabled:
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"The organization does not manage root access centrally ({phrase}).")
        return
    row = acct.root_row()
    if row is None:
        yield ctx.error(f"the credential report has no {ROOT_USER} row", resource_arn=arn)
        return
    ev.append(acct.ref(CREDENTIAL_REPORT, f"user={ROOT_USER}"))
    creds = root_credentials(row)
    if creds:
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"Centralized root access is enabled ({phrase}) but this member's root user still "
                                 f"has credentials: {', '.join(creds)}.")
    else:
        yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"Centralized root access is enabled ({phrase}) and this member's root user has no "
                                 "password, access keys, certificates or MFA devices.")
