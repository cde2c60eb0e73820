"""Credential rotation and hygiene (CIS 7.0 2.11, 2.12, 2.17; CIS 5.0 1.10, 1.12).

What each check reads, what one finding is about and when it says which status:
``rotation.metadata.yaml`` beside this module (rendered in docs/checks.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import CREDENTIAL_REPORT, SERVER_CERTIFICATES


def _d(ts: object) -> str:
    return "never" if ts is None or pd.isna(ts) else f"{pd.Timestamp(ts):%Y-%m-%d}"


@check("iam.access_key.rotated")
def access_key_rotated(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    limit = ctx.thresholds.access_key_max_age_days
    keys = acct.access_keys
    keys = keys[keys["active"].fillna(False).astype(bool)]
    note = ctx.cr_note()
    for r in keys.itertuples(index=False):
        ev = [acct.ref(CREDENTIAL_REPORT, f"user={r.user_name} column=access_key_{r.slot}_last_rotated")]
        if pd.isna(r.age_days):
            yield ctx.error(f"the credential report's date of access key {r.slot} of {r.user_name} is unreadable "
                            f"({r.date_error})", resource_arn=r.resource_arn, resource_type="AwsIamAccessKey")
            continue
        age = int(r.age_days)
        # CIS: "Ensure access keys are rotated every 90 days or less": 90 days old passes, 91 fails
        if age > limit:
            yield ctx.finding(Status.FAIL, resource_arn=r.resource_arn, resource_type="AwsIamAccessKey", evidence=ev,
                              detail=f"Access key {r.slot} of {r.user_name} is active and {age} days old (created or "
                                     f"rotated {_d(r.last_rotated)}; limit {limit} days)." + note)
        else:
            yield ctx.finding(Status.PASS, resource_arn=r.resource_arn, resource_type="AwsIamAccessKey", evidence=ev,
                              detail=f"Access key {r.slot} of {r.user_name} is {age} days old (limit {limit})." + note)


@check("iam.credentials.unused")
def credentials_unused(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    limit = ctx.thresholds.unused_credentials_days
    now = pd.Timestamp(acct.now)
    note = ctx.cr_note()
    cr = acct.cred_users()
    pw = cr[cr["password_enabled"].fillna(False).astype(bool)]
    ref_pw = pw["password_last_used"].fillna(pw["password_last_changed"]).fillna(pw["user_creation_time"])
    idle_pw = np.floor((now - ref_pw).dt.total_seconds() / 86400)
    bad_pw = pw["password_last_used_invalid"] | (pw["password_last_used"].isna() & pw["password_last_changed_invalid"])
    for name, arn, used_raw, ref, idle, bad in zip(pw["user"], pw["arn"], pw["password_last_used_raw"], ref_pw,
                                                   idle_pw, bad_pw, strict=True):
        ev = [acct.ref(CREDENTIAL_REPORT, f"user={name} column=password_last_used")]
        res = f"{arn}#password"
        if bad:
            yield ctx.error(f"the credential report's password dates of {name} are unreadable "
                            f"(password_last_used={used_raw!r})", resource_arn=res, resource_type="AwsIamUser")
            continue
        if pd.isna(idle):
            yield ctx.error(f"no date to judge the password of {name} by (password_last_used={used_raw})",
                            resource_arn=res, resource_type="AwsIamUser")
            continue
        last = f"last used {_d(ref)}" if used_raw not in ("no_information", "N/A") else f"never used (set {_d(ref)})"
        # CIS: "credentials unused for 45 days or more": 45 days idle fails, 44 passes
        status = Status.FAIL if idle >= limit else Status.PASS
        verdict = "unused for" if status == Status.FAIL else "idle for"
        yield ctx.finding(status, resource_arn=res, resource_type="AwsIamUser", evidence=ev,
                          detail=f"Console password of {name} is enabled and {verdict} {int(idle)} days ({last}; "
                                 f"limit {limit} days)." + note)
    keys = acct.access_keys
    keys = keys[keys["active"].fillna(False).astype(bool)]
    ref_k = keys["last_used"].fillna(keys["last_rotated"])
    idle_k = np.floor((now - ref_k).dt.total_seconds() / 86400)
    for r, ref, idle in zip(keys.itertuples(index=False), ref_k, idle_k, strict=True):
        ev = [acct.ref(CREDENTIAL_REPORT, f"user={r.user_name} column=access_key_{r.slot}_last_used_date")]
        if r.date_error:
            yield ctx.error(f"the credential report's dates of access key {r.slot} of {r.user_name} are unreadable "
                            f"({r.date_error})", resource_arn=r.resource_arn, resource_type="AwsIamAccessKey")
            continue
        never = pd.isna(r.last_used)
        last = f"never used (created {_d(ref)})" if never else f"last used {_d(ref)}"
        status = Status.FAIL if idle >= limit else Status.PASS
        yield ctx.finding(status, resource_arn=r.resource_arn, resource_type="AwsIamAccessKey", evidence=ev,
                          detail=f"Active access key {r.slot} of {r.user_name}: {last}, {int(idle)} days ago "
                                 f"(limit {limit} days)." + note)


@check("iam.user.single_active_key")
def single_active_key(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    cr = acct.cred_users()
    n = (cr["access_key_1_active"].fillna(False).astype(int) + cr["access_key_2_active"].fillna(False).astype(int))
    for name, arn, k in zip(cr["user"], cr["arn"], n, strict=True):
        ev = [acct.ref(CREDENTIAL_REPORT, f"user={name} columns=access_key_1_active,access_key_2_active")]
        if k > 1:
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"User {name} has two active access keys.")
        else:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"User {name} has {k} active access key(s).")


@check("iam.access_key.unused_since_setup")
def unused_since_setup(ctx: CheckContext) -> Iterator[Finding]:
    """Active keys of console users that were never used (``last_used_date`` N/A). Keys of users
    without a console password are programmatic identities: not in scope (no finding)."""
    acct = ctx.account
    keys = acct.access_keys
    keys = keys[keys["active"].fillna(False).astype(bool) & keys["has_console_password"].fillna(False).astype(bool)]
    for r in keys.itertuples(index=False):
        ev = [acct.ref(CREDENTIAL_REPORT, f"user={r.user_name} column=access_key_{r.slot}_last_used_date")]
        if r.date_error:
            yield ctx.error(f"the credential report's dates of access key {r.slot} of {r.user_name} are unreadable "
                            f"({r.date_error})", resource_arn=r.resource_arn, resource_type="AwsIamAccessKey")
        elif pd.isna(r.last_used):
            yield ctx.finding(Status.FAIL, resource_arn=r.resource_arn, resource_type="AwsIamAccessKey", evidence=ev,
                              detail=f"Console user {r.user_name} has active access key {r.slot}, created "
                                     f"{_d(r.last_rotated)} and never used (last_used_date={r.last_used_raw}).")
        else:
            yield ctx.finding(Status.PASS, resource_arn=r.resource_arn, resource_type="AwsIamAccessKey", evidence=ev,
                              detail=f"Access key {r.slot} of console user {r.user_name} has been used "
                                     f"(last {_d(r.last_used)}).")


@check("iam.server_certificate.expired")
def server_certificate_expired(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    certs = acct.server_certificates
    now = pd.Timestamp(acct.now)
    if certs.empty:
        yield ctx.finding(Status.PASS, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                          evidence=[acct.ref(SERVER_CERTIFICATES)], detail="No server certificates are stored in IAM.")
        return
    for name, arn, exp in zip(certs["name"], certs["arn"], certs["expiration"], strict=True):
        ev = [acct.ref(SERVER_CERTIFICATES, f"ServerCertificateMetadataList[ServerCertificateName={name}]")]
        if pd.isna(exp):
            yield ctx.error(f"server certificate {name} has no readable expiration date", resource_arn=arn,
                            resource_type="AwsIamServerCertificate")
        elif exp < now:
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamServerCertificate", evidence=ev,
                              detail=f"Server certificate {name} expired on {_d(exp)} "
                                     f"({(now - exp).days} days before collection).")
        else:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamServerCertificate", evidence=ev,
                              detail=f"Server certificate {name} is valid until {_d(exp)}.")
