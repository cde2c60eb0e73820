"""Plotly charts for the area notebooks. Each has a title; the notebook adds a one-line reading.

Charts read the documented model tables (``iamkit.model.AccountModel`` / ``OrgModel``). A table
whose evidence is missing raises :class:`~iamkit.model.MissingEvidence`; an organization chart of a
run without organization evidence raises :class:`TableUnavailable`. ``nb.show_chart`` turns both into a visible
"evidence missing" note, so a chart never silently shows "nothing found".

Figures have a fixed width (620 px) so that they print on a PDF page without clipping.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from iamkit.findings import Finding, Status
from iamkit.model import ROOT_USER, AccountModel

WIDTH = 620
#: fewer data points than this are said in a sentence instead of drawn (nb.show_chart)
MIN_POINTS = 5
# Okabe-Ito: distinguishable with every common colour-vision deficiency
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999", "black": "#000000"}
STATUS_COLORS = {"FAIL": OKABE_ITO["vermillion"], "ERROR": OKABE_ITO["orange"], "MANUAL": OKABE_ITO["blue"],
                 "PASS": OKABE_ITO["green"], "NOT_APPLICABLE": OKABE_ITO["grey"]}
SEVERITY_COLORS = {"critical": "#7F2704", "high": OKABE_ITO["vermillion"], "medium": OKABE_ITO["orange"],
                   "low": OKABE_ITO["sky"], "informational": OKABE_ITO["grey"]}
RELATION_COLORS = {"same_account": OKABE_ITO["green"], "organization": OKABE_ITO["sky"], "trusted": OKABE_ITO["blue"],
                   "vendor": OKABE_ITO["purple"], "unknown": OKABE_ITO["vermillion"], "any": OKABE_ITO["black"],
                   "service": OKABE_ITO["grey"], "federated": OKABE_ITO["orange"]}


class TableUnavailable(Exception):
    """A chart needs the organization model and the run has no organization evidence."""


def table(model: Any, name: str) -> Any:
    """``model.<name>``, or :class:`TableUnavailable` when there is no model (no organization evidence)."""
    if model is None:
        raise TableUnavailable(f"{name}: no organization evidence in this run")
    return getattr(model, name)


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.02}, width=WIDTH, height=height, autosize=False,
                      margin={"l": 60, "r": 20, "t": 60, "b": 50}, template="plotly_white",
                      font={"size": 12})
    # counts are whole numbers: never a 0.5 tick
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        if axis.title.text and any(w in axis.title.text for w in ("resources", "keys", "users", "findings")):
            axis.update(tickformat="d", rangemode="tozero", dtick=None if _max_count(fig) > 10 else 1)
    return fig


def _max_count(fig: go.Figure) -> float:
    vals = [v for t in fig.data if t.type == "bar" for v in _seq(t.x if t.orientation == "h" else t.y)
            if _num(v)]
    return max(vals, default=0)


def _num(v: Any) -> float:
    """``v`` as a number (0 for anything that is not one)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def _seq(values: Any) -> list[Any]:
    return [] if values is None else list(values)


def data_points(fig: go.Figure) -> int:
    """How many things a chart shows (bar totals, histogram items, markers, lines, sunburst nodes)."""
    n = 0
    for t in fig.data:
        if t.type == "bar":
            n += sum(1 for v in _seq(t.x if t.orientation == "h" else t.y) if _num(v))
        elif t.type == "histogram":
            n += len(t.x if t.x is not None else [])
        elif t.type == "scatter" and "text" not in (t.mode or ""):
            xs = [x for x in (t.x if t.x is not None else []) if x is not None]
            n += len(xs) // 2 if t.mode == "lines" else len(xs)
        elif t.type == "sunburst":
            n += len(t.ids or [])
    return n


def describe(fig: go.Figure) -> str:
    """The data of a small chart as a sentence."""
    parts = []
    for t in fig.data:
        if t.type == "bar":
            labels, vals = (t.y, t.x) if t.orientation == "h" else (t.x, t.y)
            parts += [f"{lab}: {int(_num(v))}{'' if len(fig.data) == 1 else ' ' + str(t.name)}"
                      for lab, v in zip(_seq(labels), _seq(vals), strict=False) if _num(v)]
        elif t.type == "histogram":
            parts += [f"{t.name}: {', '.join(str(int(x)) for x in (t.x if t.x is not None else []))}"] \
                if t.x is not None and len(t.x) else []
        elif t.type == "scatter" and t.mode == "markers":
            parts += [f"{str(x)[:16]} {t.name}" for x in (t.x if t.x is not None else [])]
    return "; ".join(parts) or "nothing to show"


def _empty(fig: go.Figure, text: str) -> go.Figure:
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
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
    if counts.empty:
        _empty(fig, "No findings in this area")
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
        fig.add_bar(x=[i[0] for i in items], y=[i[1] for i in items], marker_color=OKABE_ITO["blue"],
                    text=[f"{i[1]} d" for i in items], textposition="outside", name="days since last use")
    else:
        fig.add_annotation(text=f"No recorded use of any {ROOT_USER} credential", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
    fig.add_hline(y=window_days, line_dash="dash", line_color=OKABE_ITO["vermillion"],
                  annotation_text=f"{window_days}-day window", annotation_position="top left")
    fig.update_layout(yaxis_title="days since last use (lower is more recent)", showlegend=False,
                      yaxis={"rangemode": "tozero"})
    return _layout(fig, title)


def root_activity_timeline(account: AccountModel, window_days: int, title: str) -> go.Figure:
    """Root user events (CloudTrail) over the usage window: one marker per event, by action."""
    events = table(account, "root_events")
    fig = go.Figure()
    start = pd.Timestamp(account.now) - pd.Timedelta(days=window_days)
    if events is None or len(events) == 0:
        _empty(fig, f"No root user events in the last {window_days} days of CloudTrail history")
        return _layout(fig, title, height=260)
    df = events.copy()
    df["event_time"] = pd.to_datetime(df["event_time"], utc=True)
    for name, grp in df.groupby("event_name", sort=True):
        fig.add_scatter(x=grp["event_time"], y=[name] * len(grp), mode="markers", name=str(name),
                        marker={"size": 10, "symbol": "diamond"},
                        customdata=grp[["region", "source_ip"]].astype(str).values,
                        hovertemplate="%{x}<br>%{y}<br>region %{customdata[0]}, from %{customdata[1]}"
                                      "<extra></extra>")
    fig.update_layout(showlegend=False, xaxis={"range": [start, pd.Timestamp(account.now)],
                                               "title": "event time (UTC)"},
                      yaxis={"automargin": True, "title": ""})
    return _layout(fig, title, height=max(260, 120 + 35 * df["event_name"].nunique()))


def access_key_age(account: AccountModel, max_age_days: int, title: str) -> go.Figure:
    """Histogram of the age of active access keys, with the rotation threshold as a vertical line."""
    keys = table(account, "access_keys")
    fig = go.Figure()
    active = keys[keys["active"].astype(bool)] if len(keys) else keys
    if len(active) == 0:
        _empty(fig, "No active access keys")
        return _layout(fig, title, height=260)
    ages = pd.to_numeric(active["age_days"], errors="coerce").dropna()
    top = max(float(ages.max()), float(max_age_days)) * 1.1
    size = max(15, int(math.ceil(top / 20 / 15.0)) * 15)
    old = ages[ages > max_age_days]
    young = ages[ages <= max_age_days]
    fig.add_histogram(x=young, name=f"≤ {max_age_days} days", marker_color=OKABE_ITO["green"],
                      xbins={"start": 0, "end": top, "size": size})
    fig.add_histogram(x=old, name=f"> {max_age_days} days", marker_color=OKABE_ITO["vermillion"],
                      xbins={"start": 0, "end": top, "size": size})
    fig.add_vline(x=max_age_days, line_dash="dash", line_color=OKABE_ITO["vermillion"],
                  annotation_text=f"{max_age_days}-day rotation limit", annotation_position="top right")
    fig.update_layout(barmode="stack", xaxis_title="key age (days since created or rotated)",
                      yaxis_title="active keys", xaxis={"range": [0, top]},
                      legend={"orientation": "h", "y": -0.25})
    return _layout(fig, title)


def mfa_coverage(account: AccountModel, title: str) -> go.Figure:
    """Console users by MFA: hardware, virtual, none (users without a console password excluded)."""
    users = table(account, "users")
    fig = go.Figure()
    console = users[users["has_console_password"].astype(bool)] if len(users) else users
    if len(console) == 0:
        _empty(fig, "No IAM user has a console password")
        return _layout(fig, title, height=260)
    kinds: dict[str, str] = {}
    for rec in table(account, "mfa_devices").itertuples(index=False):
        # hardware beats virtual when a user has both
        if kinds.get(rec.user_arn) != "hardware":
            kinds[str(rec.user_arn)] = str(rec.kind)
    labels = []
    for rec in console.itertuples(index=False):
        if not bool(rec.mfa_active):
            labels.append("no MFA")
        else:
            labels.append({"hardware": "hardware MFA", "virtual": "virtual MFA"}.get(kinds.get(rec.arn, ""),
                                                                                       "MFA (kind unknown)"))
    counts = pd.Series(labels).value_counts()
    order = [k for k in ("hardware MFA", "virtual MFA", "MFA (kind unknown)", "no MFA") if k in counts]
    colors = {"hardware MFA": OKABE_ITO["green"], "virtual MFA": OKABE_ITO["sky"],
              "MFA (kind unknown)": OKABE_ITO["grey"],
              "no MFA": OKABE_ITO["vermillion"]}
    fig.add_bar(x=[counts[k] for k in order], y=order, orientation="h", marker_color=[colors[k] for k in order],
                text=[f"{counts[k]} of {len(console)}" for k in order], textposition="auto")
    fig.update_layout(xaxis_title="IAM users with a console password", yaxis={"automargin": True},
                      showlegend=False)
    return _layout(fig, title, height=80 + 50 * len(order) + 60)


def trust_graph(account: AccountModel, title: str) -> go.Figure:
    """Bipartite graph: roles (left) and who can assume them (right), edges coloured by relation."""
    trust = table(account, "trust")
    fig = go.Figure()
    if len(trust) == 0:
        _empty(fig, "No role trust policy names a principal")
        return _layout(fig, title, height=260)
    df = trust.copy()
    df["who"] = df.apply(_principal_label, axis=1)
    roles = sorted(df["role_name"].astype(str).unique())
    whos = sorted(df["who"].unique())
    n = max(len(roles), len(whos))

    def ypos(items: list[str]) -> dict[str, float]:
        step = (n - 1) / max(len(items) - 1, 1) if len(items) > 1 else 0
        return {it: (n - 1) / 2 if len(items) == 1 else n - 1 - i * step for i, it in enumerate(items)}

    ry, wy = ypos(roles), ypos(whos)
    for relation, grp in df.groupby("relation", sort=True):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for rec in grp.itertuples(index=False):
            xs += [0, 1, None]
            ys += [ry[str(rec.role_name)], wy[rec.who], None]
        fig.add_scatter(x=xs, y=ys, mode="lines", name=str(relation), hoverinfo="skip",
                        line={"color": RELATION_COLORS.get(str(relation), "#6b7280"), "width": 2})
    fig.add_scatter(x=[0] * len(roles), y=[ry[r] for r in roles], mode="markers+text", text=roles,
                    textposition="middle left", marker={"size": 10, "color": "#1e429f"}, showlegend=False,
                    hovertext=roles, hoverinfo="text")
    fig.add_scatter(x=[1] * len(whos), y=[wy[w] for w in whos], mode="markers+text", text=whos,
                    textposition="middle right", marker={"size": 10, "color": "#374151", "symbol": "square"},
                    showlegend=False, hovertext=whos, hoverinfo="text")
    fig.update_xaxes(visible=False, range=[-1.2, 2.2])
    fig.update_yaxes(visible=False, range=[-1, n])
    fig.update_layout(legend={"orientation": "h", "y": -0.05, "title": {"text": "relation "}})
    fig = _layout(fig, title, height=min(1400, 140 + 28 * n))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 60, "b": 40})
    return fig


def _principal_label(rec: pd.Series) -> str:
    kind = str(rec.get("principal_kind", ""))
    if kind == "any":
        return "* (anyone)"
    if kind == "service":
        return str(rec.get("service") or rec.get("principal"))
    if kind == "federated":
        return str(rec.get("provider") or rec.get("principal")).rsplit("/", 1)[-1]
    if kind == "account":
        return f"account {rec.get('account_id')}"
    principal = str(rec.get("principal", ""))
    return principal.split(":", 4)[-1] if principal.startswith("arn:") else principal


def status_by_area(findings: Iterable[Finding], title: str) -> go.Figure:
    """Stacked bars: for each area, how many findings are in each status."""
    from iamkit.checks.registry import AREA_TITLES

    df = pd.DataFrame([{"area": AREA_TITLES.get(f.area, f.area), "status": f.status.value} for f in findings],
                      columns=["area", "status"])
    fig = go.Figure()
    if df.empty:
        _empty(fig, "No findings")
        return _layout(fig, title, height=260)
    counts = df.groupby(["area", "status"]).size().unstack(fill_value=0)
    for status in [s.value for s in Status]:
        if status in counts:
            fig.add_bar(y=counts.index, x=counts[status], name=status, orientation="h",
                        marker_color=STATUS_COLORS[status])
    fig.update_layout(barmode="stack", xaxis_title="findings (one per check per resource)",
                      yaxis={"automargin": True, "autorange": "reversed"},
                      legend={"orientation": "h", "y": -0.2})
    return _layout(fig, title, height=max(300, 120 + 40 * len(counts)))


def failures_by_area(findings: Iterable[Finding], title: str) -> go.Figure:
    """Stacked bars: failing resources per area, by severity (passes are counted elsewhere)."""
    from iamkit.checks.registry import AREA_TITLES

    df = pd.DataFrame([{"area": AREA_TITLES.get(f.area, f.area), "severity": f.severity.value}
                       for f in findings if f.status == Status.FAIL], columns=["area", "severity"])
    fig = go.Figure()
    if df.empty:
        _empty(fig, "No failing findings")
        return _layout(fig, title, height=260)
    counts = df.groupby(["area", "severity"]).size().unstack(fill_value=0)
    for sev, color in SEVERITY_COLORS.items():
        if sev in counts:
            fig.add_bar(y=counts.index, x=counts[sev], name=sev, orientation="h", marker_color=color)
    fig.update_layout(barmode="stack", xaxis_title="failing resources",
                      yaxis={"automargin": True, "autorange": "reversed"}, legend={"orientation": "h", "y": -0.25})
    return _layout(fig, title, height=max(230, 100 + 28 * len(counts)))


def scp_chain_frame(org: Any, account_id: str) -> pd.DataFrame:
    """The SCPs in effect for ``account_id``, one row per policy per level (root, OUs, account)."""
    if org is None:
        raise TableUnavailable("organization evidence: none in this run")
    levels = org.scp_chain(account_id)
    rows = []
    for i, (target, level) in enumerate(zip(org.account_chain(account_id), levels, strict=True)):
        name = "organization root" if i == 0 else ("account" if i == len(levels) - 1 else f"OU (level {i})")
        rows += [{"level": name, "target": target, "policy": pol["name"], "aws_managed": pol["aws_managed"]}
                 for pol in level]
    return pd.DataFrame(rows, columns=["level", "target", "policy", "aws_managed"])
