"""Notebook helpers for the least-privilege analyses: SCP guardrails (04), cross-account reach (03), unused
access (06). Each takes the notebook's :class:`~iamkit.report.nb.AccountView` and calls the same functions as
the checks (:mod:`iamkit.checks.guardrails`, :mod:`iamkit.checks.reach`, :mod:`iamkit.checks.unused`), so the
tables and charts cannot disagree with the findings.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from iamkit.checks import guardrails, reach, unused
from iamkit.checks.registry import CheckContext
from iamkit.model import AccountModel, MissingEvidence
from iamkit.report.charts import _empty, _layout

SCOPE_COLORS = {"external": "#b91c1c", "organization": "#1e429f", "service": "#6b7280",
                "identity_center": "#047857", "chain": "#9a3412"}


def _ctx(view: Any, model: AccountModel | None = None) -> CheckContext:
    return CheckContext(account=model or view.model, settings=view.settings, org=view.org)


# -- 04: guardrails -----------------------------------------------------------------------------------------
def guardrail_frame(view: Any) -> pd.DataFrame:
    """This account's guardrails: guardrail, title, status, why (the check's detail)."""
    verdicts = guardrails.account_verdicts(_ctx(view))
    titles = {g.name: g.title for g in guardrails.catalog()}
    return pd.DataFrame([{"guardrail": n, "title": titles[n], "status": v.status.value, "why": v.detail}
                         for n, v in verdicts.items()], columns=["guardrail", "title", "status", "why"])


def guardrail_matrix(view: Any) -> pd.DataFrame:
    """Accounts (rows: every account with evidence in the run) x guardrails (columns): the status of each."""
    org = view.org
    if org is None:
        return pd.DataFrame(columns=["account", *[g.name for g in guardrails.catalog()]])
    rows = []
    for aid, bundle in sorted(org.account_bundles.items()):
        model = view.model if aid == view.model.account_id else AccountModel(bundle, org=org)
        try:
            verdicts = guardrails.account_verdicts(_ctx(view, model))
        except MissingEvidence as exc:  # one account's missing evidence must not hide the others: say ERROR
            verdicts = {g.name: guardrails.Verdict(guardrails.Status.ERROR, str(exc)) for g in guardrails.catalog()}
        rows.append({"account": aid, **{n: v.status.value for n, v in verdicts.items()}})
    return pd.DataFrame(rows)


# -- 03: who can assume the roles, and reach to admin roles ----------------------------------------------------
def reach_frame(view: Any) -> pd.DataFrame:
    """One row per role and trusted principal outside the account (see :func:`iamkit.checks.reach.reach_table`)."""
    return reach.reach_table(_ctx(view))


def reach_graph(view: Any, title: str) -> go.Figure:
    """Outside principals (left) -> the roles of this account they can assume, and the chains of assumptions
    from externally reachable roles to admin-equivalent ones; admin roles are red diamonds."""
    ctx = _ctx(view)
    g, t = reach.graph(ctx), reach.reach_table(ctx)
    fig = go.Figure()
    admin = set(t.loc[t["admin"], "role_arn"]) | reach.admin_roles(view.model)
    edges: list[tuple[str, str, str]] = [(who, arn, scope) for who, arn, scope
                                         in zip(t["principal"], t["role_arn"], t["scope"], strict=True)]
    for arn in sorted(a for a in g.reached if a in admin or a in set(t["role_arn"])):
        cur = arn
        while g.reached.get(cur, (None, ""))[0] is not None:
            prev = g.reached[cur][0]
            edges.append((prev, cur, "chain"))
            cur = prev
    if not edges:
        _empty(fig, "No principal outside the account can assume its roles")
        return _layout(fig, title, height=260)
    depth = _depths(edges)
    columns: dict[int, list[str]] = {}
    for node, d in sorted(depth.items(), key=lambda kv: (kv[1], kv[0])):
        columns.setdefault(d, []).append(node)
    n = max(len(v) for v in columns.values())
    pos = {node: (d, n - 1 - i * (n - 1) / max(len(nodes) - 1, 1) if len(nodes) > 1 else (n - 1) / 2)
           for d, nodes in columns.items() for i, node in enumerate(nodes)}
    for scope in sorted({e[2] for e in edges}):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a, b, s in edges:
            if s == scope:
                xs += [pos[a][0], pos[b][0], None]
                ys += [pos[a][1], pos[b][1], None]
        fig.add_scatter(x=xs, y=ys, mode="lines", name=scope, hoverinfo="skip",
                        line={"color": SCOPE_COLORS.get(scope, "#6b7280"), "width": 2})
    nodes = list(pos)
    fig.add_scatter(x=[pos[v][0] for v in nodes], y=[pos[v][1] for v in nodes], mode="markers+text",
                    text=[_short(v) + (" (admin)" if v in admin else "") for v in nodes], textposition="top center",
                    marker={"size": [14 if v in admin else 9 for v in nodes],
                            "symbol": ["diamond" if v in admin else "circle" for v in nodes],
                            "color": ["#b91c1c" if v in admin else "#374151" for v in nodes]},
                    showlegend=False, hovertext=nodes, hoverinfo="text")
    fig.update_xaxes(visible=False, range=[-0.6, max(columns) + 0.6])
    fig.update_yaxes(visible=False, range=[-1, n])
    fig.update_layout(legend={"orientation": "h", "y": -0.05, "title": {"text": "trust "}})
    return _layout(fig, title, height=min(1400, 160 + 40 * n))


def _depths(edges: list[tuple[str, str, str]]) -> dict[str, int]:
    """Column of each node: sources of no edge at 0, then one more than the deepest predecessor (cycles cut)."""
    depth: dict[str, int] = {}
    targets = {b for _, b, _ in edges}
    for a, _, _ in edges:
        if a not in targets:
            depth[a] = 0
    for _ in range(len(edges)):
        changed = False
        for a, b, _ in edges:
            d = depth.get(a, 0) + 1
            if b not in depth or (depth[b] < d <= len(edges)):
                depth[b] = d
                changed = True
        if not changed:
            break
    for a, _, _ in edges:
        depth.setdefault(a, 0)
    return depth


def _short(node: str) -> str:
    return node.split(":", 4)[-1] if node.startswith("arn:") else node


# -- 06: unused access --------------------------------------------------------------------------------------
def unused_roles_frame(view: Any) -> pd.DataFrame:
    """Every role with its last use, days unused and the ``iam.role.unused`` verdict."""
    df = unused.role_usage(_ctx(view))
    df["status"] = df["status"].map(lambda s: s.value)
    return df


def unused_access_frame(view: Any) -> pd.DataFrame:
    """IAM Access Analyzer unused-access findings of this account's principals, one row per principal."""
    found, _, _ = unused.unused_findings(_ctx(view))
    if found.empty:
        return pd.DataFrame(columns=["principal", "finding_types", "findings", "analyzer", "region"])
    g = found.groupby("resource", sort=True)
    return pd.DataFrame({"principal": list(g.groups),
                         "finding_types": [", ".join(sorted(set(x))) for _, x in g["finding_type"]],
                         "findings": list(g.size()),
                         "analyzer": [", ".join(sorted(set(x))) for _, x in g["analyzer"]],
                         "region": [", ".join(sorted(set(x))) for _, x in g["region"]]})
