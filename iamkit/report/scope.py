"""The cover and scope page of an account report, the running page header (CSS margin boxes: the
organization, account, date and marking on every printed page, "page x of y" at the bottom), the
limitations and the accepted-risk register used."""

from __future__ import annotations

import hashlib
import html
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamkit import __version__
from iamkit.checks.catalog import needing
from iamkit.errors import EvidenceError
from iamkit.findings import Finding, Status
from iamkit.model import MissingEvidence, alias_of
from iamkit.report.fmt import days, ident, when

#: AWS managed policies that give an assessor read access and nothing more
READ_ONLY_POLICIES = {"SecurityAudit", "ViewOnlyAccess", "ReadOnlyAccess"}
FRAMEWORKS = ("CIS Amazon Web Services Foundations Benchmark v7.0.0 (section 2) and v5.0.0 (section 1, "
              "the version AWS Security Hub runs); AWS Foundational Security Best Practices (IAM, Account "
              "controls); iamkit best practice for checks that map to no control")


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def css_string(text: str) -> str:
    """A CSS string literal (for @page margin-box content)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_style(header_left: str, header_right: str, footer_left: str) -> str:
    """A4 pages with a running header and "Page x of y" (Chromium's CSS margin boxes)."""
    return ("<style>@page { size: A4; margin: 18mm 12mm 16mm 12mm;"
            f" @top-left {{ content: {css_string(header_left)}; font: 8pt sans-serif; color: #4b5563; }}"
            f" @top-right {{ content: {css_string(header_right)}; font: 8pt sans-serif; color: #4b5563; }}"
            f" @bottom-left {{ content: {css_string(footer_left)}; font: 8pt sans-serif; color: #4b5563; }}"
            ' @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt sans-serif;'
            " color: #4b5563; } }</style>")


@dataclass(frozen=True)
class Identity:
    arn: str
    read_only: bool | None  # None: the evidence does not show the identity's policies
    text: str


def collection_identity(view: Any) -> Identity:
    """Who collected the evidence and whether that identity has more than read-only rights."""
    arn = str((view.bundle.manifest.get("caller_identity") or {}).get("Arn") or "unknown")
    advice = ("a role with only the AWS managed policies SecurityAudit and ViewOnlyAccess (and the "
              "iamkit policy from 'iamkit policy') is enough")
    role = arn.split("/")[1] if ":assumed-role/" in arn else None
    try:
        roles = view.model.roles
        attached = view.model.attachments
    except Exception as exc:  # the note says why the rights are unknown; never claims read-only
        return Identity(arn, None, f"Rights of the identity not determinable ({type(exc).__name__}); {advice}.")
    row = roles[roles["role_name"] == role] if role else roles.iloc[0:0]
    if row.empty:
        return Identity(arn, None, "iamkit made read-only API calls only (enforced by its allowlist); the "
                        f"identity's own policies are not in this account's evidence. {advice[0].upper()}{advice[1:]}.")
    rec = row.iloc[0]
    names = sorted({str(a).rsplit("/", 1)[-1] for a in attached[attached["principal_arn"] == rec["arn"]]["policy_arn"]})
    extra = [n for n in names if n not in READ_ONLY_POLICIES] + [f"inline {n}" for n in rec["inline_policy_names"]]
    if extra:
        return Identity(arn, False, f"The role {role} has MORE than read-only rights ({', '.join(extra)}). "
                        f"iamkit itself made read-only calls only (enforced by its allowlist), but {advice}.")
    return Identity(arn, True, f"Read-only: the role {role} has only {', '.join(names) or 'no policies'}.")


def limitations(findings: list[Finding], errors: list[dict[str, Any]]) -> list[str]:
    """ERROR and MANUAL results and collection errors, each with why (the report's limitations)."""
    out = []
    by_check: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.status in (Status.ERROR, Status.MANUAL):
            by_check.setdefault((f.status.value, f.check_id), []).append(f)
    for (status, cid), fs in sorted(by_check.items()):
        what = "could not be evaluated" if status == "ERROR" else "needs a manual confirmation"
        out.append(f"{cid} {what} ({len(fs)} resource{'s' * (len(fs) != 1)}): {fs[0].detail}")
    return out + denied_operations(errors)


def denied_operations(errors: list[dict[str, Any]]) -> list[str]:
    """The table AWS operation that failed -> evidence files left out -> checks that say ERROR (and checks that
    only lose an input they can do without), one line per operation, from the manifest's errors (each names the
    file it left out) and the checks' declared reads (docs/denied-operations.md has the whole table)."""
    files: dict[tuple[str, str, str], list[str]] = {}
    for e in errors:
        keys = files.setdefault((f"{e.get('collector')} {e.get('operation')}", str(e.get("region")),
                                 str(e.get("code"))), [])
        if e.get("file") and e["file"] not in keys:
            keys.append(e["file"])
    out = []
    for (op, region, code), keys in sorted(files.items()):
        error, degraded = needing(keys)
        out.append(f"Collection: {op} ({region}) answered {code}; evidence left out: {', '.join(keys) or 'none'}; "
                   f"checks that say ERROR because of it: {', '.join(error) or 'none'}"
                   + (f"; checks that use it when present: {', '.join(degraded)}." if degraded else "."))
    return out


def register(settings: Any, observed: datetime) -> dict[str, Any]:
    """The accepted-risk register used: path, sha256, entries, expired entries (or none supplied)."""
    path = settings.exceptions_file
    if not path:
        return {"supplied": False}
    from iamkit.exceptions import load_exceptions

    entries = load_exceptions(Path(path))
    expired = [e for e in entries if e.expires < observed.date()]
    return {"supplied": True, "path": str(path), "sha256": file_sha256(Path(path)), "entries": len(entries),
            "expired": [f"{e.check_id} ({e.resource or e.account or 'all resources'}), expired "
                        f"{when(datetime(e.expires.year, e.expires.month, e.expires.day), time=False)}"
                        for e in expired]}


def run_info(output_dir: Path | None) -> dict[str, Any]:
    """run.json of the run this report belongs to (two levels above accounts/<id>/), if any."""
    if output_dir is None:
        return {}
    path = Path(output_dir).resolve().parents[1] / "run.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def principals_tested(view: Any) -> str:
    parts = []
    for label, attr in (("IAM users", "users"), ("roles", "roles"), ("groups", "groups"),
                        ("customer and AWS managed policies", "policies")):
        try:
            n = len(getattr(view.model, attr))
            parts.append(f"{n} {label[:-1] if n == 1 and label.endswith('s') else label}")
        except Exception as exc:  # stated, never silently skipped
            parts.append(f"{label}: not available ({type(exc).__name__})")
    return ", ".join(parts) + ", and the root user: every principal in the evidence, no sampling"


def _row(k: str, v: str, raw: bool = False) -> str:
    return f"<tr><th>{html.escape(k)}</th><td>{v if raw else html.escape(v)}</td></tr>"


def _org_account(org: Any, account_id: str) -> dict[str, Any] | None:
    """The account's row of the organization's accounts table (name, OU path), or None."""
    if org is None:
        return None
    try:
        rows = org.accounts[org.accounts["id"] == account_id]
    except (MissingEvidence, EvidenceError):  # organization evidence missing: the cover says "unknown"
        return None
    return rows.iloc[0].to_dict() if len(rows) else None


def _register_text(settings: Any, observed: datetime) -> str:
    reg = register(settings, observed)
    if not reg["supplied"]:
        return "none supplied"
    return (f"{reg['path']} (sha256 {reg['sha256'][:16]}…), {reg['entries']} entries, {len(reg['expired'])} expired"
            + (": " + "; ".join(reg["expired"]) if reg["expired"] else ""))


def _criteria(s: Any) -> str:
    t = s.thresholds
    return (f"access keys rotated within {days(t.access_key_max_age_days)}; credentials unused for at most "
            f"{days(t.unused_credentials_days)}; passwords at least {t.password_min_length} characters, "
            f"{t.password_reuse_prevention} remembered, expiring within {days(t.password_max_age_days)}; root use "
            f"window {days(t.root_usage_window_days)}; trusted accounts: {', '.join(s.trusted_account_ids) or 'none'}")


def _scope_rows(view: Any, acct: dict[str, Any] | None, alias: str | None, run: dict[str, Any], assessed: str) -> str:
    """The scope table's rows (HTML)."""
    b, s, org = view.bundle, view.settings, view.org
    org_id = (org.organization_id if org is not None else "") or "not part of an organization (or not collected)"
    ident_ = collection_identity(view)
    manifests = [("account", b.path / "manifest.json")]
    if view.org_bundle is not None:
        manifests.append(("organization", view.org_bundle.path / "manifest.json"))
    mani = "<br>".join(f"{k}: {ident(file_sha256(p) or 'missing')}" for k, p in manifests)
    counts = Counter(f.status.value for f in view.findings)
    mgmt = org.management_account_id if org is not None else ""
    return "".join([
        _row("Organization", org_id + (f" (management account {mgmt})" if mgmt else "")),
        _row("Account", f"{b.account_id}" + (f", alias {alias}" if alias else "")
             + (f", name {acct['name']}" if acct and acct.get("name") else "")),
        _row("OU path", str((acct or {}).get("ou_path") or "unknown")),
        _row("Assessment date", when(assessed)),
        _row("Evidence describes", f"the account as of {when(b.collected_at)} (collection time; every age in "
             "this report is measured from it)"),
        _row("Regions covered", ", ".join(b.manifest.get("regions") or []) or "none recorded"),
        _row("CloudTrail look-back", f"{days(s.thresholds.root_usage_window_days)} of CloudTrail event history "
             "(LookupEvents keeps 90 days)"),
        _row("Population", principals_tested(view)),
        _row("Criteria", _criteria(s)),
        _row("Frameworks", FRAMEWORKS),
        _row("Collected by", f"{ident(ident_.arn)}<br>{html.escape(ident_.text)}", raw=True),
        _row("Results", f"{sum(counts.values())} results: {counts['FAIL']} failing, {counts['ERROR']} not "
             f"evaluable, {counts['MANUAL']} manual, {counts['PASS']} passing, {counts['NOT_APPLICABLE']} "
             "not applicable"),
        _row("Accepted-risk register", _register_text(s, b.collected_at)),
        _row("Evidence manifests (sha256)", mani, raw=True),
        _row("Prepared by", s.report.prepared_by or "not stated (parameters: report.prepared_by)"),
        _row("Reviewed by", s.report.reviewed_by or "not stated (parameters: report.reviewed_by)"),
        _row("Report", f"iamkit {__version__}, run {run.get('run_id', 'unknown')}"),
    ])


def cover(view: Any, output_dir: Path | None, areas: list[tuple[str, str]]) -> str:
    """The cover + scope page (HTML) with the page style; ``areas`` = [(anchor, title)] for the contents."""
    b, org = view.bundle, view.org
    acct = _org_account(org, b.account_id)
    alias = alias_of(b)
    run = run_info(output_dir)
    assessed = run.get("started_at") or datetime.now(UTC).isoformat()
    label = alias or (acct or {}).get("name") or b.account_id
    date = when(assessed, time=False)
    marking = view.settings.report.classification
    org_label = (org.organization_id if org is not None else "") or "not part of an organization (or not collected)"
    style = page_style(f"{org_label if org is not None else 'IAM assessment'} · {label} ({b.account_id})",
                       f"{date} · {marking}", f"iamkit {__version__} IAM security assessment")
    limits = limitations(view.findings, view.bundle.errors) or ["none: every check could be evaluated"]
    lim = "".join(f"<li>{html.escape(x)}</li>" for x in limits)
    toc = "".join(f'<li><a href="#{html.escape(a)}">{html.escape(t_)}</a></li>' for a, t_ in areas)
    return (f'{style}<div class="iamkit-coverpage"><div class="marking">{html.escape(marking)}</div>'
            f"<h1>IAM security assessment</h1><p class=\"subtitle\">{html.escape(label)} ({b.account_id})"
            f" · {html.escape(date)}</p><h2>Scope</h2><table class=\"iamkit-meta scope\">"
            f"{_scope_rows(view, acct, alias, run, assessed)}</table>"
            f'<h2>Limitations</h2><ul class="limits">{lim}</ul>'
            f'<nav class="iamkit-toc"><h2>Contents</h2><ol>{toc}</ol></nav></div>')
