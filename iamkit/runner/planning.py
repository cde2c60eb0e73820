"""Which accounts a run covers: the caller's account or every ACTIVE account of its organization
(:func:`iamkit.collect.bundle.plan_accounts`), narrowed to ``accounts`` and to the organizational
units of ``organizational_units`` (:func:`select_ous`), each with its OU path (:func:`with_ou_paths`).
The organization's evidence, which OU selection needs, is collected here, once per run."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from iamkit.collect import bundle as collect_bundle
from iamkit.collect.bundle import AccountTarget
from iamkit.errors import BadInputError, CollectionError
from iamkit.evidence import MANIFEST, Bundle
from iamkit.model import OrgModel
from iamkit.runner.state import RunState


def _norm_ou(path: str) -> str:
    """``/Workloads/Prod``, ``Workloads/Prod/`` and ``Root/Workloads/Prod`` -> ``Workloads/Prod``."""
    parts = [x for x in path.strip().strip("/").split("/") if x]
    return "/".join(parts[1:] if parts and parts[0].lower() == "root" else parts)


def _ou_id(selector: str, by_path: dict[str, str], org: OrgModel) -> str:
    """The OU (or root) id a selector names; bad input when it names none."""
    sel = str(selector).strip()
    if sel in set(by_path.values()) or (org.root_id and sel == org.root_id):
        return sel
    if _norm_ou(sel) in by_path:
        return by_path[_norm_ou(sel)]
    if _norm_ou(sel) == "" and org.root_id:
        return str(org.root_id)
    known = ", ".join(sorted(by_path)[:10])
    raise BadInputError(f"organizational_units: '{selector}' is neither an OU id nor an OU path of the organization "
                        f"(OU paths: {known or 'none'})")


def select_ous(targets: list[Any], selectors: list[str] | None, org: OrgModel | None = None) -> list[Any]:
    """Targets inside any of the OUs ``selectors``: OU ids (``ou-ab12-...``, or the root id) or paths from the
    root (``Workloads/Prod``, ``/Workloads/Prod``, ``Root/Workloads/Prod``); an OU includes every account
    below it. ``org`` is the run's :class:`~iamkit.model.OrgModel`. Without selectors: all targets. A
    selector naming no OU of the organization, or a selection that matches no account, is bad input."""
    if not selectors:
        return list(targets)
    if org is None:
        raise BadInputError("organizational_units selects accounts of an organization: run with --org from the "
                            "management account or a delegated administrator (the OU of an account is known only "
                            "from the organization's data)")
    ous = org.ous
    by_path = {_norm_ou(str(p)): str(i) for i, p in zip(ous["id"], ous["path"], strict=True)}
    wanted = {_ou_id(sel, by_path, org) for sel in selectors}
    out = [t for t in targets if wanted & set(org.account_chain(t.account_id))]
    if not out:
        raise BadInputError(f"no account of the run is in {', '.join(str(s) for s in selectors)}")
    return out


def with_ou_paths(targets: list[AccountTarget], org: OrgModel | None) -> list[AccountTarget]:
    """Targets with ``ou_path`` filled from the organization evidence (OrgModel.accounts) when known."""
    if org is None:
        return list(targets)
    paths = {str(i): p for i, p in zip(org.accounts["id"], org.accounts["ou_path"], strict=True)
             if isinstance(p, str)}
    return [t if t.ou_path or t.account_id not in paths else replace(t, ou_path=paths[t.account_id])
            for t in targets]


def collect_organization(state: RunState, session: Any) -> Bundle | None:
    """The organization bundle, collected once per run (kept from the previous run with --resume). A
    failed collection is recorded, not raised: the accounts are still assessed (SCP checks say ERROR)."""
    existing = state.evidence_root / "organization"
    if state.organization and state.organization.get("status") == "ok" and (existing / MANIFEST).is_file():
        return state.bundle(existing)
    target = state.opts.target
    if not (state.opts.org or (target is not None and target.organization)):
        return None
    t0 = time.monotonic()
    state.emit(event="stage", account_id="organization", stage="collect")
    try:
        path = collect_bundle.collect_organization(session, state.evidence_root, state.opts.source)
    except Exception as exc:  # recorded: the accounts are still assessed (scp checks say ERROR)
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        state.organization = {"status": "failed", "error": reason, "seconds": round(time.monotonic() - t0, 3)}
        state.emit(event="organization_failed", error=reason)
        return None
    state.organization = {"status": "ok", "path": "evidence/organization", "seconds": round(time.monotonic() - t0, 3)}
    state.emit(event="organization_done", seconds=state.organization["seconds"])
    return state.bundle(Path(path))


def plan_targets(state: RunState, session: Any) -> tuple[list[AccountTarget], Bundle | None]:
    """The accounts of the run, in the selected OUs, with their OU paths; and the organization bundle."""
    settings = state.opts.settings
    targets = collect_bundle.plan_accounts(session, accounts=settings.accounts)
    org_bundle = collect_organization(state, session)
    org = OrgModel(org_bundle) if org_bundle is not None else None
    if settings.organizational_units and org is None and state.organization and state.organization.get("error"):
        raise CollectionError(f"organizational_units needs the organization's data, whose collection failed: "
                              f"{state.organization['error']}")
    return with_ou_paths(select_ous(targets, settings.organizational_units, org), org), org_bundle
