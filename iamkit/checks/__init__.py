"""Checks: pure functions from model tables to findings, one module per area.

``assess(bundles, settings, org_bundle)`` runs every registered check on every account bundle. The
organization bundle (when present) becomes an :class:`~iamkit.model.OrgModel` shared by all accounts;
facts only one account can see (the management account's ``ListOrganizationsFeatures`` answer, the
organization-wide Access Analyzer analyzers of the delegated administrator) are lifted onto it so the
member accounts' checks can use them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from iamkit.checks.registry import CheckContext, discover, registered, run_check
from iamkit.evidence import Bundle
from iamkit.findings import Finding, sort_key
from iamkit.model import ORGANIZATIONS_FEATURES, AccountModel, OrgModel, analyzer_file
from iamkit.settings import Settings

ORG_BUNDLE_FEATURES = "organizations/organizations_features.json"

#: every check module (a module with a ``<name>.metadata.yaml`` beside it) registers its checks when imported
CHECK_IDS = discover(__name__)


def account_model(bundle: Bundle, settings: Settings, org: OrgModel | None = None) -> AccountModel:
    """The model the checks see for one account (what notebooks should use too)."""
    return AccountModel(bundle, org=org, trusted_account_ids=settings.trusted_account_ids,
                        known_vendor_accounts=settings.known_vendor_accounts)


_ORG_CACHE: dict[tuple[str, str], OrgModel] = {}
_ORG_LOCK = threading.Lock()


def org_model(org_bundle: Bundle | OrgModel | None, accounts: Iterable[Bundle] = ()) -> OrgModel | None:
    """OrgModel of the organization bundle, enriched from the account bundles (see module docstring).
    One model per organization bundle is kept, so assessing thousands of accounts one by one (as the
    runner does) parses the organization's evidence once."""
    if org_bundle is None:
        return None
    if isinstance(org_bundle, OrgModel):
        org = org_bundle
    else:
        key = (str(org_bundle.path.resolve()), str(org_bundle.manifest.get("collected_at")))
        with _ORG_LOCK:
            org = _ORG_CACHE.get(key)
            if org is None:
                if len(_ORG_CACHE) > 8:
                    _ORG_CACHE.clear()
                org = _ORG_CACHE[key] = OrgModel(org_bundle)
    if org.features is None and org.bundle.has(ORG_BUNDLE_FEATURES):
        org.features = list(org.bundle.json(ORG_BUNDLE_FEATURES).get("EnabledFeatures") or [])
        org.features_ref = org.bundle.ref(ORG_BUNDLE_FEATURES, "EnabledFeatures")
    for b in accounts:
        org.account_bundles.setdefault(b.account_id, b)
        if org.features is None and b.account_id == org.management_account_id and b.has(ORGANIZATIONS_FEATURES):
            org.features = list(b.json(ORGANIZATIONS_FEATURES).get("EnabledFeatures") or [])
            org.features_ref = b.ref(ORGANIZATIONS_FEATURES, "EnabledFeatures")
        for region in b.manifest.get("regions") or []:
            if not b.has(analyzer_file(region)):
                continue
            for a in b.json(analyzer_file(region)).get("analyzers") or []:
                arns = org.org_analyzers.setdefault(region, [])
                if a.get("type") == "ORGANIZATION" and a.get("status") == "ACTIVE" and str(a.get("arn")) not in arns:
                    arns.append(str(a.get("arn")))
    return org


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
