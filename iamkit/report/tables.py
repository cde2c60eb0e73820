"""HTML tables for notebooks and reports. Every value is escaped: names, tags and policy text come
from the assessed account and must never be able to inject markup into a report."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from iamkit.findings import Finding, sort_key
from iamkit.report.fmt import ident, when, yes_no

FINDING_COLUMNS = ["status", "severity", "check_id", "resource_arn", "detail", "controls", "exception"]


def _cell(col: str, value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, (bool, np.bool_)):
        return yes_no(bool(value))
    if isinstance(value, (datetime, pd.Timestamp)):
        return html.escape(when(value))
    if col == "status":
        text = html.escape(str(value))
        return f'<span class="iamkit-status st-{text}">{text}</span>'
    return ident(value)


def html_table(df: pd.DataFrame, columns: Sequence[str] | None = None, *, caption: str | None = None,
               compact: bool = False) -> str:
    """A complete, escaped, sortable (in HTML) table of ``df`` (``compact``: the small print of section tables)."""
    cols = list(columns or df.columns)
    head = "".join(f'<th class="c-{html.escape(c)}">{html.escape(c.replace("_", " "))}</th>' for c in cols)
    rows = []
    for rec in df[cols].itertuples(index=False, name=None):
        rows.append("<tr>" + "".join(f'<td class="c-{html.escape(c)}">{_cell(c, v)}</td>'
                                     for c, v in zip(cols, rec, strict=True)) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    cls = "iamkit-table compact" if compact else "iamkit-table"
    return (f'<table class="{cls}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    recs = []
    for f in sorted(findings, key=sort_key):
        recs.append({
            "status": f.status.value, "severity": f.severity.value, "check_id": f.check_id, "area": f.area,
            "title": f.title, "account_id": f.account_id, "region": f.region, "resource_arn": f.resource_arn,
            "resource_type": f.resource_type, "detail": f.detail, "remediation": f.remediation,
            "controls": list(f.controls),
            "evidence": [f"{e.file} [{e.locator}] sha256:{(e.sha256 or '')[:12]}" for e in f.evidence],
            "exception": (f"accepted by {f.exception.owner} until {f.exception.expires}: {f.exception.reason}"
                          if f.exception else ""),
        })
    columns = ["status", "severity", "check_id", "area", "title", "account_id", "region", "resource_arn",
               "resource_type", "detail", "remediation", "controls", "evidence", "exception"]
    return pd.DataFrame(recs, columns=columns)
