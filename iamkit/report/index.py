"""The run index (``index.html``): the organization roll-up of one run, the CISO's page.

Organization id, date and coverage; an overall rating and one per account (apart from whether the
assessment completed); every failing finding (filterable, paginated, each linking to its card in the
account report); accounts x areas; organization-wide views (outside trust, root, SCP guardrails);
MANUAL items; the trend against a baseline; exports. Self-contained: CSS and the table script are
inlined, nothing is loaded from the network, and long tables page in the browser (500 accounts).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from iamkit.checks.registry import AREA_TITLES, AREAS
from iamkit.evidence import MANIFEST, atomic_write
from iamkit.findings import STATUS_ORDER, Finding, Severity, Status
from iamkit.integrity import SUMS
from iamkit.report.cards import condition
from iamkit.report.fmt import ident, resource_name
from iamkit.report.identity_center import section_html as identity_center_html
from iamkit.report.ids import anchor, finding_ids
from iamkit.report.names import run_names
from iamkit.report.orgcharts import sunburst_html
from iamkit.report.orgviews import (
    ROOT_CHECKS,
    external_trust,
    guardrail_matrix,
    guardrails,
    manual_items,
    org_facts,
    root_matrix,
)
from iamkit.report.render import TEMPLATES
from iamkit.report.summary import headline, issue_counts, issues, rating

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


def _regions(run_dir: Path, run: dict[str, Any]) -> list[str]:
    regions = (run.get("settings") or {}).get("regions")
    if regions:
        return list(regions)
    found: set[str] = set()
    for m in (run_dir / "evidence").glob(f"*/{MANIFEST}") if (run_dir / "evidence").is_dir() else []:
        try:
            found.update(json.loads(m.read_text()).get("regions") or [])
        except (OSError, ValueError):
            continue  # an unreadable manifest is reported by `iamkit verify`; regions just omit it
    return sorted(found)


#: failing findings laid out as the index opens; the rest wait in a <template> for the table script (measured at
#: 500 accounts, 9,257 failing findings: the index opened in Chromium in 5.8 s with every row in the table, 2.4 s so)
INLINE_ROWS = 500


def _failing_rows(fails: Sequence[Finding], ids: dict[Any, str], reports: set[str],
                  names: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for f in sorted(fails, key=lambda f: (f.severity.rank, f.account_id, ids.get(f.key, ""))):
        fid = ids.get(f.key, "")
        link = f"accounts/{f.account_id}/report.html#{anchor(fid)}" if f.account_id in reports and fid else None
        rows.append({"id": fid, "link": link, "severity": f.severity.value, "account_id": f.account_id,
                     "problem": headline(f), "check_id": f.check_id, "resource": resource_name(f.resource_arn, names),
                     "arn": f.resource_arn, "condition": condition(f), "accepted": f.exception is not None})
    return rows


def write_index(run_dir: Path, run: dict[str, Any], findings: Sequence[Finding], *, diff: Any = None) -> Path:
    """The organization roll-up (index.html). Assessment progress ("completed", "in progress") is
    shown apart from the compliance result (the rating): a finished run with failures is never "ok"."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    env.filters["ident"] = lambda text: Markup(ident(text))  # escaped, wraps only after separators
    run_dir = Path(run_dir)
    facts = org_facts(run_dir)
    by_account: dict[str, list[Finding]] = {}
    for f in findings:
        by_account.setdefault(f.account_id, []).append(f)
    accounts = []
    for a in run["accounts"]:
        aid = a["account_id"]
        acct_dir = run_dir / "accounts" / aid
        fs = by_account.get(aid, [])
        org_acct = facts.accounts.get(aid, {})
        accounts.append({
            **a, "name": a.get("name") or org_acct.get("name"),
            "ou_path": a.get("ou_path") or org_acct.get("ou_path") or "",
            "counts": Counter(f.status.value for f in fs),
            "sev": Counter(f.severity.value for f in fs if f.status == Status.FAIL),
            "rating": rating(fs) if a.get("status") == "ok" else None,
            "management": aid == facts.management_account_id,
            "html": f"accounts/{aid}/report.html" if (acct_dir / "report.html").is_file() else None,
            "pdf": f"accounts/{aid}/report.pdf" if (acct_dir / "report.pdf").is_file() else None,
            "log": f"accounts/{aid}/log.txt" if (acct_dir / "log.txt").is_file() else None,
        })
    fails = [f for f in findings if f.status == Status.FAIL]
    names = run_names(run_dir)
    totals = {s.value: sum(1 for f in fails if f.severity == s) for s in Severity}
    ids = finding_ids(findings)
    reports = {a["account_id"] for a in accounts if a["html"]}
    assessed = [a["account_id"] for a in run["accounts"] if a.get("status") == "ok"]
    exports = [n for n in EXPORTS if (run_dir / n).is_file()]
    heat = heatmap([a["account_id"] for a in run["accounts"] if a.get("status") != "failed"], findings)
    page = env.get_template("index.html.j2").render(
        title=run.get("title", "iamkit assessment"), run=run, accounts=accounts, facts=facts,
        complete=bool(run.get("complete", run.get("finished_at"))), assessed=assessed,
        total_accounts=facts.active or len(run["accounts"]), regions=_regions(run_dir, run),
        failed=[a for a in run["accounts"] if a["status"] == "failed"], totals=totals, n_fail=len(fails),
        overall=rating(findings), issues=issue_counts(issues(findings, names)),
        failing=_failing_rows(fails, ids, reports, names), inline_rows=INLINE_ROWS, exports=exports,
        css=Markup((TEMPLATES / "report.css").read_text()), js=Markup((TEMPLATES / "report.js").read_text()),
        areas=[(ar, AREA_TITLES[ar]) for ar in AREAS], heat=heat,
        trust=external_trust(findings), root_checks=list(ROOT_CHECKS.values()),
        root=root_matrix(assessed, findings), guard=guardrails(assessed, findings, facts.management_account_id),
        guard_matrix=guardrail_matrix(assessed, findings),
        manual=[{"account_id": f.account_id, "title": f.title, "detail": f.detail,
                 "resource": resource_name(f.resource_arn, names)} for f in manual_items(findings)],
        diff_html=Markup(diff.html()) if diff is not None else None,
        sunburst=Markup(chart) if (chart := sunburst_html(run_dir)) else None, sums=(run_dir / SUMS).is_file(),
        organization=run.get("organization"),
        identity_center=Markup(identity_center_html(run_dir / "evidence")))
    out = run_dir / "index.html"
    atomic_write(out, page.encode())
    return out
