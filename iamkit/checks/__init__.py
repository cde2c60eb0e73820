"""Checks: pure functions from model tables to findings, one module per area.

``assess(bundles, settings, org_bundle)`` runs every registered check on every account bundle. The
organization bundle (when present) becomes an :class:`~iamkit.model.OrgModel` shared by all accounts;
facts only one account can see (the management account's ``ListOrganizationsFeatures`` answer, the
organization-wide Access Analyzer analyzers of the delegated administrator) are lifted onto it so the
member accounts' checks can use them.
"""

from __future__ import annotations

from collections.abc import Iterable

from iamkit.checks.registry import CheckContext, discover, registered, run_check
from iamkit.evidence import Bundle
from iamkit.findings import Finding, sort_key
from iamkit.model import AccountModel, OrgModel
from iamkit.settings import Settings

#: every check module (a module with a ``<name>.metadata.yaml`` beside it) registers its checks when imported
CHECK_IDS = discover(__name__)


def account_model(bundle: Bundle, settings: Settings, org: OrgModel | None = None) -> AccountModel:
    """The model the checks see for one account (what notebooks should use too)."""
    return AccountModel(bundle, org=org, trusted_account_ids=settings.trusted_account_ids,
                        known_vendor_accounts=settings.known_vendor_accounts)


def org_model(org_bundle: Bundle | OrgModel | None, accounts: Iterable[Bundle] = ()) -> OrgModel | None:
    """OrgModel of the organization bundle, enriched from the account bundles (see module docstring,
    :meth:`OrgModel.add_accounts`). A new model for each bundle: callers build it once per run and pass it
    to :func:`assess_account` explicitly (no model is shared between calls, so two organizations assessed
    in one process never see each other's evidence)."""
    if org_bundle is None:
        return None
    org = org_bundle if isinstance(org_bundle, OrgModel) else OrgModel(org_bundle)
    return org.add_accounts(accounts)


def assess_account(bundle: Bundle, settings: Settings, org: OrgModel | Bundle | None = None) -> list[Finding]:
    if isinstance(org, Bundle):
        org = org_model(org, [bundle])
    account = account_model(bundle, settings, org)
    out: list[Finding] = []
    for check_id in sorted(registered()):
        out.extend(run_check(check_id, CheckContext(account=account, settings=settings, org=org)))
    note = altered_note(bundle, org.bundle if isinstance(org, OrgModel) else None)
    if note:
        out = [f.model_copy(update={"detail": f"{f.detail} {note}"}) for f in out]
    return sorted(out, key=sort_key)


def altered_note(bundle: Bundle, org_bundle: Bundle | None = None) -> str:
    """The sentence every finding of an account carries when it was assessed from altered evidence
    (``--allow-modified``); empty otherwise."""
    altered = [f"{bundle.account_id}/{f}" for f in bundle.altered] if bundle.allow_modified else []
    if org_bundle is not None and org_bundle.allow_modified:
        altered += [f"organization/{f}" for f in org_bundle.altered]
    if not altered:
        return ""
    return (f"[EVIDENCE ALTERED after collection: {', '.join(altered)} no longer match the manifest's sha256; "
            "assessed anyway with --allow-modified.]")


def assess(bundles: Iterable[Bundle], settings: Settings, org: OrgModel | Bundle | None = None) -> list[Finding]:
    """Findings of every check on every bundle, as the checks give them: accepted risks are attached by
    :class:`iamkit.report.assessment.Assessment`, the one place that applies them."""
    bundles = list(bundles)
    org_m = org_model(org, bundles) if isinstance(org, Bundle) else org
    out: list[Finding] = []
    for b in bundles:
        out.extend(assess_account(b, settings, org_m))
    return sorted(out, key=sort_key)
