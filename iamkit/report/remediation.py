"""Remediation with the finding's real values: the user, role, key, policy ARN, account, region and
organization id of the finding filled into the check's remediation variants (``report_remediation`` in the
check's metadata, ``iamkit/checks/<module>.metadata.yaml``).

A value the evidence does not give (e.g. the id of an access key: the credential report names keys by
slot only) is never a ``<placeholder>``: the CLI looks it up first (``list-access-keys`` with the key's
creation date) and keeps it in a shell variable. A check without variants falls back to its metadata's
``remediation`` text without Markdown; a test keeps every check covered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iamkit.checks.registry import metadata
from iamkit.findings import Finding
from iamkit.report.fmt import plain, resource_name


@dataclass(frozen=True)
class Variant:
    label: str
    console: str
    cli: str


@dataclass(frozen=True)
class Context:
    """What a remediation needs beyond the finding: the organization and the thresholds."""
    org_id: str = ""
    management_account_id: str = ""
    root_id: str = ""
    in_org: bool = False
    min_length: int = 14
    reuse: int = 24
    max_age: int = 90


def templates() -> dict[str, list[dict[str, str]]]:
    """check id -> its remediation variants (``label``, ``console``, ``cli``, optional ``when``)."""
    return {cid: list(m.report_remediation) for cid, m in metadata().items() if m.report_remediation}


CLOUDSHELL_POLICY = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
_REGION = re.compile(r"\b([a-z]{2}(?:-gov)?-[a-z]+-\d)\b")
_ACCOUNT_ROOT = re.compile(r"arn:aws:iam::(\d{12}):root")
_CREATED = re.compile(r"(?:created(?: or rotated)?|created) (\d{4}-\d{2}-\d{2})")
_PRINCIPALS = re.compile(r"\b(user|group|role) ([\w+=,.@-]+)")
_OIDC = re.compile(r"oidc-provider/([^\s\]\[,]+)")
_MANAGED = re.compile(r"managed: ([^;)]+)")

PREDICATES: dict[str, Callable[[Finding, Context], bool]] = {
    "root_no_mfa": lambda f, _c: "no MFA" in f.detail,
    "root_virtual_mfa": lambda f, _c: "virtual" in f.detail.lower() and "no MFA" not in f.detail,
    "member": lambda f, c: c.in_org and f.account_id != c.management_account_id,
    "in_org": lambda _f, c: c.in_org,
    "password": lambda f, _c: f.resource_arn.endswith("#password"),
    "access_key": lambda f, _c: "#access_key_" in f.resource_arn,
}


def _principal_commands(f: Finding, policy_arn: str) -> str:
    tail = f.detail.split(":", 1)[-1] if "principal" in f.detail else f.detail
    lines = [f"aws iam detach-{kind}-policy --{kind}-name {name.rstrip('.,;')} --policy-arn {policy_arn}"
             for kind, name in _PRINCIPALS.findall(tail)]
    return "\n".join(dict.fromkeys(lines)) or f"# detach {policy_arn} from each entity listed above"


def values(f: Finding, ctx: Context) -> dict[str, Any]:
    """Every field a template may use, from the finding (ARN, detail, evidence) and ``ctx``."""
    base, _, frag = f.resource_arn.partition("#")
    name = resource_name(base)
    region = f.region if f.region != "global" else (_REGION.findall(f.detail) or ["us-east-1"])[0]
    others = [a for a in _ACCOUNT_ROOT.findall(f.detail) if a != f.account_id]
    created = _CREATED.findall(f.detail)
    policy_arn = base if ":policy/" in base else ""
    locator = f.evidence[0].locator if f.evidence else ""
    aa = re.search(r"findings\[(arn:[^\]]+)\]\[id=([^\]]+)\]", locator)
    user_policies = [p.strip() for m in _MANAGED.findall(f.detail) for p in m.split(",")]
    direct = "\n".join(f"aws iam attach-group-policy --group-name {name}-access --policy-arn "
                       f"arn:aws:iam::{f.account_id}:policy/{p}\n"
                       f"aws iam detach-user-policy --user-name {name} --policy-arn "
                       f"arn:aws:iam::{f.account_id}:policy/{p}" for p in user_policies)
    return {
        "account_id": f.account_id, "region": region, "name": name, "user": name, "role": name,
        "policy_arn": policy_arn, "policy_name": policy_arn.rsplit("/", 1)[-1] if policy_arn else name,
        "slot": frag.removeprefix("access_key_") if frag.startswith("access_key_") else "",
        "key_created": created[0] if created else "earliest",
        "other_account": others[0] if others else "the trusted account",
        "oidc_host": (_OIDC.findall(f.detail) or ["token.actions.githubusercontent.com"])[0],
        "analyzer_arn": aa.group(1) if aa else "", "aa_finding_id": aa.group(2) if aa else "",
        "org_id": ctx.org_id or "(no organization)", "mgmt_account_id": ctx.management_account_id or f.account_id,
        "root_id": ctx.root_id or "the organization root id", "min_length": ctx.min_length,
        "reuse": ctx.reuse, "max_age": ctx.max_age,
        "detach_commands": _principal_commands(f, policy_arn or CLOUDSHELL_POLICY),
        "direct_policy_commands": direct or "# move each policy listed above to the group, then detach it",
    }




def variants(f: Finding, ctx: Context) -> list[Variant]:
    """The remediation variants that apply to ``f`` (at least one for every check)."""
    entries = templates().get(f.check_id)
    if not entries:
        meta = metadata().get(f.check_id)
        text = plain(meta.remediation if meta else f.remediation)
        return [Variant("Remediation", text, "")] if text else []
    vals = values(f, ctx)
    chosen = [e for e in entries if not e.get("when") or PREDICATES[e["when"]](f, ctx)]
    out = []
    for e in chosen or entries:  # no variant fits what the finding says: show them all
        out.append(Variant(e["label"].format_map(vals), e["console"].format_map(vals),
                           (e.get("cli") or "").format_map(vals).rstrip()))
    return out
