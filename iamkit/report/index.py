"""The run index (``index.html``): the organization roll-up of one run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from iamkit.evidence import atomic_write
from iamkit.findings import Finding, Severity, Status, sort_key
from iamkit.report.render import TEMPLATES
from iamkit.report.tables import findings_frame, html_table

WORST_LIMIT = 25


def write_index(run_dir: Path, run: dict[str, Any], findings: Sequence[Finding]) -> Path:
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
        })
    fails = [f for f in findings if f.status == Status.FAIL]
    totals = {s.value: sum(1 for f in fails if f.severity == s) for s in Severity}
    worst = sorted(fails, key=sort_key)[:WORST_LIMIT]
    worst_table = jinja2.utils.markupsafe.Markup(
        html_table(findings_frame(worst), ["severity", "account_id", "check_id", "resource_arn", "detail"])
        if worst else "<p><em>No failing findings.</em></p>")
    exports = [n for n in ("findings.json", "findings.csv", "findings.ocsf.json", "findings.asff.json", "run.json")
               if (run_dir / n).is_file() or n == "run.json"]
    css = (TEMPLATES / "report.css").read_text()
    js = (TEMPLATES / "report.js").read_text()
    page = env.get_template("index.html.j2").render(
        title=run.get("title", "iamkit assessment"), run=run, accounts=accounts,
        failed=[a for a in run["accounts"] if a["status"] == "failed"], totals=totals,
        worst_table=worst_table, exports=exports, css=jinja2.utils.markupsafe.Markup(css),
        js=jinja2.utils.markupsafe.Markup(js))
    out = run_dir / "index.html"
    atomic_write(out, page.encode())
    return out
