"""Finding cards: the body of an account report, one card per failing finding.

A card holds the stable finding id, title, severity, the criterion with its controls, the condition found,
the resource by name (ARN beneath), the evidence (file, locator, short sha256, a link to the file in
the run's evidence folder), the accepted risk if any, and the remediation with the real values.
Everything from the evidence is escaped (:mod:`iamkit.report.fmt`)."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from iamkit.checks.registry import metadata
from iamkit.findings import Finding, Status
from iamkit.report.fmt import ident, plain, when
from iamkit.report.ids import anchor
from iamkit.report.remediation import Context, variants
from iamkit.report.summary import headline, subject

#: the credential-report freshness sentence the checks append; the report states it once instead
_CR_NOTE = re.compile(r"\s*The credential report (?:was generated|'s generation time).*$", re.S)

FRAMEWORK_NAMES = {"CIS-AWS-7.0": "CIS 7.0", "CIS-AWS-5.0": "CIS 5.0", "AWS-FSBP": "FSBP"}


def condition(f: Finding) -> str:
    """What was found, without the credential-report caveat (stated once per report)."""
    return _CR_NOTE.sub("", f.detail).strip()


def has_cr_note(findings: Iterable[Finding]) -> str | None:
    """The credential-report sentence of the first finding that carries it (said once per report)."""
    for f in findings:
        m = _CR_NOTE.search(f.detail)
        if m:
            return m.group(0).strip()
    return None


def controls_label(controls: Sequence[str]) -> str:
    if not controls:
        return "iamkit best practice"
    out = []
    for c in controls:
        fw, _, num = c.partition(":")
        out.append(f"{FRAMEWORK_NAMES.get(fw, fw)} {num}")
    return ", ".join(out)


def evidence_link(file: str, evidence_dir: Path | None, report_dir: Path | None) -> str | None:
    """A relative link from the report to an evidence file, or None when it does not exist."""
    if evidence_dir is None or report_dir is None:
        return None
    target = Path(evidence_dir) / file
    if not target.is_file():
        return None
    return Path(os.path.relpath(target.resolve(), Path(report_dir).resolve())).as_posix()


def _sev(sev: str) -> str:
    return f'<span class="iamkit-sev sev-{html.escape(sev)}">{html.escape(sev)}</span>'


def _evidence(f: Finding, evidence_dir: Path | None, report_dir: Path | None) -> str:
    items = []
    for e in f.evidence:
        link = evidence_link(e.file, evidence_dir, report_dir)
        name = ident(e.file)
        file_html = f'<a href="{html.escape(link)}">{name}</a>' if link else name
        loc = f' <span class="loc">{ident(e.locator)}</span>' if e.locator else ""
        sha = f' <span class="sha">sha256 {html.escape((e.sha256 or "")[:12])}</span>' if e.sha256 else ""
        items.append(f"<li>{file_html}{loc}{sha}</li>")
    return f'<ul class="ev">{"".join(items)}</ul>' if items else "<em>none recorded</em>"


def _remediation(f: Finding, ctx: Context, shown: dict[str, str] | None = None, fid: str = "") -> str:
    """The remediation variants; a remediation identical to one already shown in an earlier card
    (e.g. the one password-policy command that fixes four findings) refers to that card instead."""
    vs = variants(f, ctx)
    key = repr(vs)
    if shown is not None:
        if key in shown:
            first = shown[key]
            return f'<div class="rem">The remediation of <a href="#{anchor(first)}">{first}</a> fixes this too.</div>'
        shown[key] = fid
    parts = []
    for v in vs:
        code = f"<pre><code>{html.escape(v.cli)}</code></pre>" if v.cli else ""
        parts.append(f'<div class="rem"><span class="rem-label">{html.escape(v.label)}.</span> '
                     f'<span class="rem-console">Console: {html.escape(v.console)}</span>{code}</div>')
    return "".join(parts)


def card(f: Finding, fid: str, ctx: Context, *, evidence_dir: Path | None = None,
         report_dir: Path | None = None, shown: dict[str, str] | None = None,
         names: Mapping[str, str] | None = None) -> str:
    meta = metadata().get(f.check_id)
    criterion = plain(meta.title) if meta else f.title
    name = subject(f, names)
    accepted = ""
    if f.exception is not None:
        x = f.exception
        accepted = (f'<tr><th>Accepted risk</th><td>accepted by {html.escape(x.owner)} until '
                    f'{html.escape(when(x.expires, time=False))}: {html.escape(x.reason)}</td></tr>')
    region = "" if f.region == "global" else f" ({html.escape(f.region)})"
    return (
        f'<section class="iamkit-card" id="{anchor(fid)}"><div class="card-head">'
        f'<span class="fid">{fid}</span> {_sev(f.severity.value)} '
        f'<span class="card-title">{html.escape(headline(f))}</span></div>'
        f'<table class="card-body">'
        f'<tr><th>Resource</th><td><strong>{html.escape(name)}</strong>{region} '
        f'<span class="arn">{ident(f.resource_arn)}</span></td></tr>'
        f'<tr><th>Criterion</th><td>{html.escape(criterion)} <span class="ctl">— '
        f'{html.escape(controls_label(f.controls))}</span> <span class="check">(check {ident(f.check_id)})</span>'
        "</td></tr>"
        f'<tr><th>Condition</th><td>{html.escape(condition(f))}</td></tr>'
        f'<tr><th>Evidence</th><td>{_evidence(f, evidence_dir, report_dir)}</td></tr>{accepted}'
        f'<tr><th>Remediation</th><td>{_remediation(f, ctx, shown, fid)}</td></tr></table></section>')


def cards(findings: Iterable[Finding], ids: dict[tuple[str, str, str, str], str], ctx: Context, *,
          evidence_dir: Path | None = None, report_dir: Path | None = None,
          names: Mapping[str, str] | None = None) -> str:
    fails = sorted((f for f in findings if f.status == Status.FAIL), key=lambda f: ids[f.key])
    shown: dict[str, str] = {}
    return "".join(card(f, ids[f.key], ctx, evidence_dir=evidence_dir, report_dir=report_dir, shown=shown,
                        names=names) for f in fails)
