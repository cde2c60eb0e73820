"""The executive summary of an account report: an overall rating with its reason, the issues that
matter (related findings merged into one issue), counts of distinct issues by severity, and the
changes since a baseline.

An *issue* is what a reader has to fix: all failing resources of one check are one issue, and checks
that describe the same problem are merged (root without MFA is one issue, not "no MFA" and "no
hardware MFA"; the four password-policy settings are one policy to change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from iamkit.checks.registry import metadata
from iamkit.findings import Finding, Severity, Status
from iamkit.report.fmt import resource_name

#: checks merged into one issue: issue key -> (checks, plain-language headline)
MERGED: dict[str, tuple[tuple[str, ...], str]] = {
    "root_mfa": (("iam.root.mfa_enabled", "iam.root.hardware_mfa"),
                 "The root user is not protected by a hardware MFA device"),
    "root_creds": (("iam.root.access_keys_absent", "org.root.centralized_management"),
                   "The root user still has long-lived credentials"),
    "user_mfa": (("iam.user.console_mfa", "iam.user.privileged_without_mfa"),
                 "IAM users can sign in to the console with a password alone"),
    "passwords": (("iam.password_policy.min_length", "iam.password_policy.reuse_prevention",
                   "iam.password_policy.complexity", "iam.password_policy.expiry"),
                  "The account password policy is weaker than required"),
    "stale_keys": (("iam.access_key.rotated", "iam.credentials.unused", "iam.access_key.unused_since_setup",
                    "iam.user.single_active_key"),
                   "Long-lived credentials are old, unused or duplicated"),
    "trust": (("iam.role.trust_any_principal", "iam.role.trust_unknown_account",
               "iam.role.trust_external_without_external_id", "iam.role.oidc_trust_unrestricted",
               "iam.role.service_trust_confused_deputy"),
              "Roles can be assumed from outside the organization without sufficient restriction"),
}
_ISSUE_OF = {c: k for k, (checks, _) in MERGED.items() for c in checks}

#: the problem a failing check describes, in plain language (check titles state the expected state)
PROBLEM = {
    "iam.root.recent_use": "The root user was used recently",
    "iam.identity.federation": "People may sign in with IAM users instead of central federation",
    "iam.server_certificate.expired": "Expired server certificates are still stored in IAM",
    "accessanalyzer.enabled_all_regions": "IAM Access Analyzer is not watching every region",
    "accessanalyzer.active_findings": "IAM Access Analyzer reports resources shared outside the account",
    "org.account.member": "The account is not part of an AWS organization",
    "org.scp.enabled": "Service control policies are not enabled",
    "org.scp.guardrails_present": "No SCP guardrail restricts the account",
    "iam.policy.full_admin_attached": "Full administrator policies are attached to principals",
    "iam.user.direct_policies": "IAM users hold policies directly instead of through groups",
    "iam.support_role": "No role is set up to manage AWS Support cases",
    "iam.cloudshell_full_access": "AWSCloudShellFullAccess is attached to principals",
}


@dataclass
class Issue:
    key: str
    headline: str
    severity: Severity
    findings: list[Finding] = field(default_factory=list)
    #: resource names for ARNs that hold only an id (:mod:`iamkit.report.names`)
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> list[str]:
        return list(dict.fromkeys(subject(f, self.names) for f in self.findings))

    @property
    def accepted(self) -> bool:
        return all(f.exception is not None for f in self.findings)

    def sentence(self) -> str:
        names = self.resources
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        return f"{self.headline}: {shown}." if shown else f"{self.headline}."


def subject(f: Finding, names: Mapping[str, str] | None = None) -> str:
    """The resource by name; an account-level finding (root ARN, not a root-user check) names the account."""
    if f.resource_arn.endswith(":root") and ".root." not in f.check_id:
        return f"account {f.resource_arn.split(':')[4] or f.account_id}"
    return resource_name(f.resource_arn, names)


def headline(f: Finding) -> str:
    """The problem a failing finding describes, in plain language."""
    key = _ISSUE_OF.get(f.check_id, f.check_id)
    meta = metadata().get(f.check_id)
    return MERGED[key][1] if key in MERGED else PROBLEM.get(f.check_id) or (meta.title if meta else f.title)


def issues(findings: Iterable[Finding], names: Mapping[str, str] | None = None) -> list[Issue]:
    """Distinct issues of the FAIL findings, worst first (severity, then number of resources)."""
    out: dict[str, Issue] = {}
    for f in findings:
        if f.status != Status.FAIL:
            continue
        key = _ISSUE_OF.get(f.check_id, f.check_id)
        issue = out.setdefault(key, Issue(key, headline(f), f.severity, names=names or {}))
        if f.severity.rank < issue.severity.rank:
            issue.severity = f.severity
        issue.findings.append(f)
    return sorted(out.values(), key=lambda i: (i.accepted, i.severity.rank, -len(i.findings), i.key))


def issue_counts(items: Sequence[Issue]) -> dict[str, int]:
    return {s.value: sum(1 for i in items if i.severity == s) for s in Severity}


@dataclass(frozen=True)
class Rating:
    label: str  # "Unsatisfactory", "Needs improvement", "Satisfactory with observations", "Satisfactory"
    css: str
    reason: str


def rating(findings: Sequence[Finding]) -> Rating:
    """The overall rating: driven by the worst open (not accepted) issue; checks that could not be
    evaluated make a clean result "not fully assessed" instead of satisfactory."""
    open_issues = [i for i in issues(findings) if not i.accepted]
    errors = sum(1 for f in findings if f.status == Status.ERROR)
    counts = issue_counts(open_issues)
    worst = open_issues[0].severity if open_issues else None
    n = len(open_issues)
    if worst in (Severity.critical, Severity.high):
        k = counts["critical"] + counts["high"]
        return Rating("Unsatisfactory", "bad", f"{k} open critical or high-severity issue{'s' * (k != 1)} "
                      f"(of {n} open issue{'s' * (n != 1)}); worst: {open_issues[0].headline.lower()}.")
    if worst == Severity.medium:
        return Rating("Needs improvement", "warn", f"{counts['medium']} open medium-severity issue"
                      f"{'s' * (counts['medium'] != 1)}, no critical or high one.")
    if worst is not None:
        return Rating("Satisfactory with observations", "ok", f"only low-severity issues open ({n}).")
    if errors:
        return Rating("Not fully assessed", "warn", f"no open issue, but {errors} check result"
                      f"{'s' * (errors != 1)} could not be evaluated (see Limitations).")
    return Rating("Satisfactory", "ok", "no open failing finding.")
