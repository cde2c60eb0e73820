"""Checks: pure functions from model tables to findings, one module per area.

``assess(bundles, settings)`` runs every registered check on every account bundle.
"""

from __future__ import annotations

from collections.abc import Iterable

from iamkit.checks import root  # noqa: F401  (registers the root checks)
from iamkit.checks.registry import CheckContext, registered, run_check
from iamkit.evidence import Bundle
from iamkit.findings import Finding, sort_key
from iamkit.model import AccountModel
from iamkit.settings import Settings


def assess_account(bundle: Bundle, settings: Settings, org: object = None) -> list[Finding]:
    account = AccountModel(bundle)
    out: list[Finding] = []
    for check_id in sorted(registered()):
        out.extend(run_check(check_id, CheckContext(account=account, settings=settings, org=org)))
    return sorted(out, key=sort_key)


def assess(bundles: Iterable[Bundle], settings: Settings, org: object = None) -> list[Finding]:
    out: list[Finding] = []
    for b in bundles:
        out.extend(assess_account(b, settings, org))
    return sorted(out, key=sort_key)
