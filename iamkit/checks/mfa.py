"""MFA and identity checks (CIS 7.0 2.10, 2.19; Security Hub IAM.19).

What each check reads, what one finding is about and when it says which status:
``mfa.metadata.yaml`` beside this module (rendered in docs/checks.md).
Administrators are the policy evaluator's effective administrators (:func:`iamkit.checks.privilege.principal_admin`:
Denies in other policies and permissions boundaries applied, and an SCP chain that takes away a user's writing of
its own permissions makes it no administrator).

Federated users (SAML/OIDC, IAM Identity Center) are not IAM users: they do not appear in the
credential report, their MFA is enforced by the identity provider, and these checks do not flag them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from iamkit.checks.privilege import principal_admin
from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import AUTHORIZATION_DETAILS, CREDENTIAL_REPORT, PROVIDERS


def tri(value: object) -> bool | None:
    """True/False of a nullable boolean cell; None for NA (AWS wrote not_supported, or no row)."""
    return None if value is None or pd.isna(value) else bool(value)


@check("iam.user.console_mfa")
def console_mfa(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    cr = acct.cred_users()
    console = cr[cr["password_enabled"].fillna(False).astype(bool)]
    note = ctx.cr_note()
    for name, arn, mfa in zip(console["user"], console["arn"], console["mfa_active"], strict=True):
        ev = [acct.ref(CREDENTIAL_REPORT, f"user={name} columns=password_enabled,mfa_active")]
        if tri(mfa) is True:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"User {name} has a console password and MFA enabled." + note)
        else:
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"User {name} has a console password but no MFA device (mfa_active={mfa})."
                                     + note)


@check("iam.user.privileged_without_mfa")
def privileged_without_mfa(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    cr = acct.cred_users()[["arn", "mfa_active", "password_enabled"]]
    adm = principal_admin(acct, ctx.org)
    users = adm[adm["principal_type"] == "user"]
    for arn, name, err in zip(users["principal_arn"], users["principal_name"], users["error"], strict=True):
        if err:
            yield ctx.error(f"whether user {name} is administrator-equivalent is unknown: {err}", resource_arn=arn,
                            resource_type="AwsIamUser")
    admins = users[users["is_admin"]].merge(cr, left_on="principal_arn", right_on="arn", how="left")
    note = ctx.cr_note()
    for arn, name, pols, mfa, pw in zip(admins["principal_arn"], admins["principal_name"], admins["policies"],
                                        admins["mfa_active"], admins["password_enabled"], strict=True):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"UserDetailList[UserName={name}]"),
              acct.ref(CREDENTIAL_REPORT, f"user={name} column=mfa_active")]
        via = ", ".join(p.rsplit("/", 1)[-1] if p.startswith("arn:") else p for p in pols[:8])
        if tri(mfa) is True:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"Administrator-equivalent user {name} (via {via}) has MFA enabled." + note)
        elif tri(mfa) is False:
            kind = "console password and " if tri(pw) is True else ""
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"User {name} is administrator-equivalent (via {via}) and has {kind}no MFA "
                                     "device." + note)
        else:
            yield ctx.error(f"user {name} is administrator-equivalent but is missing from the credential report",
                            resource_arn=arn, resource_type="AwsIamUser")


@check("iam.identity.federation")
def identity_federation(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    prov = acct.providers
    cr = acct.cred_users()
    console = cr[cr["password_enabled"].fillna(False).astype(bool)]
    roles = acct.roles if acct.bundle.has(AUTHORIZATION_DETAILS) else None
    sso = int(roles["is_sso_provisioned"].sum()) if roles is not None else None
    saml = prov[prov["type"] == "SAML"]
    oidc = prov[prov["type"] == "OIDC"]
    parts = [f"{len(saml)} SAML provider(s)" + (f" ({', '.join(saml['arn'].str.rsplit('/', n=1).str[-1])})"
                                                if len(saml) else ""),
             f"{len(oidc)} OIDC provider(s)" + (f" ({', '.join(oidc['url'].astype(str))})" if len(oidc) else ""),
             f"{sso} IAM Identity Center role(s)" if sso is not None else "Identity Center roles unknown (no GAAD)",
             f"{len(cr)} IAM user(s), {len(console)} with a console password"
             + (f" ({', '.join(console['user'][:10])}{' ...' if len(console) > 10 else ''})" if len(console) else "")]
    ev = [acct.ref(PROVIDERS), acct.ref(CREDENTIAL_REPORT, "column=password_enabled")]
    yield ctx.finding(Status.MANUAL, resource_arn=acct.root_arn(), resource_type="AwsAccount", evidence=ev,
                      detail="Confirm that people sign in through a central identity provider and that the IAM users "
                             f"left are service identities or break-glass users. Found: {'; '.join(parts)}.")
