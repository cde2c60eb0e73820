"""``docs/demo-scenario.md`` generated from ``scenario.yaml`` (a test keeps the two in step).

Regenerate with ``.venv/bin/python -m iamkit.demo.describe > docs/demo-scenario.md``.
"""

from __future__ import annotations

import sys
from typing import Any

from iamkit.demo.seed import scenario

SEMANTICS = """\
## Check semantics the expectations assume

- Resources carry expectations only for checks that evaluate them; inactive keys carry none.
- Principal `*` is judged only by `iam.role.trust_any_principal`; service principals only by
  `iam.role.service_trust_confused_deputy`; web identity only by `iam.role.oidc_trust_unrestricted`.
  The member role `OrganizationAccountAccessRole` trusts the management account (same organization).
- `iam.policy.full_admin_attached`: the resource is the policy ARN (AWS managed ones as attached in the
  account); for an inline `*:*` policy, the principal's ARN; an unattached `*:*` policy gets no finding.
- `iam.cloudshell_full_access`: the principal AWSCloudShellFullAccess is attached to. `iam.support_role`:
  account level (a role with AWSSupportAccess attached).
- `accessanalyzer.enabled_all_regions`: a region is covered by an analyzer of the account or by an
  ORGANIZATION analyzer of the organization (here the delegated administrator's, in us-east-1 only);
  `accessanalyzer.active_findings` findings carry the analyzer's region.
- `iam.access_key.unused_since_setup`: per active key of a console user that was never used.
- `iam.credentials.unused`: a credential never used counts from its creation (45 days).
- `org.scp.guardrails_present` is NOT_APPLICABLE for the management account (SCPs never apply to it);
  `org.root.centralized_management` PASSes there when the feature is enabled, and FAILs for members
  whose root still has credentials.
- `org.scp.guardrail.<name>` (catalog `iamkit/checks/guardrails.yaml`): PASS when the account's SCP chain
  denies every representative request; the management account is NOT_APPLICABLE. Prod and Dev PASS
  `deny_iam_users` naming the exempt role `arn:aws:iam::*:role/OrgAdmin`; Dev FAILs `protect_cloudtrail`;
  Sandbox FAILs them all. `org.scp.guardrails_present` PASSes only when all are enforced.
- `iam.role.unused` (90 days): whole days since RoleLastUsed (never used: since creation); 89 PASS, 90 and
  91 FAIL. Roles without `created_days` are created at seeding: never used and too new, so PASS.
- `accessanalyzer.unused_access`: FAIL per principal with ACTIVE unused-access findings (Security's
  ACCOUNT_UNUSED_ACCESS analyzer); NOT_APPLICABLE for accounts without an unused-access analyzer.
- `iam.role.external_admin_reach`: per admin-equivalent role (root ARN when an account has none); Dev's
  `legacy-admin-inline` is reached by 444455556666 through `ci-entry`.
- Administrators (`iam.user.privileged_without_mfa`, `iam.principal.privilege_escalation`, the holders named
  by `iam.policy.full_admin_attached`, `iamkit principals`, `sso.permission_set.admin`) are the policy
  evaluator's: every IAM write allowed by the principal's own policies (groups included) and its permissions
  boundary, and, in a member account, the SCP chain still lets it attach or put a policy on itself (or its
  group). Prod's and Dev's `deny_iam_users` guardrail (no users, no access keys) leaves that intact, so their
  administrators stay administrators; no demo SCP denies iam:* to a principal with admin policies. False-positive
  trap in Sandbox: `tina.quarantined` (AdministratorAccess through group SandboxAdmins, cut by the Deny in
  QuarantineReadOnly of group Quarantine) and `bo.bounded` (the same group, capped by the boundary
  SandboxBoundary) are not administrators and cannot escalate: no `iam.user.privileged_without_mfa` finding
  although neither has MFA, `iam.principal.privilege_escalation` PASS, and the AdministratorAccess FAIL names
  them as "not administrators despite it".
- A centrally managed root (no password, keys or MFA): `mfa_enabled`/`hardware_mfa` NOT_APPLICABLE.
- IAM Identity Center: `sso.permission_set.session_duration` and `.inline_wildcards` are reported in the
  instance's account (management) per permission set; `sso.permission_set.admin` and
  `.privilege_escalation` per (assigned account, permission set) after the account's SCP chain (none for
  the management account), `.privilege_escalation` NOT_APPLICABLE where the set is already admin;
  `sso.assignment.direct_user` per directly assigned user (deleted ones included), else PASS on the
  account; `sso.group.empty_or_orphaned` per assigned group and per deleted principal;
  `sso.assignment.management_account` per principal on the management account (PASS only for
  `sso_break_glass_groups`). The seeding provisions `AWSReservedSSO_<name>_<suffix>` roles with the
  permission set's policies in every assigned account, as AWS does.
- Member accounts record `ListOrganizationsFeatures` as a manifest error (only the management account
  can read it); the organization's features are in the organization bundle
  (`organizations/organizations_features.json`).
"""


def _rows(resource: str, expect: dict[str, str] | None) -> list[str]:
    return [f"| {resource} | `{k}` | {v} |" for k, v in (expect or {}).items()]


def _identity_center(ic: dict[str, Any]) -> list[str]:
    if not ic:
        return []
    names = {a["id"]: a["name"] for a in scenario()["accounts"]}
    out = ["## IAM Identity Center (instance in the management account)", "",
           f"Break-glass group (parameters `sso_break_glass_groups`): {ic.get('break_glass_group')}.", "",
           "| group | members |", "|---|---|",
           *[f"| {g['name']} | {', '.join(g.get('members') or []) or '(none)'} |" for g in ic.get("groups", [])],
           "", "Users: " + ", ".join(u["name"] + (" (deleted after assignment)" if u.get("deleted") else "")
                                     for u in ic.get("users", [])) + ".", "",
           "| permission set | session | policies | check | expected |", "|---|---|---|---|---|"]
    for ps in ic.get("permission_sets", []):
        pols = ", ".join([*ps.get("managed", []), *(f"ref {c}" for c in ps.get("customer_managed", []))]
                         + (["inline"] if ps.get("inline") else [])
                         + ([f"boundary {next(iter(ps['boundary'].values()))}"] if ps.get("boundary") else []))
        out += [f"| {ps['name']} | {ps['session_duration']} | {pols} | `{k}` | {v} |"
                for k, v in (ps.get("expect") or {}).items()]
    out += ["", "| account | permission set | assigned to | check | expected |", "|---|---|---|---|---|"]
    for a in ic.get("assignments", []):
        who = f"group {a['group']}" if a.get("group") else f"user {a['user']}"
        out += [f"| {names.get(a['account'], a['account'])} | {a['permission_set']} | {who} | `{k}` | {v} |"
                for k, v in (a.get("expect") or {}).items()]
    return out + [""]


def render(data: dict[str, Any] | None = None) -> str:
    d = data or scenario()
    o = d["organization"]
    out = [
        "# The demo organization", "",
        "Generated from `iamkit/demo/scenario.yaml` by `python -m iamkit.demo.describe` (the data is the ground",
        "truth; edit it, then regenerate this page).",
        f"`iamkit demo` starts the local stand-in (moto plus `iamkit/demo/extras.py`), seeds this organization "
        f"(`iamkit/demo/seed.py`) and runs the whole assessment as `--org --role-name {o['member_role']}`.", "",
        "## How it is built", "",
        "- Fixed member ids: moto's Organizations draws account ids from `make_random_account_id`; while the",
        "  demo accounts are created that function hands out the scenario's ids. Member resources are created",
        "  with moto's `x-moto-account-id` header; collection reaches members through AssumeRole, as in AWS.",
        "- The stand-in enforces role trust (and `sts:ExternalId`) on AssumeRole; serves Access Analyzer,",
        "  CloudTrail LookupEvents, ListOrganizationsFeatures and per-account DescribeRegions from the scenario;",
        "  lists the root's virtual MFA device (`arn:aws:iam::<acct>:mfa/root-account-mfa-device`; a hardware",
        "  root MFA is not listed); reports `AccountPasswordPresent` (0 for centrally managed roots); pages",
        "  GetAccountAuthorizationDetails like AWS and serves seeded server certificate expiry dates; serves",
        "  permission set boundaries and ListAccountsForProvisionedPermissionSet (moto lacks them).",
        "- Ages are days before seeding; checks measure them against the bundle's collection time.", "",
        f"Enabled regions: {', '.join(o['regions'])}. Centralized root access: {', '.join(o['features'])}.", "",
        "## Organization", "", "| OU | parent |", "|---|---|",
        *[f"| {u['name']} | {u.get('parent', 'root')} |" for u in o["ous"]],
        "", "| policy | type | attached to |", "|---|---|---|",
        *[f"| {p['name']} | {p['type']} | {', '.join(p['targets'])} |" for p in o["policies"]],
        "", "FullAWSAccess and RCPFullAWSAccess are attached everywhere by Organizations.",
        "Delegated administrators: " + ", ".join(f"{x['account']} ({x['service']})"
                                                 for x in o.get("delegated_administrators", [])) + ".",
        "", *_identity_center(o.get("identity_center") or {}), "## Accounts and expected findings", "",
    ]
    for a in d["accounts"]:
        out += [f"### {a['name']} ({a['id']}, OU {a.get('ou') or 'root'})", "",
                "| resource | check | expected |", "|---|---|---|"]
        out += _rows("root user", a.get("root", {}).get("expect")) + _rows("account", a.get("expect"))
        for u in a.get("users", []):
            out += _rows(f"user {u['name']}", u.get("expect"))
            out += _rows(f"user {u['name']}#password", (u.get("password") or {}).get("expect"))
            for i, k in enumerate(u.get("access_keys", [])):
                out += _rows(f"user {u['name']}#access_key_{i + 1}", k.get("expect"))
        for kind, label in (("groups", "group"), ("roles", "role"), ("policies", "policy"),
                            ("aws_managed_policies", "AWS managed policy"), ("server_certificates", "certificate")):
            for r in a.get(kind, []):
                out += _rows(f"{label} {r['name']}", r.get("expect"))
        for region, analyzers in (a.get("access_analyzer") or {}).items():
            for an in analyzers or []:
                for f in an.get("findings", []):
                    kind = f" {f['finding_type']}" if f.get("finding_type") else ""
                    out += _rows(f"finding{kind} on {f['resource']} ({region}, {f.get('status', 'ACTIVE')})",
                                 f.get("expect"))
        out.append("")
    return "\n".join(out) + "\n" + SEMANTICS


if __name__ == "__main__":
    sys.stdout.write(render())
