"""Organization-wide views for the run index: who outside the organization can assume roles, root
user protection and use across accounts, SCP guardrails per account, and the MANUAL items with the
confirmation each needs. Built from the run's findings (what every account report also shows) and,
for the OU paths and the organization id, from the organization evidence bundle."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamkit.evidence import MANIFEST, ORGANIZATION, Bundle
from iamkit.findings import Finding, Status
from iamkit.report.fmt import resource_name

TRUST_CHECKS = ("iam.role.trust_unknown_account", "iam.role.trust_any_principal",
                "iam.role.trust_external_without_external_id", "iam.role.oidc_trust_unrestricted")
ROOT_CHECKS = {"iam.root.mfa_enabled": "MFA", "iam.root.hardware_mfa": "hardware MFA",
               "iam.root.access_keys_absent": "no access keys", "iam.root.recent_use": "not used recently",
               "org.root.centralized_management": "credentials removed (central root access)"}
_ACCOUNT = re.compile(r"arn:aws:iam::(\d{12}):root")


@dataclass
class OrgFacts:
    organization_id: str = ""
    management_account_id: str = ""
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {name, ou_path, status}
    manifest: Path | None = None

    @property
    def active(self) -> int:
        return sum(1 for a in self.accounts.values() if str(a.get("status") or "ACTIVE").upper() == "ACTIVE")


def org_facts(run_dir: Path) -> OrgFacts:
    """Organization id, management account and OU path per account from ``evidence/organization``
    (empty facts when the run has no organization evidence; the index then says so)."""
    path = Path(run_dir) / "evidence" / ORGANIZATION
    if not (path / MANIFEST).is_file():
        return OrgFacts()
    from iamkit.model import MissingEvidence, OrgModel

    org = OrgModel(Bundle(path))
    facts = OrgFacts(org.organization_id, org.management_account_id, manifest=path / MANIFEST)
    try:
        for r in org.accounts.itertuples(index=False):
            facts.accounts[str(r.id)] = {"name": r.name, "ou_path": r.ou_path, "status": r.status}
    except MissingEvidence:
        pass  # no accounts list in the evidence: the index shows the OU path as unknown
    return facts


def external_trust(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Outside accounts (or anyone) that roles trust, with the roles per account."""
    rows: dict[str, dict[str, Any]] = {}
    for f in findings:
        if f.status != Status.FAIL or f.check_id not in TRUST_CHECKS:
            continue
        others = [a for a in _ACCOUNT.findall(f.detail) if a != f.account_id] or (
            ["anyone (*)"] if f.check_id == "iam.role.trust_any_principal" else ["an OIDC provider"]
            if f.check_id == "iam.role.oidc_trust_unrestricted" else [])
        for o in others:
            r = rows.setdefault(o, {"who": o, "roles": set(), "checks": set()})
            r["roles"].add(f"{resource_name(f.resource_arn)} ({f.account_id})")
            r["checks"].add(f.check_id)
    return [{"who": r["who"], "roles": sorted(r["roles"]), "checks": sorted(r["checks"])}
            for r in sorted(rows.values(), key=lambda r: (-len(r["roles"]), r["who"]))]


def root_matrix(accounts: Sequence[str], findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Per account: the status of each root check ("PASS", "FAIL", ..., or "" when not run)."""
    cells: dict[str, dict[str, str]] = {a: {} for a in accounts}
    for f in findings:
        if f.check_id in ROOT_CHECKS and f.account_id in cells:
            cells[f.account_id][f.check_id] = f.status.value
    return [{"account_id": a, "cells": [cells[a].get(c, "") for c in ROOT_CHECKS]} for a in accounts]


def guardrails(accounts: Sequence[str], findings: Sequence[Finding], mgmt: str) -> list[dict[str, Any]]:
    """Per account: whether SCP guardrails restrict it (the management account is exempt from SCPs)."""
    out = {a: {"account_id": a, "status": "", "detail": "not assessed"} for a in accounts}
    for f in findings:
        if f.check_id == "org.scp.guardrails_present" and f.account_id in out:
            out[f.account_id] = {"account_id": f.account_id, "status": f.status.value, "detail": f.detail}
    if mgmt in out:
        out[mgmt]["exempt"] = True
    return list(out.values())


GUARDRAIL_PREFIX = "org.scp.guardrail."


def guardrail_matrix(accounts: Sequence[str], findings: Sequence[Finding]) -> tuple[list[str], list[dict[str, Any]]]:
    """Accounts x evaluated guardrails (``org.scp.guardrail.<name>`` results): the guardrail names and, per
    account, the status of each ("" when the account has no result for it)."""
    names = sorted({f.check_id.removeprefix(GUARDRAIL_PREFIX) for f in findings
                    if f.check_id.startswith(GUARDRAIL_PREFIX)})
    cells: dict[str, dict[str, str]] = {a: {} for a in accounts}
    for f in findings:
        if f.check_id.startswith(GUARDRAIL_PREFIX) and f.account_id in cells:
            cells[f.account_id][f.check_id.removeprefix(GUARDRAIL_PREFIX)] = f.status.value
    return names, [{"account_id": a, "cells": [cells[a].get(n, "") for n in names]} for a in accounts]


def manual_items(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == Status.MANUAL]
