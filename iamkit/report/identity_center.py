"""IAM Identity Center in the reports: the people x accounts matrix and what reaches each account.

One function builds the HTML section from a folder of evidence (a run folder, ``DIR/evidence``):
the run index and notebook 03 both call :func:`section_html` / :func:`show`, so they show the same
thing. Missing evidence is a visible note that says why, never an empty matrix.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from iamkit.errors import EvidenceError
from iamkit.evidence import load_bundles
from iamkit.identity_center import identity_center_of
from iamkit.identity_center.views import RollUp, roll_up
from iamkit.model import AccountModel, MissingEvidence, OrgModel
from iamkit.report.tables import html_table

READING = ("Each row is a person (an Identity Store user; group assignments are expanded to their members), "
           "each column an account; a cell is the most powerful access the person has there through any "
           "permission set, after the permission set's boundary and the account's SCPs: admin, can escalate "
           "(a catalogued privilege-escalation path), limited write, read-only, or unknown (a policy document "
           "is missing from the evidence).")


def _note(text: str, kind: str = "missing") -> str:
    return f'<p class="iamkit-note iamkit-note-{kind}">{html.escape(text)}</p>'


def build(evidence_dir: str | Path, org: Any = None) -> RollUp | str:
    """The roll-up of the evidence under ``evidence_dir``, or a one-line reason why there is none."""
    try:
        bundles, org_bundle = load_bundles([Path(evidence_dir)])
    except EvidenceError as exc:
        return f"Evidence missing: {exc}."
    if org_bundle is None:
        return NO_ORG
    org = org if org is not None else OrgModel(org_bundle)
    return _roll_up(org, lambda: {b.account_id: AccountModel(b, org=org) for b in bundles})


NO_ORG = ("Evidence missing: no organization bundle (collect with --org from the management account or "
          "the Identity Center delegated administrator), so Identity Center was not read.")


def _roll_up(org: Any, accounts: Callable[[], dict[str, AccountModel]]) -> RollUp | str:
    ic = identity_center_of(org)
    try:
        if not ic.has_instance:
            return f"No Identity Center instance: ListInstances in {ic.region or '?'} answered none."
        return roll_up(ic, accounts(), org)
    except MissingEvidence as exc:
        return f"Evidence missing: {exc}. Nothing can be concluded from its absence."


def section_html(evidence_dir: str | Path, org: Any = None, *, heading: str = "h2") -> str:
    """The Identity Center section: matrix, then per account the permission sets and how many people each."""
    r = build(evidence_dir, org)
    out = [f"<{heading}>IAM Identity Center: who can do what in which account</{heading}>"]
    if isinstance(r, str):
        return "".join(out) + _note(r, "missing" if r.startswith("Evidence") else "info")
    matrix = r.matrix()
    out.append(f"<p>{html.escape(READING)}</p>")
    out.append(html_table(matrix) if not matrix.empty else _note("No person holds an assignment.", "info"))
    mgmt = r.reach[r.reach["account_id"] == r.management_account_id]
    if not mgmt.empty:
        names = ", ".join(sorted(set(r.people.loc[r.people["account_id"] == r.management_account_id, "user_name"])))
        out.append(_note(f"Management account {r.management_account_id}: {len(mgmt)} permission set(s) reach it, "
                         f"held by {names or 'nobody'}. SCPs never restrict this account.", "warning"))
    sub = "h3" if heading == "h2" else "h4"
    out.append(f"<{sub}>Permission sets per account</{sub}>")
    out.append(html_table(r.reach, ["account", "permission_set_name", "label", "people", "how", "reason"]))
    return "".join(out)


def account_table(view: Any) -> pd.DataFrame | str:
    """The permission sets reaching the notebook's account (or why that cannot be told). Only this account's
    model is rolled up, so a notebook's cost does not grow with the number of accounts in the run."""
    if view.org is None or view.org_bundle is None:
        return NO_ORG
    r = _roll_up(view.org, lambda: {view.bundle.account_id: view.model})
    if isinstance(r, str):
        return r
    return r.reach[r.reach["account_id"] == str(view.bundle.account_id)].reset_index(drop=True)


def show(view: Any, output_dir: str | Path | None = None) -> None:
    """Notebook 03: the permission sets that reach this account and how many people hold each (the complete
    table, with how and why, in ``tables/identity_center.csv``); the people x accounts matrix of the whole
    organization is on the run index, once."""
    from iamkit.report.nb import note, show_html, show_model_table

    here = account_table(view)
    if isinstance(here, str):
        show_html(_note(here, "missing" if here.startswith("Evidence") else "info"))
        return
    show_html("<h3>Permission sets that reach this account</h3>")
    if here.empty:
        note("No Identity Center assignment reaches this account.")
    else:
        show_model_table("permission sets that reach this account", lambda: here,
                         ["permission_set_name", "label", "people"],
                         export=(output_dir, "identity_center") if output_dir else None)
    show_html('<p class="iamkit-reading">Who holds which access in every account (people x accounts) is on the '
              "run's index page.</p>")
