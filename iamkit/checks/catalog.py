"""The check catalog: metadata (``controls.yaml``) plus what each check reads and when it gives which
status. ``docs/checks.md`` is generated from it (``python -m iamkit.checks.catalog > docs/checks.md``; a
test keeps the two identical); reports can show :func:`catalog_rows` as their methodology table.
"""

from __future__ import annotations

import importlib
from typing import Any

from iamkit.checks.guardrails import catalog as guardrail_catalog
from iamkit.checks.registry import AREA_TITLES, AREAS, metadata

CR = "`iam/credential_report.csv` (+ `.json` GeneratedTime)"
GAAD = "`iam/authorization_details.json`"
ROOT = "root ARN"
ERR_CR = "ERROR when the credential report is missing or denied"
ERR_GAAD = "ERROR when GAAD is missing or denied"
SSO = "`identity_center/*.json`"
SSO_NA = ("NOT_APPLICABLE for a standalone account, with no Identity Center instance, or (per account) when no "
          "assignment reaches it; ERROR when the organization bundle or an Identity Center file is missing")

#: check id -> (evidence read, resource of each finding, statuses and when, thresholds)
DETAILS: dict[str, tuple[str, str, str, str]] = {
    "iam.root.access_keys_absent": (
        f"{CR} root row; `iam/account_summary.json` AccountAccessKeysPresent", ROOT,
        "FAIL when either source shows a root key (active or inactive); PASS otherwise; ERROR when both "
        "sources are missing or the root row is absent.", ""),
    "iam.root.mfa_enabled": (
        f"{CR} root row `mfa_active`; account summary; organization features", ROOT,
        "PASS with MFA; FAIL without; NOT_APPLICABLE when root has no credentials at all and the organization "
        f"has RootCredentialsManagement (centrally managed member); {ERR_CR}.", ""),
    "iam.root.hardware_mfa": (
        f"{CR} root row; `iam/virtual_mfa_devices.json`", ROOT,
        "FAIL when root has no MFA or its device is virtual (serial `:mfa/root-account-mfa-device` or "
        "assigned to the root ARN); PASS when MFA is on and no virtual device is assigned; NOT_APPLICABLE as "
        "for iam.root.mfa_enabled; ERROR when either file is missing.", ""),
    "iam.root.recent_use": (
        f"{CR} root password/key last use; `cloudtrail/root_activity.json` (LookupEvents)", ROOT,
        "FAIL when the password or a key was used, or CloudTrail has a root event, inside the window (the "
        "detail lists time, action, source IP and region of up to 10 events); PASS otherwise (the detail "
        f"says when CloudTrail evidence was not available); {ERR_CR}.", "`root_usage_window_days` (90)"),
    "org.root.centralized_management": (
        "organization features (`iam/organizations_features.json` or the organization bundle); root row",
        ROOT, "NOT_APPLICABLE for a standalone account; for the management account (where the setting lives) "
        "PASS or FAIL on whether RootCredentialsManagement is enabled; FAIL for a member when "
        "RootCredentialsManagement is off or the member's root still has a password, key, certificate or MFA "
        "device; PASS otherwise; ERROR when neither the organization bundle nor the account tells membership "
        "or the feature list.", ""),
    "iam.user.console_mfa": (
        f"{CR} `password_enabled`, `mfa_active`", "user ARN (users with a console password only)",
        f"PASS/FAIL per console user; no finding for key-only users or federated identities; {ERR_CR}.", ""),
    "iam.user.privileged_without_mfa": (
        f"{GAAD} (user, group and inline policies; admin-equivalence incl. NotAction); {CR} `mfa_active`",
        "user ARN (admin-equivalent users only)",
        f"PASS/FAIL per admin-equivalent user by MFA; {ERR_CR} or GAAD.", ""),
    "iam.identity.federation": (
        f"`iam/providers.json`; {CR}; GAAD (Identity Center roles)", ROOT,
        "Always MANUAL with the evidence (SAML/OIDC providers, Identity Center roles, IAM users with console "
        "passwords) for a reviewer; ERROR when providers or the credential report are missing.", ""),
    "iam.access_key.rotated": (
        f"{CR} `access_key_N_active`, `access_key_N_last_rotated`", "`<user arn>#access_key_N` (active keys)",
        f"FAIL when older than the limit; PASS otherwise; inactive keys get no finding; {ERR_CR}.",
        "`access_key_max_age_days` (90)"),
    "iam.credentials.unused": (
        f"{CR} password and key last use, `no_information`/`N/A` handled", "`<user arn>#password`, "
        "`<user arn>#access_key_N` (enabled passwords, active keys; root excluded)",
        "FAIL when unused for the window or longer; a never-used credential counts from when it was set "
        f"(password_last_changed / user creation / key creation); PASS otherwise; {ERR_CR}.",
        "`unused_credentials_days` (45)"),
    "iam.user.single_active_key": (CR, "user ARN (every IAM user)", f"FAIL with two active keys; {ERR_CR}.", ""),
    "iam.access_key.unused_since_setup": (
        f"{CR}", "`<user arn>#access_key_N` (active keys of console users)",
        f"FAIL when the key was never used (`last_used_date` N/A); PASS when used; {ERR_CR}.", ""),
    "iam.server_certificate.expired": (
        "`iam/server_certificates.json`", "certificate ARN (root ARN when there are none)",
        "FAIL when expired at collection time; PASS otherwise; ERROR when the file is missing.", ""),
    "iam.password_policy.min_length": (
        "`iam/password_policy.json` (`PasswordPolicy: null` = no policy)", ROOT,
        "FAIL below the minimum or with no policy; ERROR when the file is missing/denied.",
        "`password_min_length` (14)"),
    "iam.password_policy.reuse_prevention": (
        "`iam/password_policy.json`", ROOT, "FAIL below the threshold or with no policy.",
        "`password_reuse_prevention` (24)"),
    "iam.password_policy.complexity": (
        "`iam/password_policy.json`", ROOT, "FAIL unless upper, lower, numbers and symbols are all required.", ""),
    "iam.password_policy.expiry": (
        "`iam/password_policy.json`", ROOT, "FAIL when passwords never expire or expire later than the limit.",
        "`password_max_age_days` (90)"),
    "iam.role.trust_any_principal": (
        f"{GAAD} trust policies", "role ARN (every role)",
        "FAIL for Principal `*`/`{AWS: *}`/NotPrincipal/wildcard account without a condition binding the "
        "caller's identity (aws:PrincipalOrgID/OrgPaths/Account/Arn, aws:userid/username, aws:Source*; in the "
        "Allow or as a Deny-unless; `sts:ExternalId` alone does not count); "
        f"NOT_APPLICABLE for service-linked and Identity Center roles; ERROR for a malformed trust policy; "
        f"{ERR_GAAD}.", ""),
    "iam.role.trust_external_without_external_id": (
        f"{GAAD}; organization accounts; parameters", "role ARN",
        "FAIL when a vendor or unknown account is trusted without `sts:ExternalId` (organization and "
        "`trusted_account_ids` accounts are exempt).", "`trusted_account_ids`, `known_vendor_accounts`"),
    "iam.role.trust_unknown_account": (
        f"{GAAD}; organization accounts; parameters", "role ARN",
        "FAIL when an account is neither the account itself, in the organization, trusted nor a known vendor "
        "(without the organization bundle, other organization accounts count as unknown).",
        "`trusted_account_ids`, `known_vendor_accounts`"),
    "iam.role.oidc_trust_unrestricted": (
        f"{GAAD}", "role ARN",
        "FAIL for a web-identity trust without a non-wildcard `sub` condition (`aud` for Cognito, Google, "
        "Facebook, Login with Amazon).", ""),
    "iam.role.service_trust_confused_deputy": (
        f"{GAAD}", "role ARN",
        "FAIL for a service principal without aws:SourceAccount/SourceArn/SourceOrgID/SourceOrgPaths; EC2, "
        "Lambda, Lambda@Edge, ECS tasks and App Runner execution roles are exempt.", ""),
    "sso.assignment.management_account": (
        f"organization bundle {SSO}; parameters", "Identity Store principal ARN (management account only)",
        f"PASS for a group named in `sso_break_glass_groups`, FAIL for any other user, group or deleted principal; "
        f"PASS on the root ARN when no assignment reaches it; {SSO_NA}.", "`sso_break_glass_groups`"),
    "sso.permission_set.admin": (
        f"{SSO}; this account's GAAD (customer-managed references, AWS managed documents); SCP chain",
        "permission set ARN (each set assigned in the account)",
        f"FAIL when admin-equivalent after boundary and SCPs (people and other accounts named); PASS otherwise; "
        f"ERROR when a policy document is unknown; {SSO_NA}.", ""),
    "sso.permission_set.privilege_escalation": (
        f"{SSO}; GAAD; SCP chain", "permission set ARN (each set assigned in the account)",
        f"FAIL when every action of a catalogued escalation path is allowed; NOT_APPLICABLE when already admin; "
        f"PASS otherwise; ERROR when a document is unknown; {SSO_NA}.", ""),
    "sso.assignment.direct_user": (
        f"{SSO}", "Identity Store user ARN; root ARN when only groups are assigned",
        f"FAIL per user (existing or deleted) assigned directly; PASS otherwise; {SSO_NA}.", ""),
    "sso.permission_set.session_duration": (
        f"{SSO} `SessionDuration` (ISO-8601)", "permission set ARN (in the instance's account)",
        "FAIL above the limit; PASS at or below; ERROR for an unreadable duration.", "`sso_max_session_hours` (8)"),
    "sso.permission_set.inline_wildcards": (
        f"{SSO} inline policy", "permission set ARN (in the instance's account)",
        "FAIL for an Allow of `*`, `svc:*` or NotAction on `*`/NotResource; PASS otherwise; ERROR when malformed.",
        ""),
    "sso.group.empty_or_orphaned": (
        f"{SSO}", "Identity Store principal ARN (assigned groups; deleted principals)",
        f"FAIL for a group without members or a principal missing from the Identity Store; PASS for groups with "
        f"members; {SSO_NA}.", ""),
    "accessanalyzer.enabled_all_regions": (
        "`access_analyzer/<region>.json`, `regions.json`", "root ARN per region",
        "PASS with an ACTIVE ACCOUNT/ORGANIZATION analyzer in this account and region; FAIL otherwise (an "
        "organization analyzer elsewhere is mentioned, not counted); ERROR for a region whose file is missing, "
        "and one global ERROR when `regions.json` is missing or enabled regions were not collected.",
        ""),
    "accessanalyzer.active_findings": (
        "`access_analyzer/<region>.json` findings", "analysed resource ARN (region of the analyzer)",
        "FAIL per ACTIVE external-access finding; PASS per region with an analyzer and no finding; "
        "NOT_APPLICABLE where no analyzer exists; ERROR for a missing region file.", ""),
    "org.account.member": (
        "organization bundle accounts; `iam/organizations_features.json`", ROOT,
        "PASS when the account is in the organization bundle, or ListOrganizationsFeatures answered or failed "
        "with a member-only error (e.g. AccountNotManagementOrDelegatedAdministratorException); FAIL when it "
        "answered AWSOrganizationsNotInUseException/OrganizationNotFoundException; ERROR when unknown.", ""),
    "org.scp.enabled": (
        "organization bundle `roots.json` PolicyTypes", ROOT,
        "PASS/FAIL by the root's SERVICE_CONTROL_POLICY type; NOT_APPLICABLE for a standalone account; ERROR "
        "without the organization bundle.", ""),
    "org.scp.guardrails_present": (
        "organization bundle: accounts (parents), OUs, SCPs, targets; the guardrail catalog", ROOT,
        "Summary of the org.scp.guardrail.* verdicts: PASS when every catalogued guardrail is enforced, FAIL "
        "naming those that are not (and the chain), ERROR when one could not be evaluated; NOT_APPLICABLE for "
        "the management account (SCPs never apply) and standalone accounts; ERROR without organization "
        "evidence.", "`guardrail_allowed_regions`, `guardrail_protected_roles`"),
    "iam.role.external_admin_reach": (
        f"{GAAD} of every account bundle of the run (trust, identity policies, boundaries); organization "
        "accounts", "role ARN (admin-equivalent roles; root ARN when there are none)",
        "FAIL when a principal outside the organization (anyone, an outside account, an identity provider) "
        "reaches the role directly or through role assumptions inside the organization, naming the shortest "
        "chain; ERROR when it can be reached from an organization account without evidence in the run; PASS "
        "otherwise.", ""),
    "accessanalyzer.unused_access": (
        "`access_analyzer/<region>.json` (unused-access analyzers, ListFindingsV2 filtered on the unused finding "
        "types)", "principal ARN (with active unused findings); root ARN per analyzer without any",
        "FAIL per principal with ACTIVE UnusedIAMRole/UnusedIAMUserAccessKey/UnusedIAMUserPassword/"
        "UnusedPermission findings; PASS per analyzer without; NOT_APPLICABLE when no unused-access analyzer is "
        "active in any collected region; ERROR when that cannot be told (evidence missing).", ""),
    "iam.role.unused": (
        f"{GAAD} `RoleLastUsed.LastUsedDate`, `CreateDate`", "role ARN (every role)",
        "Whole days since last use (never used: since creation); FAIL at the limit or more (90 days -> FAIL, 89 "
        "-> PASS), PASS below (a never-used role younger than the limit: too new to judge); NOT_APPLICABLE for "
        f"service-linked roles; ERROR for a never-used role without CreateDate; {ERR_GAAD}.",
        "`unused_role_days` (90)"),
    "iam.policy.full_admin_attached": (
        f"{GAAD} managed (default version) and inline policies", "policy ARN; principal ARN for inline policies",
        "FAIL for an attached policy with Allow `*` on `*` or admin-equivalent statements (NotAction tricks); "
        "PASS for unattached ones and for policies attached only to service-linked/Identity Center roles; "
        "ERROR for an attached policy GAAD lacks.", ""),
    "iam.user.direct_policies": (f"{GAAD}", "user ARN", "FAIL with managed or inline policies on the user.", ""),
    "iam.principal.privilege_escalation": (
        f"{GAAD}; organization bundle (SCPs)", "user or role ARN",
        "FAIL naming each escalation method (action, resource, statement) or the role chain to one; N/A for "
        "administrators and service-linked roles; PASS otherwise.", ""),
    "iam.support_role": (f"{GAAD}", ROOT, "PASS when AWSSupportAccess is attached to a role (CIS asks for a support "
                         "role); FAIL otherwise, naming users or groups that hold it.", ""),
    "iam.cloudshell_full_access": (
        f"{GAAD}", "`arn:<partition>:iam::aws:policy/AWSCloudShellFullAccess`",
        "FAIL listing the holders; PASS when nobody holds it.", ""),
}

DETAILS.update({
    f"org.scp.guardrail.{g.name}": (
        "organization bundle: accounts (parents), OUs, SCP contents and targets; `iamkit/checks/guardrails.yaml` "
        f"requests: {', '.join(dict.fromkeys(r['action'] for r in g.requests))}", ROOT,
        "PASS when the SCP chain denies every request (the detail names SCP, level and statement per request, "
        "and any principal exempted through aws:PrincipalArn); FAIL when some request is allowed; ERROR for an "
        "undecidable condition, a malformed SCP, an empty level or missing organization evidence; "
        "NOT_APPLICABLE for the management account and standalone accounts.",
        "`guardrail_allowed_regions`" if g.name == "region_restriction" else
        "`guardrail_protected_roles`" if g.name == "protect_security_roles" else "")
    for g in guardrail_catalog()
})


def catalog_rows() -> list[dict[str, Any]]:
    """One row per check: id, area, severity, title, controls, evidence, resource, statuses, thresholds."""
    rows = []
    for m in sorted(metadata().values(), key=lambda m: (AREAS.index(m.area), m.id)):
        evidence, resource, statuses, thresholds = DETAILS[m.id]
        rows.append({"id": m.id, "area": m.area, "severity": m.severity.value, "title": m.title,
                     "controls": list(m.controls), "evidence": evidence, "resource": resource,
                     "statuses": statuses, "thresholds": thresholds})
    return rows


def render_markdown() -> str:
    out = ["# iamkit checks", "",
           "Generated by `python -m iamkit.checks.catalog` from `iamkit/checks/controls.yaml` and "
           "`iamkit/checks/catalog.py` (a test keeps this page in sync). Control mappings and their sources: "
           "[controls.md](controls.md).", "",
           "Common rules: every check reads the evidence bundle only, \"now\" is the bundle's collection time, and "
           "a check whose evidence is missing or was denied says ERROR with the operation and reason from the "
           "manifest, never PASS. Findings built on the credential report say when it was generated (AWS serves "
           "a cached report younger than 4 hours). Service-linked roles (`/aws-service-role/`) and IAM Identity "
           "Center roles (`/aws-reserved/sso.amazonaws.com/AWSReservedSSO_*`) are NOT_APPLICABLE where AWS owns "
           "their configuration; federated identities are not IAM users and are not evaluated by the user "
           "checks. Accepted risks (`--exceptions`) are attached to FAIL/MANUAL findings without changing them.", ""]
    rows = catalog_rows()
    for area in AREAS:
        mod = importlib.import_module(f"iamkit.checks.{area}")
        out += [f"## {AREA_TITLES[area]} (`iamkit/checks/{area}.py`)", "",
                (mod.__doc__ or "").strip().splitlines()[0], ""]
        for r in (r for r in rows if r["area"] == area):
            out += [f"### `{r['id']}`: {r['title']}", "",
                    f"- Severity: {r['severity']}; controls: {', '.join(r['controls']) or 'none'}",
                    f"- Evidence: {r['evidence']}",
                    f"- One finding per: {r['resource']}",
                    f"- Statuses: {r['statuses']}"]
            if r["thresholds"]:
                out.append(f"- Thresholds (parameters): {r['thresholds']}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
