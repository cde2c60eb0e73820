"""Plotly charts for the area notebooks. Each has a title; the notebook adds a one-line reading.

Figures have a fixed width (650 px) so that they print on a PDF page without clipping.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from iamkit.findings import Finding, Status
from iamkit.model import ROOT_USER, AccountModel

WIDTH = 650
STATUS_COLORS = {"FAIL": "#c81e1e", "ERROR": "#c27803", "MANUAL": "#1c64f2", "PASS": "#057a55",
                 "NOT_APPLICABLE": "#9ca3af"}


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.02}, width=WIDTH, height=height, autosize=False,
                      margin={"l": 60, "r": 20, "t": 60, "b": 50}, template="plotly_white",
                      font={"size": 12})
    return fig


def status_by_check(findings: Iterable[Finding], title: str) -> go.Figure:
    """Stacked bars: for each check, how many resources are in each status."""
    df = pd.DataFrame([{"check": f.check_id, "status": f.status.value} for f in findings],
                      columns=["check", "status"])
    counts = df.groupby(["check", "status"]).size().unstack(fill_value=0) if not df.empty else pd.DataFrame()
    fig = go.Figure()
    for status in [s.value for s in Status]:
        if status in counts:
            fig.add_bar(y=counts.index, x=counts[status], name=status, orientation="h",
                        marker_color=STATUS_COLORS[status])
    fig.update_layout(barmode="stack", xaxis_title="resources", yaxis={"automargin": True})
    return _layout(fig, title, height=max(260, 60 + 40 * len(counts)))


def root_credential_use(account: AccountModel, window_days: int, title: str) -> go.Figure:
    """Days since each root credential was last used, against the root-usage window."""
    row = account.root_row() or {}
    items = []
    for label, col in [("password", "password_last_used"), ("access key 1", "access_key_1_last_used_date"),
                       ("access key 2", "access_key_2_last_used_date")]:
        ts = row.get(col)
        if ts is not None and not pd.isna(ts):
            items.append((label, (account.now - ts.to_pydatetime()).days))
    fig = go.Figure()
    if items:
        fig.add_bar(x=[i[0] for i in items], y=[i[1] for i in items], marker_color="#1c64f2",
                    text=[f"{i[1]} d" for i in items], textposition="outside", name="days since last use")
    else:
        fig.add_annotation(text=f"No recorded use of any {ROOT_USER} credential", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
    fig.add_hline(y=window_days, line_dash="dash", line_color="#c81e1e",
                  annotation_text=f"{window_days}-day window", annotation_position="top left")
    fig.update_layout(yaxis_title="days since last use (lower is more recent)", showlegend=False,
                      yaxis={"rangemode": "tozero"})
    return _layout(fig, title)
