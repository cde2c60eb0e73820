"""Root user checks (CIS AWS Foundations section 2: root access keys, MFA, hardware MFA, use)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import ACCOUNT_SUMMARY, CREDENTIAL_REPORT, ROOT_USER


@check("iam.root.mfa_enabled")
def root_mfa_enabled(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    row = acct.root_row()
    arn = acct.root_arn()
    ev = [acct.bundle.ref(CREDENTIAL_REPORT, f"user={ROOT_USER} column=mfa_active")]
    if row is None:
        yield ctx.error(f"the credential report has no {ROOT_USER} row", resource_arn=arn)
        return
    mfa = row.get("mfa_active")
    summary_mfa = None
    if acct.bundle.has(ACCOUNT_SUMMARY):
        summary_mfa = acct.account_summary.get("AccountMFAEnabled")
        ev.append(acct.bundle.ref(ACCOUNT_SUMMARY, "SummaryMap.AccountMFAEnabled"))
    if mfa is None or pd.isna(mfa):
        yield ctx.error(f"mfa_active of {ROOT_USER} is '{row.get('mfa_active')}'", resource_arn=arn)
    elif bool(mfa):
        yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail="The root user has an MFA device (credential report mfa_active=true"
                                 + (f", account summary AccountMFAEnabled={summary_mfa}" if summary_mfa is not None
                                    else "") + ").")
    else:
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail="The root user has no MFA device (credential report mfa_active=false"
                                 + (f", account summary AccountMFAEnabled={summary_mfa}" if summary_mfa is not None
                                    else "") + ").")

