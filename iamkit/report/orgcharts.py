"""Organization charts for the run index: the SCP guardrail sunburst (OU tree coloured by the
guardrails in effect; the management account marked exempt, since SCPs never apply to it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from iamkit.report.charts import OKABE_ITO, _empty, _layout, table

SCALE = [[0, OKABE_ITO["vermillion"]], [0.34, OKABE_ITO["yellow"]], [1, OKABE_ITO["green"]]]


@dataclass
class _Tree:
    """The OU tree and the guardrail SCPs attached directly to each node (root, OU or account)."""

    names: dict[str, str]  # OU (and root) id -> name
    paths: dict[str, str]  # OU path -> id
    parent: dict[str, str | None]
    direct: dict[str, set[str]]

    def effective(self, node: str | None) -> set[str]:
        """The guardrail SCPs in effect at ``node``: its own and every ancestor's."""
        out: set[str] = set()
        while node:
            out |= self.direct.get(node, set())
            node = self.parent.get(node)
        return out


def _tree(org: Any, full_access: str) -> _Tree:
    ous, policies, targets = table(org, "ous"), table(org, "policies"), table(org, "targets")
    scps = policies[policies["type"] == "SERVICE_CONTROL_POLICY"]
    guard_ids = set(scps[scps["name"] != full_access]["id"].astype(str))
    direct: dict[str, set[str]] = {}
    for rec in targets.itertuples(index=False):
        if str(rec.policy_id) in guard_ids:
            direct.setdefault(str(rec.target_id), set()).add(str(rec.policy_id))
    names = {str(r.id): str(r.name) for r in ous.itertuples(index=False)}
    paths = {str(r.path).strip("/"): str(r.id) for r in ous.itertuples(index=False) if "path" in ous.columns}
    parent = {str(r.id): (None if pd.isna(r.parent_id) or not r.parent_id else str(r.parent_id))
              for r in ous.itertuples(index=False)}
    root = str(getattr(org, "root_id", "") or "")
    if root and root not in names:  # OrgModel.ous lists the OUs only: the root is the tree's first node
        names = {root: "Root", **names}
        parent[root] = None
    return _Tree(names, paths, parent, direct)


#: one sunburst node: id, label, parent, value, colour (guardrails in effect), hover text
Node = tuple[str, str, str, int, int, str]


def _nodes(t: _Tree, accounts: pd.DataFrame, management_account_id: str) -> list[Node]:
    out: list[Node] = []
    for oid, name in t.names.items():
        n = len(t.effective(oid))
        out.append((oid, name if t.parent.get(oid) else f"organization root ({oid})", t.parent.get(oid) or "", 0, n,
                    f"{name}: {n} guardrail SCP(s) in effect"))
    for rec in accounts.itertuples(index=False):
        aid, mgmt = str(rec.id), str(rec.id) == management_account_id
        par = _account_parent(rec, t.paths, t.names)
        n = len(t.effective(par) | t.direct.get(aid, set()))
        out.append((aid, f"{rec.name} ({aid})" + ("<br>management: exempt" if mgmt else ""), par or "", 1, n,
                    f"{rec.name} {aid}: " + ("management account, SCPs never apply" if mgmt
                                             else f"{n} guardrail SCP(s) in effect")))
    return out


def guardrail_sunburst(org: Any, title: str, *, full_access: str = "FullAWSAccess",
                       management_account_id: str = "") -> go.Figure:
    """The OU tree (root -> OUs -> accounts) coloured by how many SCPs other than FullAWSAccess are
    in effect at each node (inherited from the root and every parent OU)."""
    nodes = _nodes(_tree(org, full_access), table(org, "accounts"), management_account_id)
    fig = go.Figure()
    if not nodes:
        _empty(fig, "The organization evidence lists no OUs or accounts")
        return _layout(fig, title, height=260)
    ids, labels, parents, values, colors, hover = (list(col) for col in zip(*nodes, strict=True))
    fig.add_sunburst(ids=ids, labels=labels, parents=parents, values=values, branchvalues="remainder",
                     marker={"colors": colors, "colorscale": SCALE,
                             "cmin": 0, "cmax": max(3, max(colors)), "showscale": True,
                             "colorbar": {"title": {"text": "guardrail<br>SCPs"}}},
                     hovertext=hover, hoverinfo="text", insidetextorientation="horizontal", textfont={"size": 13})
    fig = _layout(fig, title, height=560)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


def _account_parent(rec: Any, ou_paths: dict[str, str], ou_names: dict[str, str]) -> str | None:
    """An account's parent OU id: ``parent_id`` when the table has it, else its ``ou_path``
    ("Root/Workloads/Prod") matched against the OUs' paths, else the last path element by name."""
    pid = getattr(rec, "parent_id", None)
    if isinstance(pid, str) and pid:
        return pid
    path = str(getattr(rec, "ou_path", "") or "").strip("/")
    if path in ou_paths:
        return ou_paths[path]
    last = path.rsplit("/", 1)[-1] if path else ""
    matches = [oid for oid, name in ou_names.items() if name == last]
    return matches[0] if len(matches) == 1 else None


def sunburst_html(run_dir: Any) -> str | None:
    """The sunburst as an HTML fragment (plotly.js inlined once), or None without organization evidence."""
    from pathlib import Path

    from plotly.offline import get_plotlyjs

    from iamkit.evidence import MANIFEST, ORGANIZATION, Bundle
    from iamkit.model import MissingEvidence, OrgModel

    path = Path(run_dir) / "evidence" / ORGANIZATION
    if not (path / MANIFEST).is_file():
        return None
    org = OrgModel(Bundle(path))
    try:
        fig = guardrail_sunburst(org, "Guardrails in effect across the organization",
                                 management_account_id=org.management_account_id)
    except MissingEvidence:
        return None
    fig.update_layout(width=760, height=640)
    div = fig.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False})
    return f'<script type="text/javascript">{get_plotlyjs()}</script>{div}'
