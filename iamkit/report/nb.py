"""What the area notebooks call. Notebooks only call this, explain and plot; logic lives here.

``load()`` opens an account's evidence and assesses it with the same functions ``iamkit assess``
uses, so the rendered report and the JSON export cannot disagree.

Missing evidence is never shown as "nothing found": a chart or table whose model table cannot be
built (evidence not collected, denied, not supplied, or a table this iamkit does not provide) is
replaced by an "Evidence missing" note that says why.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from IPython.display import HTML, display

from iamkit import __version__
from iamkit.checks import account_model, org_model, reach
from iamkit.checks.registry import AREA_TITLES, CheckContext, metadata
from iamkit.errors import EvidenceError
from iamkit.evidence import (
    MANIFEST,
    ORGANIZATION,
    Bundle,
    atomic_write,
    check_integrity,
    iso,
    iter_bundle_dirs,
    load_bundles,
)
from iamkit.findings import Finding, Severity, Status, load_json, sort_key
from iamkit.model import AccountModel, MissingEvidence
from iamkit.report.assessment import Assessment
from iamkit.report.charts import TableUnavailable
from iamkit.report.names import identity_center_names
from iamkit.report.tables import FINDING_COLUMNS, findings_frame, html_table
from iamkit.settings import Settings, load_settings

#: what makes a chart or table impossible to draw from the evidence (shown as a note, never as "none")
UNAVAILABLE = (MissingEvidence, TableUnavailable, EvidenceError)


@dataclass
class AccountView:
    bundle: Bundle
    model: AccountModel
    settings: Settings
    findings: list[Finding]
    org_bundle: Bundle | None = None
    org: Any = None  # OrgModel when the model provides it and the run has organization evidence
    evidence_dir: Path = field(default_factory=Path)
    #: names of resources whose ARN holds only an id (Identity Center permission sets, users, groups)
    names: dict[str, str] = field(default_factory=dict)

    def area(self, *areas: str) -> list[Finding]:
        return [f for f in self.findings if f.area in areas]


def load(evidence_dir: str | Path, account_id: str, parameters_files: Sequence[str] = (),
         thresholds: dict[str, Any] | None = None, output_dir: str | Path | None = None, *,
         whole_run: bool = False) -> AccountView:
    """The account's evidence, model and findings. Empty ``evidence_dir``/``account_id`` (the
    committed parameters cell) fall back to ``IAMKIT_DEFAULT_EVIDENCE``/``IAMKIT_DEFAULT_ACCOUNT``,
    which ``iamkit lab`` sets to the last demo run.

    In a run (``output_dir`` holds the ``findings.json`` the assessment stage wrote for this account) the
    findings are read from that file and only this account's bundle and the organization bundle are opened
    and verified, so a notebook starts in the same time for 5 or 500 accounts and shows exactly the findings
    of the exports; ``whole_run`` also registers every other account's bundle (unread) on the organization model,
    for the organization-wide reach graph of notebook 03. Without ``findings.json`` (JupyterLab, or
    ``thresholds`` overridden) the whole run is assessed again."""
    evidence_dir, account_id = _defaults(evidence_dir, account_id)
    settings = load_settings([Path(p) for p in parameters_files], thresholds=thresholds or None)
    found = Path(output_dir) / "findings.json" if output_dir else None
    if found is not None and found.is_file() and not thresholds:
        view = _from_run(Path(evidence_dir), str(account_id), settings, found, whole_run)
        if view is not None:
            return view
    bundles, org = load_bundles([Path(evidence_dir)], allow_modified=settings.allow_modified_evidence)
    matches = [b for b in bundles if b.account_id == str(account_id)]
    if not matches:
        raise ValueError(f"no evidence for account {account_id} in {evidence_dir}")
    bundle = matches[0]
    run = Assessment.build(bundles, org, settings)
    return AccountView(bundle, run.model(bundle), settings, run.findings(bundle),
                       org_bundle=org, org=run.org, evidence_dir=Path(evidence_dir), names=identity_center_names(org))


def _defaults(evidence_dir: str | Path, account_id: str) -> tuple[str | Path, str]:
    import os

    from iamkit.report.lab import demo_defaults

    fallback = {} if (evidence_dir and account_id) else demo_defaults(Path("..") / "reports" / "demo")
    env_e, env_a = "IAMKIT_DEFAULT_EVIDENCE", "IAMKIT_DEFAULT_ACCOUNT"
    evidence_dir = evidence_dir or os.environ.get(env_e) or fallback.get(env_e, "")
    account_id = account_id or os.environ.get(env_a) or fallback.get(env_a, "")
    if not evidence_dir or not account_id:
        raise ValueError("set evidence_dir and account_id in the parameters cell (or start with 'iamkit lab' "
                         "after 'make demo')")
    return evidence_dir, account_id


def _from_run(evidence_dir: Path, account_id: str, settings: Settings, found: Path,
              whole_run: bool) -> AccountView | None:
    """The view from the assessment stage's ``findings.json``: this account's bundle and the organization bundle
    verified; with ``whole_run`` the other accounts' bundles registered unread on the organization model (the
    organization-wide reach graph of notebook 03 reads them, each file checked against its manifest as it is
    read). None when the run's layout or the file does not match this evidence (then :func:`load` assesses
    everything again)."""
    allow = settings.allow_modified_evidence
    here = evidence_dir / account_id
    if not (here / MANIFEST).is_file():
        return None
    bundle = check_integrity(Bundle(here, allow_modified=allow))
    findings = load_json(found)
    if any(f.account_id != account_id or f.observed_at != bundle.collected_at for f in findings):
        return None  # written for other evidence (e.g. re-collected since): assess again
    org_dir = evidence_dir / ORGANIZATION
    org_bundle = check_integrity(Bundle(org_dir, allow_modified=allow)) if (org_dir / MANIFEST).is_file() else None
    org = org_model(org_bundle, [bundle])
    if org is not None and whole_run:
        for d in iter_bundle_dirs([evidence_dir]):
            other = Bundle(d, allow_modified=allow)
            if other.scope != ORGANIZATION:
                org.account_bundles.setdefault(other.account_id, other)
    view = AccountView(bundle, account_model(bundle, settings, org), settings, sorted(findings, key=sort_key),
                       org_bundle=org_bundle, org=org, evidence_dir=evidence_dir,
                       names=identity_center_names(org_bundle))
    if org is not None and whole_run:  # the graph the assessment built for this run, if it still matches
        ctx = CheckContext(account=view.model, settings=settings, org=org)
        reach.load_graph(ctx, found.parent.parent / reach.GRAPH_FILE)
    return view


def show_html(markup: str) -> None:
    display(HTML(markup))


def note(text: str, kind: str = "info") -> None:
    show_html(f'<p class="iamkit-note iamkit-note-{html.escape(kind)}">{html.escape(text)}</p>')


def missing(what: str, exc: BaseException) -> None:
    """The visible replacement of a chart or table whose evidence is missing."""
    show_html(f'<p class="iamkit-note iamkit-note-missing"><strong>Evidence missing: {html.escape(what)}.</strong> '
              f"{html.escape(str(exc))}. Nothing can be concluded from its absence.</p>")


def show_findings(findings: Iterable[Finding], *, statuses: Sequence[Status] | None = None,
                  empty: str = "No findings in this area.") -> None:
    """A table of every finding (every failing resource with its ARN and detail)."""
    df = findings_frame(findings)
    if statuses is not None:
        df = df[df["status"].isin([s.value for s in statuses])]
    if df.empty:
        show_html(f"<p><em>{html.escape(empty)}</em></p>")
        return
    show_html(html_table(df, FINDING_COLUMNS))


def show_check_summary(findings: Iterable[Finding], area: str | Sequence[str] | None = None) -> None:
    """One line per check of the area: control, status counts, and the control's title. Checks of
    the area that produced no finding at all are listed too, so a silent check is visible."""
    areas = [area] if isinstance(area, str) else list(area or [])
    rows: dict[str, dict[str, Any]] = {}

    def row(check_id: str) -> dict[str, Any]:
        meta = metadata().get(check_id)
        return rows.setdefault(check_id, {
            "check_id": check_id, "title": meta.title if meta else "", "severity": meta.severity.value if meta else "",
            "controls": ", ".join(meta.controls) if meta else "", "FAIL": 0, "ERROR": 0, "MANUAL": 0,
            "PASS": 0, "NOT_APPLICABLE": 0})

    for f in findings:
        row(f.check_id)[f.status.value] += 1
    from iamkit.checks.registry import registered

    for cid in registered():
        meta = metadata().get(cid)
        if meta and meta.area in areas:
            row(cid)
    df = pd.DataFrame(list(rows.values()))
    if df.empty:
        show_html("<p><em>No check of this area is available in this iamkit version.</em></p>")
        return
    df = df.sort_values("check_id").rename(columns={"NOT_APPLICABLE": "N/A"})
    show_html(html_table(df))


def show_figure(fig: go.Figure, reading: str) -> None:
    """Display a chart so that it survives nbconvert (inline HTML, plotly.js supplied once by the
    report template) and JupyterLab (plotly mimetype), followed by its one-line reading."""
    title = fig.layout.title.text or ""
    div = fig.to_html(include_plotlyjs=False, full_html=False,
                      config={"displaylogo": False, "responsive": False, "staticPlot": False})
    caption = (f'<p class="iamkit-reading"><strong>{html.escape(title)}.</strong> '
               f"{html.escape(reading)}</p>")
    display({"application/vnd.plotly.v1+json": json.loads(fig.to_json()), "text/html": div}, raw=True)
    show_html(caption)


def show_chart(title: str, build: Callable[[str], go.Figure], reading: str) -> None:
    """``build(title)`` -> figure, shown with its reading; or an "Evidence missing" note with the
    chart's title when the tables it needs cannot be built."""
    try:
        fig = build(title)
    except UNAVAILABLE as exc:
        missing(f"chart '{title}'", exc)
        return
    from iamkit.report.charts import MIN_POINTS, data_points, describe

    if data_points(fig) < MIN_POINTS:  # too little to draw: say it in a sentence
        show_html(f'<p class="iamkit-reading"><strong>{html.escape(title)}</strong> (too few data points for '
                  f"a chart): {html.escape(describe(fig))}.</p>")
        return
    show_figure(fig, reading)


#: rows a section table shows before it refers to its CSV (the report's page budget; the cards hold the detail)
SECTION_ROWS = 8


def export_table(df: pd.DataFrame, output_dir: str | Path, name: str) -> Path:
    """The complete table as ``<output_dir>/tables/<name>.csv`` (every column, every row), atomically."""
    path = Path(output_dir) / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, df.to_csv(index=False).encode())
    return path


def show_model_table(what: str, build: Callable[[], pd.DataFrame], columns: Sequence[str] | None = None, *,
                     limit: int | None = None, export: tuple[str | Path, str] | None = None) -> None:
    """A table built from the model (e.g. the trust relationships), or an "Evidence missing" note.
    ``export=(output_dir, name)`` writes the complete table (all columns) to ``tables/<name>.csv`` beside the
    report; ``limit`` shows only the first rows and says how many more the CSV holds."""
    try:
        df = build()
    except UNAVAILABLE as exc:
        missing(what, exc)
        return
    if df is None or len(df) == 0:
        show_html(f"<p><em>No {html.escape(what)} in the evidence.</em></p>")
        return
    where = ""
    if export is not None:
        path = export_table(df, *export)
        rel = f"tables/{path.name}"
        where = f' in <a href="{html.escape(rel)}">{html.escape(rel)}</a>'
    cols = [c for c in (columns or df.columns) if c in df.columns]
    shown = df if limit is None else df.head(limit)
    more = len(df) - len(shown)
    if shown.empty:  # limit=0: the section refers to the CSV only (the cards and the checks table say the rest)
        show_html(f'<p class="iamkit-reading">The {len(df)} {html.escape(what)}, every column{where}.</p>')
        return
    tail = ""
    if more:
        tail = (f'<p class="iamkit-reading">{more} more row{"s" * (more != 1)} of the {len(df)} '
                f"{html.escape(what)}{where or ' (not shown)'}.</p>")
    elif where:
        tail = f'<p class="iamkit-reading">Every column of this table{where}.</p>'
    show_html(html_table(shown, cols, compact=True) + tail)


def area_title(area: str) -> str:
    return AREA_TITLES[area]


# -- summary notebook ---------------------------------------------------------------------------

def status_counts(findings: Iterable[Finding]) -> pd.DataFrame:
    """Areas x statuses (findings counts), with a total row."""
    df = pd.DataFrame([{"area": AREA_TITLES.get(f.area, f.area), "status": f.status.value} for f in findings],
                      columns=["area", "status"])
    order = [s.value for s in (Status.FAIL, Status.ERROR, Status.MANUAL, Status.PASS, Status.NOT_APPLICABLE)]
    if df.empty:
        return pd.DataFrame(columns=["area", *order])
    out = df.groupby(["area", "status"]).size().unstack(fill_value=0).reindex(columns=order, fill_value=0)
    out.loc["all areas"] = out.sum()
    return out.reset_index()


def severity_counts(findings: Iterable[Finding]) -> pd.DataFrame:
    """Areas x severities, counting FAIL findings only."""
    order = [s.value for s in Severity]
    df = pd.DataFrame([{"area": AREA_TITLES.get(f.area, f.area), "severity": f.severity.value}
                       for f in findings if f.status == Status.FAIL], columns=["area", "severity"])
    if df.empty:
        return pd.DataFrame(columns=["area", *order])
    out = df.groupby(["area", "severity"]).size().unstack(fill_value=0).reindex(columns=order, fill_value=0)
    out.loc["all areas"] = out.sum()
    return out.reset_index()


def show_counts(findings: Sequence[Finding]) -> None:
    show_html("<h3>Findings by status</h3>" + html_table(status_counts(findings)))
    sev = severity_counts(findings)
    show_html("<h3>Failing findings by severity</h3>" + (html_table(sev) if len(sev) else
                                                         "<p><em>No failing findings.</em></p>"))


def top_risks(findings: Iterable[Finding], limit: int = 10) -> list[Finding]:
    """The worst FAIL findings without an accepted-risk exception (severity first)."""
    fails = [f for f in findings if f.status == Status.FAIL and f.exception is None]
    return sorted(fails, key=sort_key)[:limit]


def show_top_risks(findings: Sequence[Finding], limit: int = 10) -> None:
    top = top_risks(findings, limit)
    if not top:
        show_html("<p><em>No open failing findings.</em></p>")
        return
    show_html(html_table(findings_frame(top), ["severity", "check_id", "resource_arn", "detail", "remediation"]))


def show_accepted_risks(findings: Sequence[Finding]) -> None:
    accepted = [f for f in findings if f.exception is not None]
    if not accepted:
        show_html("<p><em>No finding of this account matched an accepted-risk entry.</em></p>")
        return
    show_html(html_table(findings_frame(accepted), ["status", "severity", "check_id", "resource_arn", "exception"]))


def provenance(view: AccountView) -> pd.DataFrame:
    """Where the evidence comes from and whether it is intact (every file re-hashed now)."""
    b = view.bundle
    m = b.manifest
    ident = m.get("caller_identity") or {}
    problems = b.verify()
    rows = [
        ("account", b.account_id),
        ("evidence source", b.source),
        ("collected at (UTC)", iso(b.collected_at)),
        ("collected by (caller identity)", ident.get("Arn", "unknown")),
        ("collected with iamkit", str(m.get("iamkit_version", "unknown"))),
        ("reported with iamkit", __version__),
        ("regions", ", ".join(m.get("regions") or []) or "none recorded"),
        ("evidence files", str(len(m.get("files", {})))),
        ("integrity (sha256 of every file)", "verified: every file matches the manifest" if not problems
         else f"FAILED for {len(problems)} file(s): " + "; ".join(problems)),
        ("collection errors", str(len(b.errors))),
    ]
    if view.org_bundle is not None:
        ob = view.org_bundle
        oproblems = ob.verify()
        rows += [("organization evidence collected at", iso(ob.collected_at)),
                 ("organization evidence integrity", "verified" if not oproblems else "; ".join(oproblems))]
    return pd.DataFrame(rows, columns=["fact", "value"])


def show_provenance(view: AccountView) -> None:
    show_html(html_table(provenance(view)))
    errs = view.bundle.errors
    if errs:
        cols = [c for c in ("collector", "operation", "region", "code", "message", "file") if any(c in e for e in errs)]
        show_html("<p>Operations that failed during collection (the checks that need their data say ERROR):</p>"
                  + html_table(pd.DataFrame(errs).reindex(columns=cols), cols))
    files = pd.DataFrame([{"file": k, "bytes": v.get("bytes"), "sha256": v.get("sha256")}
                          for k, v in sorted(view.bundle.manifest.get("files", {}).items())])
    if len(files):
        show_html("<h3>Evidence files and their sha256</h3>" + html_table(files))


def show_baseline(view: AccountView, baseline: str | Path | None) -> None:
    """New, resolved and changed findings of this account against a baseline run's findings."""
    if not baseline:
        show_html("<p><em>No baseline run was given (iamkit run --baseline OLD_RUN).</em></p>")
        return
    from iamkit.diff import diff_findings, load_run_findings

    old = [f for f in load_run_findings(Path(baseline)) if f.account_id == view.bundle.account_id]
    d = diff_findings(old, view.findings)
    show_html(d.html(title=None))
