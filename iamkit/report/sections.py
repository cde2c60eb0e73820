"""Sections of the account report that the notebooks display: cover and scope, executive summary,
an area's checks and failing-finding cards, and the appendices. Notebooks only call these."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from iamkit.findings import Status
from iamkit.report import appendix, cards, scope, summary
from iamkit.report.areas import AREAS
from iamkit.report.fmt import resource_name
from iamkit.report.ids import finding_ids
from iamkit.report.nb import AccountView, show_html
from iamkit.report.remediation import Context

#: (anchor, title) of the report's sections, for the contents on the cover (render.combine makes the anchors)
CONTENTS = [(f"area-{a.notebook}", a.title) for a in AREAS]


def context(view: AccountView) -> Context:
    org, t = view.org, view.settings.thresholds
    org_id = mgmt = root_id = ""
    if org is not None:
        org_id, mgmt = org.organization_id, org.management_account_id
        try:
            root_id = org.root_id
        except Exception:  # noqa: BLE001  roots.json missing: the remediation names "the organization root id"
            root_id = ""
    return Context(org_id=org_id, management_account_id=mgmt, root_id=root_id, in_org=bool(org_id),
                   min_length=t.password_min_length, reuse=t.password_reuse_prevention,
                   max_age=t.password_max_age_days)


def show_cover(view: AccountView, output_dir: str | Path | None = None) -> None:
    show_html(scope.cover(view, Path(output_dir) if output_dir else None, CONTENTS))


def show_executive_summary(view: AccountView, baseline: str | Path | None = None) -> None:
    fs = view.findings
    r = summary.rating(fs)
    items = summary.issues(fs, view.names)
    counts = summary.issue_counts(items)
    top = [i for i in items if not i.accepted][:5]
    lis = "".join(f'<li><span class="iamkit-sev sev-{i.severity.value}">{i.severity.value}</span> '
                  f"{html.escape(i.sentence())}</li>" for i in top)
    count_txt = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    accepted = [i for i in items if i.accepted]
    acc = (f"<p>{len(accepted)} further issue{'s' * (len(accepted) != 1)} "
           "covered by accepted-risk entries (see their cards).</p>" if accepted else "")
    note = cards.has_cr_note(fs)
    caveat = f'<p class="iamkit-note">Credential report: {html.escape(note)}</p>' if note else ""
    show_html(f'<div class="iamkit-exec"><div class="rating rating-{r.css}"><strong>Overall rating: '
              f"{html.escape(r.label)}</strong> — {html.escape(r.reason)}</div>"
              f"<p>Distinct issues by severity: {html.escape(count_txt)} ({len(items)} issue"
              f"{'s' * (len(items) != 1)} from {sum(1 for f in fs if f.status == Status.FAIL)} failing results; "
              f"{appendix.status_sentence(fs)}).</p>"
              + (f"<h3>The issues that matter</h3><ol class=\"issues\">{lis}</ol>" if lis else
                 "<p>No open issue.</p>") + acc + caveat + "</div>")
    show_baseline_counts(view, baseline)


def show_baseline_counts(view: AccountView, baseline: str | Path | None) -> None:
    if not baseline:
        show_html("<p><strong>Changes since the baseline:</strong> no baseline run was given "
                  "(iamkit run --baseline OLD_RUN).</p>")
        return
    from iamkit.diff import diff_findings, load_run_findings

    old = [f for f in load_run_findings(Path(baseline)) if f.account_id == view.bundle.account_id]
    d = diff_findings(old, view.findings)
    show_html("<p><strong>Changes since the baseline:</strong></p>" + d.html(title=None))


def show_area(view: AccountView, areas: Sequence[str], output_dir: str | Path | None = None) -> None:
    """The area's checks as counts, then one card per failing finding, then what needs a person."""
    fs = view.area(*areas)
    ids = finding_ids(view.findings)
    show_html("<h2>Checks of this area</h2>" + appendix.area_counts(fs, areas))
    fails = [f for f in fs if f.status == Status.FAIL]
    body = cards.cards(fails, ids, context(view), evidence_dir=view.evidence_dir.resolve(),
                       report_dir=Path(output_dir) if output_dir else None, names=view.names)
    show_html(f"<h2>Failing findings ({len(fails)})</h2>" + (body or "<p>No failing finding in this area.</p>"))
    other = [f for f in fs if f.status in (Status.ERROR, Status.MANUAL)]
    if other:
        show_html("<h3>Not evaluated or for manual confirmation</h3><ul class=\"open-items\">" + "".join(
            f"<li><strong>{f.status.value}</strong> {html.escape(f.title)} "
            f"({html.escape(resource_name(f.resource_arn, view.names))})"
            f": {html.escape(f.detail)}</li>" for f in other) + "</ul>")


def show_results_appendix(view: AccountView) -> None:
    show_html(appendix.results_table(view.findings, finding_ids(view.findings), view.names))


def show_compliance_appendix(view: AccountView) -> None:
    show_html(appendix.compliance_tables(view.findings))


REACH_TITLE = "Reach from outside to the roles of this account"


def show_reach_graph(view: AccountView) -> None:
    """The reach graph when it shows what the trust graph cannot: a chain of role assumptions from outside the
    account to an admin-equivalent role. Otherwise one sentence (the direct trust is in the trust graph)."""
    from iamkit.report import leastpriv
    from iamkit.report.nb import UNAVAILABLE, missing, note, show_figure

    try:
        fig = leastpriv.reach_graph(view, REACH_TITLE)
    except UNAVAILABLE as exc:
        missing(f"chart '{REACH_TITLE}'", exc)
        return
    if not any(trace.name == "chain" for trace in fig.data):
        note("No chain of role assumptions leads from outside this account to one of its roles: who can assume "
             "each role directly is in the trust graph above.")
        return
    show_figure(fig, "Left: principals outside the account; lines follow trust and role assumptions to the right; "
                "red diamonds are admin-equivalent roles, so a red path ending in one is a takeover route.")
