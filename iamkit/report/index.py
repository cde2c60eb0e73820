"""The run index (``index.html``): the organization roll-up of one run.

Accounts x areas heatmap (worst status of each area), failing findings by severity, the worst
findings across the organization, accounts that failed (with stage and reason), links to every
account report, the run's exports and, with a baseline, what changed since it. Self-contained: CSS
and the table script are inlined; nothing is loaded from the network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from iamkit.checks.registry import AREA_TITLES, AREAS
from iamkit.evidence import atomic_write
from iamkit.findings import STATUS_ORDER, Finding, Severity, Status, sort_key
from iamkit.report.identity_center import section_html as identity_center_html
from iamkit.report.render import TEMPLATES
from iamkit.report.tables import findings_frame, html_table

WORST_LIMIT = 25
EXPORTS = ("findings.json", "findings.csv", "findings.ocsf.json", "findings.asff.json", "run.json",
           "run.log.jsonl", "exceptions_report.json", "diff.json", "diff.html")


def worst_status(statuses: Sequence[Status]) -> Status | None:
    """The worst of ``statuses`` (FAIL > ERROR > MANUAL > PASS > NOT_APPLICABLE), None if empty."""
    return min(statuses, key=STATUS_ORDER.index) if statuses else None


def heatmap(accounts: Sequence[str], findings: Sequence[Finding]) -> dict[str, dict[str, dict[str, Any]]]:
    """account -> area -> {status: worst status or None, fail: n FAIL, error: n ERROR, total: n}."""
    cells: dict[str, dict[str, list[Status]]] = {a: {ar: [] for ar in AREAS} for a in accounts}
    for f in findings:
        cells.setdefault(f.account_id, {ar: [] for ar in AREAS}).setdefault(f.area, []).append(f.status)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for a, areas in cells.items():
        out[a] = {}
        for ar, sts in areas.items():
            w = worst_status(sts)
            c = Counter(sts)
            out[a][ar] = {"status": w.value if w else None, "fail": c[Status.FAIL], "error": c[Status.ERROR],
                          "total": len(sts)}
    return out


def write_index(run_dir: Path, run: dict[str, Any], findings: Sequence[Finding], *, diff: Any = None) -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    accounts = []
    by_account: dict[str, Counter] = {}
    for f in findings:
        by_account.setdefault(f.account_id, Counter())[f.status.value] += 1
    for a in run["accounts"]:
        acct_dir = run_dir / "accounts" / a["account_id"]
        accounts.append({
            **a, "counts": by_account.get(a["account_id"], Counter()),
            "html": f"accounts/{a['account_id']}/report.html" if (acct_dir / "report.html").is_file() else None,
            "pdf": f"accounts/{a['account_id']}/report.pdf" if (acct_dir / "report.pdf").is_file() else None,
            "log": f"accounts/{a['account_id']}/log.txt" if (acct_dir / "log.txt").is_file() else None,
        })
    fails = [f for f in findings if f.status == Status.FAIL]
    totals = {s.value: sum(1 for f in fails if f.severity == s) for s in Severity}
    worst = sorted(fails, key=sort_key)[:WORST_LIMIT]
    worst_table = Markup(
        html_table(findings_frame(worst), ["severity", "account_id", "check_id", "resource_arn", "detail"])
        if worst else "<p><em>No failing findings.</em></p>")
    exports = [n for n in EXPORTS if (run_dir / n).is_file()]
    css = (TEMPLATES / "report.css").read_text()
    js = (TEMPLATES / "report.js").read_text()
    heat = heatmap([a["account_id"] for a in run["accounts"] if a.get("status") != "failed"], findings)
    page = env.get_template("index.html.j2").render(
        title=run.get("title", "iamkit assessment"), run=run, accounts=accounts,
        failed=[a for a in run["accounts"] if a["status"] == "failed"], totals=totals, n_fail=len(fails),
        worst_table=worst_table, exports=exports, css=Markup(css), js=Markup(js),
        areas=[(ar, AREA_TITLES[ar]) for ar in AREAS], heat=heat,
        diff_html=Markup(diff.html()) if diff is not None else None,
        organization=run.get("organization"), identity_center=Markup(identity_center_html(run_dir / "evidence")))
    out = run_dir / "index.html"
    atomic_write(out, page.encode())
    return out
