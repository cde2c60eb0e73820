"""Appendices of an account report: every result in one compact line per resource (no severity on
passing rows), and compliance by control (framework requirement -> checks -> result) for CIS 7.0,
CIS 5.0 and FSBP, with the checks that map to no control as "iamkit best practice"."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence

from iamkit.checks.registry import AREA_TITLES, AREAS, controls_data, metadata, registered
from iamkit.findings import STATUS_ORDER, Finding, Status
from iamkit.report.fmt import ident, resource_name

STATUS_LABEL = {"FAIL": "FAIL", "ERROR": "ERROR", "MANUAL": "MANUAL", "PASS": "PASS", "NOT_APPLICABLE": "N/A"}


def _status(s: str) -> str:
    return f'<span class="iamkit-status st-{html.escape(s)}">{STATUS_LABEL.get(s, s)}</span>'


def results_table(findings: Sequence[Finding], ids: dict[tuple[str, str, str, str], str],
                  names: Mapping[str, str] | None = None) -> str:
    """One line per result, grouped by area: status, finding id (FAIL) or severity-free line, check,
    resource name."""
    rows = []
    order = {a: i for i, a in enumerate(AREAS)}
    for f in sorted(findings, key=lambda f: (order.get(f.area, 99), f.check_id, STATUS_ORDER.index(f.status),
                                             f.resource_arn)):
        fid = ids.get(f.key, "")
        ref = f'<a href="#{fid.lower()}">{fid}</a>' if fid else ""
        rows.append(f"<tr><td>{html.escape(AREA_TITLES.get(f.area, f.area))}</td><td>{_status(f.status.value)}</td>"
                    f"<td>{ref}</td><td>{ident(f.check_id)}</td><td>{html.escape(resource_name(f.resource_arn, names))}"
                    f"</td></tr>")
    return ('<table class="iamkit-table compact fixed results"><colgroup><col class="w-area"><col class="w-st">'
            '<col class="w-id"><col class="w-check"><col></colgroup><thead><tr><th>area</th><th>result</th>'
            "<th>finding</th><th>check</th><th>resource</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def check_result(check_id: str, findings: Sequence[Finding]) -> str:
    """"FAIL (2 of 5)", "PASS (5)", "no resources (0 tested)", ..."""
    c = Counter(f.status.value for f in findings if f.check_id == check_id)
    n = sum(c.values())
    if n == 0:
        return "no resources (0 tested)"
    for s in ("FAIL", "ERROR", "MANUAL"):
        if c[s]:
            return f"{STATUS_LABEL[s]} ({c[s]} of {n})"
    if c["PASS"]:
        return f"PASS ({c['PASS']} of {n})" if c["PASS"] != n else f"PASS ({n})"
    return f"N/A ({n})"


def compliance_tables(findings: Sequence[Finding]) -> str:
    """Per framework: control id, title, checks and their result; then the unmapped checks."""
    out = []
    for fw in controls_data()["frameworks"].values():
        rows = []
        for c in fw["controls"]:
            checks = c.get("checks") or []
            if checks:
                res = "<br>".join(f"{ident(ch)}: {html.escape(check_result(ch, findings))}" for ch in checks)
            else:
                res = f'<span class="manual">manual: {html.escape(c.get("manual") or "not automated by iamkit")}</span>'
            rows.append(f"<tr><td>{html.escape(c['id'])}</td><td>{html.escape(c['title'])}</td><td>{res}</td></tr>")
        out.append(f"<h3>{html.escape(fw['name'])}</h3>"
                   '<table class="iamkit-table compact fixed compliance"><colgroup><col class="w-ctl"><col>'
                   '<col class="w-res"></colgroup><thead><tr><th>control</th><th>requirement</th>'
                   f"<th>checks and result</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    unmapped = [cid for cid in sorted(registered()) if not metadata()[cid].controls]
    if unmapped:
        rows = "".join(f"<tr><td>{ident(cid)}</td><td>{html.escape(metadata()[cid].title)}</td>"
                       f"<td>{html.escape(check_result(cid, findings))}</td></tr>" for cid in unmapped)
        out.append('<h3>iamkit best practice (checks mapped to no framework control)</h3>'
                   '<table class="iamkit-table compact fixed compliance"><colgroup><col class="w-check"><col>'
                   '<col class="w-res"></colgroup><thead><tr><th>check</th><th>requirement</th><th>result</th>'
                   f"</tr></thead><tbody>{rows}</tbody></table>")
    return "".join(out)


def area_counts(findings: Sequence[Finding], area_ids: Sequence[str]) -> str:
    """The checks of an area as counts per status (severity only where something fails)."""
    rows = []
    for cid in sorted(c for c in registered() if metadata()[c].area in area_ids):
        meta = metadata()[cid]
        c = Counter(f.status.value for f in findings if f.check_id == cid)
        sev = meta.severity.value if c["FAIL"] else ""
        cells = "".join(f'<td class="num{" hot" if s == "FAIL" and c[s] else ""}">{c[s] or ""}</td>'
                        for s in ("FAIL", "ERROR", "MANUAL", "PASS", "NOT_APPLICABLE"))
        rows.append(f"<tr><td>{html.escape(meta.title)} <span class=\"check\">{ident(cid)}</span></td>"
                    f"<td>{html.escape(sev)}</td>{cells}</tr>")
    return ('<table class="iamkit-table compact fixed counts"><colgroup><col><col class="w-sev">'
            + '<col class="w-n">' * 5 + "</colgroup><thead><tr><th>check</th><th>severity</th><th>fail</th>"
            "<th>error</th><th>manual</th><th>pass</th><th>n/a</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def status_sentence(findings: Sequence[Finding]) -> str:
    c = Counter(f.status for f in findings)
    return (f"{c[Status.FAIL]} failing, {c[Status.PASS]} passing, {c[Status.ERROR]} not evaluable, "
            f"{c[Status.MANUAL]} for manual confirmation, {c[Status.NOT_APPLICABLE]} not applicable")
