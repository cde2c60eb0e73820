"""Finding ids for reports: ``F-<account id>-<nnn>``, numbered per account over its FAIL findings in
a fixed order (area order, check id, region, resource ARN). The same evidence and settings therefore
always give the same ids, in the account report, the index and any re-render (``iamkit render``).
Across runs the identity of a finding stays its key (check, account, region, resource); see
``iamkit diff``."""

from __future__ import annotations

from collections.abc import Iterable

from iamkit.checks.registry import AREAS
from iamkit.findings import Finding, Status


def _order(f: Finding) -> tuple[int, str, str, str]:
    area = AREAS.index(f.area) if f.area in AREAS else len(AREAS)
    return (area, f.check_id, f.region, f.resource_arn)


def finding_ids(findings: Iterable[Finding]) -> dict[tuple[str, str, str, str], str]:
    """finding key -> id, for the FAIL findings of any number of accounts."""
    by_account: dict[str, list[Finding]] = {}
    for f in findings:
        if f.status == Status.FAIL:
            by_account.setdefault(f.account_id, []).append(f)
    out = {}
    for account, fs in by_account.items():
        for n, f in enumerate(sorted(fs, key=_order), 1):
            out[f.key] = f"F-{account}-{n:03d}"
    return out


def anchor(finding_id: str) -> str:
    """The HTML id of a finding card (the index links to ``report.html#<anchor>``)."""
    return finding_id.lower()
