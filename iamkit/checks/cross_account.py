"""Cross-account access: role trust policies and IAM Access Analyzer (CIS 7.0 2.18, 2.21 partly).

What each check reads, what one finding is about and when it says which status:
``cross_account.metadata.yaml`` beside this module (rendered in docs/checks.md).

Role checks give one finding per role. Service-linked roles (path ``/aws-service-role/``) and IAM
Identity Center roles (``/aws-reserved/sso.amazonaws.com/AWSReservedSSO_*``) get NOT_APPLICABLE:
AWS owns their trust policies and nobody can change them. An account is classified as the same
account, an account of the organization, trusted (parameter), a known vendor (parameter) or unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd

from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import AUTHORIZATION_DETAILS, REGIONS, analyzer_file

AUD_PROVIDERS = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com")
EXTERNAL_ANALYZER_TYPES = ("ACCOUNT", "ORGANIZATION")

RowTest = Callable[[pd.DataFrame], pd.Series]


def _describe(t: pd.DataFrame) -> pd.Series:
    """One phrase per trust row: principal [relation] with its restricting conditions (vectorised)."""
    who = t["principal"].astype(str) + t["vendor"].map(lambda v: f" ({v})" if isinstance(v, str) else "")
    cond = t["restricted_by"].map(lambda r: f" with {', '.join(r)}" if r else " with no restricting condition")
    return who + " [" + t["relation"].astype(str) + "]" + cond


def _role_check(ctx: CheckContext, bad: RowTest, fail_text: str, pass_text: str) -> Iterator[Finding]:
    """One finding per role: FAIL listing the trust rows ``bad`` selects, else PASS."""
    acct = ctx.account
    roles = acct.roles
    trust = acct.trust
    flagged = trust[bad(trust)] if not trust.empty else trust
    by_role: dict[str, list[str]] = {}
    if not flagged.empty:
        for arn, desc in zip(flagged["role_arn"], _describe(flagged), strict=True):
            by_role.setdefault(arn, []).append(desc)
    errors = acct.trust_errors
    for arn, name, slr, sso in zip(roles["arn"], roles["role_name"], roles["is_service_linked"],
                                   roles["is_sso_provisioned"], strict=True):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"RoleDetailList[RoleName={name}].AssumeRolePolicyDocument")]
        if slr or sso:
            kind = "a service-linked role" if slr else "an IAM Identity Center (SSO) role"
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=arn, resource_type="AwsIamRole", evidence=ev,
                              detail=f"Role {name} is {kind}; AWS manages its trust policy and it cannot be changed.")
        elif arn in errors:
            yield ctx.error(f"trust policy of role {name} is malformed ({errors[arn]})", resource_arn=arn,
                            resource_type="AwsIamRole")
        elif arn in by_role:
            rows = by_role[arn]
            listed = "; ".join(rows[:10]) + (f"; and {len(rows) - 10} more" if len(rows) > 10 else "")
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamRole", evidence=ev,
                              detail=f"Role {name} {fail_text}: {listed}.")
        else:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamRole", evidence=ev,
                              detail=f"Role {name} {pass_text}.")


def _has(col: pd.Series, key: str) -> pd.Series:
    return col.map(lambda keys: key in keys)


@check("iam.role.trust_any_principal")
def trust_any_principal(ctx: CheckContext) -> Iterator[Finding]:
    yield from _role_check(ctx, lambda t: (t["relation"] == "any") & ~t["identity_restricted"].astype(bool),
                           "trusts any AWS principal without a condition that binds the caller's identity",
                           "does not trust an unrestricted wildcard principal")


@check("iam.role.trust_external_without_external_id")
def trust_external_without_external_id(ctx: CheckContext) -> Iterator[Finding]:
    yield from _role_check(ctx, lambda t: t["relation"].isin(["vendor", "unknown"])
                           & ~_has(t["restricted_by"], "sts:ExternalId"),
                           "trusts accounts outside the organization and the trusted list without sts:ExternalId",
                           "trusts no account outside the organization and the trusted list without sts:ExternalId")


@check("iam.role.trust_unknown_account")
def trust_unknown_account(ctx: CheckContext) -> Iterator[Finding]:
    yield from _role_check(ctx, lambda t: t["relation"] == "unknown",
                           "trusts accounts that are neither in the organization, trusted nor known vendors",
                           "trusts only known accounts (itself, the organization, trusted or vendor accounts)")


def _oidc_unrestricted(t: pd.DataFrame) -> pd.Series:
    host = t["provider_host"].astype("string").str.lower()
    web = (t["principal_kind"] == "federated") & host.notna() & t["actions"].map(
        lambda a: "sts:AssumeRoleWithWebIdentity" in a)
    needs_aud = host.isin(AUD_PROVIDERS).fillna(False)
    return web.fillna(False) & ((needs_aud & ~t["aud_restricted"].astype(bool))
                                | (~needs_aud & ~t["sub_restricted"].astype(bool)))


@check("iam.role.oidc_trust_unrestricted")
def oidc_trust_unrestricted(ctx: CheckContext) -> Iterator[Finding]:
    yield from _role_check(ctx, _oidc_unrestricted,
                           "trusts a web-identity (OIDC) provider without restricting the token subject/audience",
                           "has no unrestricted web-identity (OIDC) trust")


@check("iam.role.service_trust_confused_deputy")
def service_trust_confused_deputy(ctx: CheckContext) -> Iterator[Finding]:
    yield from _role_check(ctx, lambda t: t["confused_deputy_unprotected"].astype(bool),
                           "trusts a service principal without aws:SourceAccount/aws:SourceArn",
                           "has no service-principal trust that lacks aws:SourceAccount/aws:SourceArn")


@check("accessanalyzer.enabled_all_regions")
def analyzer_enabled(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    arn = acct.root_arn()
    org_analyzers = ctx.org.org_analyzers if ctx.org is not None else {}
    if not acct.bundle.has(REGIONS):
        yield ctx.error(f"the list of enabled regions is unknown ({REGIONS}: {acct.bundle.missing_reason(REGIONS)}); "
                        f"only {', '.join(acct.regions)} could be evaluated", resource_arn=arn)
    elif missing := sorted(set(acct.enabled_regions) - set(acct.regions)):
        yield ctx.error(f"enabled region(s) {', '.join(missing)} were not collected (collection was restricted "
                        "with --regions)", resource_arn=arn)
    for region in acct.regions:
        rel = analyzer_file(region)
        if not acct.bundle.has(rel):
            yield ctx.error(f"{rel}: {acct.bundle.missing_reason(rel)}", resource_arn=arn, region=region)
            continue
        ev = [acct.ref(rel, "analyzers")]
        analyzers = acct.analyzer_region(region).get("analyzers") or []
        active = [a for a in analyzers if a.get("status") == "ACTIVE" and a.get("type") in EXTERNAL_ANALYZER_TYPES]
        if active:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", region=region, evidence=ev,
                              detail=f"Active external-access analyzer(s) in {region}: "
                                     + ", ".join(f"{a.get('name')} ({a.get('type')})" for a in active) + ".")
        else:
            other = ", ".join(f"{a.get('name')} ({a.get('type')}, {a.get('status')})" for a in analyzers)
            org_note = (f" The organization analyzer {org_analyzers[region][0]} (another account) also sees this "
                        "region's resources, but CIS 2.18 and Security Hub IAM.28 require an analyzer in every "
                        "account and region." if org_analyzers.get(region) and org_analyzers[region][0].split(":")[4]
                        != acct.account_id else "")
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", region=region, evidence=ev,
                              detail=f"No active external-access analyzer in {region}"
                                     + (f" (found only: {other})" if other else "") + "." + org_note)


@check("accessanalyzer.active_findings")
def analyzer_active_findings(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    arn = acct.root_arn()
    for region in acct.regions:
        rel = analyzer_file(region)
        if not acct.bundle.has(rel):
            yield ctx.error(f"{rel}: {acct.bundle.missing_reason(rel)}", resource_arn=arn, region=region)
            continue
        data = acct.analyzer_region(region)
        analyzers = [a for a in data.get("analyzers") or [] if a.get("status") == "ACTIVE"
                     and a.get("type") in EXTERNAL_ANALYZER_TYPES]
        external = {a.get("arn") for a in data.get("analyzers") or [] if a.get("type") in EXTERNAL_ANALYZER_TYPES}
        findings = [(aarn, f) for aarn, items in (data.get("findings") or {}).items() if aarn in external
                    for f in items or [] if f.get("status", "ACTIVE") == "ACTIVE"]  # unused access: unused.py
        if not analyzers and not findings:
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=arn, resource_type="AwsAccount", region=region,
                              evidence=[acct.ref(rel, "analyzers")],
                              detail=f"No external-access analyzer in {region} "
                                     "(see accessanalyzer.enabled_all_regions).")
            continue
        if not findings:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", region=region,
                              evidence=[acct.ref(rel, "findings")],
                              detail=f"No active external-access findings in {region}.")
            continue
        for aarn, f in findings:
            res = f.get("resource") or f.get("id")
            principal = f.get("principal") or {}
            who = ", ".join(f"{k}={v}" for k, v in principal.items()) or ("public" if f.get("isPublic") else "?")
            yield ctx.finding(Status.FAIL, resource_arn=str(res), resource_type=str(f.get("resourceType") or "Other"),
                              region=region, evidence=[acct.ref(rel, f"findings[{aarn}][id={f.get('id')}]")],
                              detail=f"Access Analyzer finding {f.get('id')}: {f.get('resourceType')} {res} is "
                                     f"accessible by {who}{' (public)' if f.get('isPublic') else ''}; actions "
                                     f"{', '.join((f.get('action') or [])[:5]) or '?'}.")
