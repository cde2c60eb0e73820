"""``--resume``: what of a previous (interrupted or partly failed) run in the same folder is reused.

An account is skipped when its previous record is complete (status ok, same settings fingerprint), its
evidence manifest verifies, its report files exist and its per-account ``findings.json`` loads. An
account whose evidence was collected but not yet assessed keeps that evidence (it is not collected
again). Altered evidence is refused before anything of the run is rewritten.
"""

from __future__ import annotations

import json
from typing import Any

from iamkit.errors import BadInputError, IamkitError
from iamkit.evidence import MANIFEST, Bundle, iso
from iamkit.findings import Finding, load_json
from iamkit.runner.state import RunState


def previous_accounts(state: RunState) -> dict[str, dict[str, Any]]:
    """The account records of the previous run.json (empty without ``resume``, without a previous run or
    when its settings differ); the organization record is taken over too."""
    path = state.run_dir / "run.json"
    if not state.opts.resume or not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        raise BadInputError(f"{path}: cannot resume, run.json is not valid JSON ({exc})") from None
    if doc.get("settings_fingerprint") != state.fingerprint:
        state.emit(event="message", message="settings differ from the previous run: every account is redone")
        return {}
    if doc.get("organization"):
        state.organization = doc["organization"]
    previous = {a["account_id"]: a for a in doc.get("accounts", [])}
    for rec in previous.values():  # refuse altered evidence before anything of the run is rewritten
        if rec.get("collected_at") and (state.evidence_root / rec["account_id"] / MANIFEST).is_file():
            state.bundle(state.evidence_root / rec["account_id"])
    return previous


def reusable_evidence(state: RunState, rec: dict[str, Any] | None) -> Bundle | None:
    """The bundle an interrupted run already collected for this account (same settings, the collection
    time recorded in run.json), so --resume does not collect it again. Altered evidence is refused."""
    if not rec or not rec.get("collected_at"):
        return None
    path = state.evidence_root / rec["account_id"]
    if not (path / MANIFEST).is_file():
        return None
    b = state.bundle(path)
    return b if iso(b.collected_at) == rec["collected_at"] else None


def reusable_findings(state: RunState, rec: dict[str, Any] | None) -> list[Finding] | None:
    """The previous findings of an account whose outputs are complete and whose evidence is unchanged,
    else None (altered evidence: see :func:`reusable_evidence`, which refuses or re-assesses it)."""
    if not rec or rec.get("status") != "ok":
        return None
    aid = rec["account_id"]
    adir = state.account_dir(aid)
    bundle_dir = state.evidence_root / aid
    needed = [adir / "findings.json", bundle_dir / MANIFEST]
    if state.opts.reports:
        needed.append(adir / "report.html")
        if state.opts.pdf:
            needed.append(adir / "report.pdf")
    if not all(p.is_file() and p.stat().st_size > 0 for p in needed):
        return None
    try:
        if Bundle(bundle_dir).altered:
            return None
        return load_json(adir / "findings.json")
    except IamkitError as exc:
        state.emit(event="message", message=f"{aid}: previous outputs unusable ({exc}); redoing it")
        return None
