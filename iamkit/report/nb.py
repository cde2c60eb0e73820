"""What the area notebooks call. Notebooks only call this, explain and plot; logic lives here.

``load()`` opens an account's evidence and assesses it with the same functions ``iamkit assess``
uses, so the rendered report and the JSON export cannot disagree.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from IPython.display import HTML, display

from iamkit.checks import assess_account
from iamkit.checks.registry import AREA_TITLES, metadata
from iamkit.evidence import Bundle, load_bundles
from iamkit.findings import Finding, Status
from iamkit.model import AccountModel
from iamkit.report.tables import FINDING_COLUMNS, findings_frame, html_table
from iamkit.settings import Settings, load_settings


@dataclass
class AccountView:
    bundle: Bundle
    model: AccountModel
    settings: Settings
    findings: list[Finding]

    def area(self, area: str) -> list[Finding]:
        return [f for f in self.findings if f.area == area]


def load(evidence_dir: str | Path, account_id: str, parameters_files: Sequence[str] = (),
         thresholds: dict[str, Any] | None = None) -> AccountView:
    bundles, org = load_bundles([Path(evidence_dir)])
    matches = [b for b in bundles if b.account_id == str(account_id)]
    if not matches:
        raise ValueError(f"no evidence for account {account_id} in {evidence_dir}")
    settings = load_settings([Path(p) for p in parameters_files], thresholds=thresholds or None)
    bundle = matches[0]
    return AccountView(bundle, AccountModel(bundle), settings, assess_account(bundle, settings, org))


def show_html(markup: str) -> None:
    display(HTML(markup))


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


def show_check_summary(findings: Iterable[Finding]) -> None:
    """One line per check of the area: control, status counts, and the control's title."""
    rows = {}
    for f in findings:
        r = rows.setdefault(f.check_id, {"check_id": f.check_id, "title": metadata()[f.check_id].title,
                                         "controls": ", ".join(f.controls), "PASS": 0, "FAIL": 0, "ERROR": 0,
                                         "MANUAL": 0, "NOT_APPLICABLE": 0})
        r[f.status.value] += 1
    import pandas as pd

    df = pd.DataFrame(list(rows.values()))
    if df.empty:
        show_html("<p><em>No checks ran in this area.</em></p>")
        return
    show_html(html_table(df.sort_values("check_id")))


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


def area_title(area: str) -> str:
    return AREA_TITLES[area]
