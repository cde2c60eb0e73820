"""A run: accounts x (collect -> assess -> notebooks -> render), then the index and exports.

One failing account never stops the others: its failure (stage and one-line reason) is recorded
in ``run.json`` and the index, and the run exits 3 at the end.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamkit import __version__
from iamkit.aws.session import AwsTarget, open_session
from iamkit.checks import assess
from iamkit.collect import ALL_OPERATIONS
from iamkit.collect.bundle import collect_account, collect_organization, plan_accounts, session_for
from iamkit.errors import IamkitError
from iamkit.evidence import ORGANIZATION, Bundle, atomic_write, iso
from iamkit.exceptions import apply as apply_exceptions
from iamkit.exceptions import load_exceptions
from iamkit.exceptions import write_report as write_exceptions_report
from iamkit.exports import write_all
from iamkit.findings import Finding, Severity, Status
from iamkit.report.index import write_index
from iamkit.report.render import render_account
from iamkit.settings import Settings

Progress = Callable[[str], None]


@dataclass
class RunOptions:
    out: Path
    target: AwsTarget
    settings: Settings
    parameters_files: list[str] = field(default_factory=list)
    pdf: bool = True
    source: str = "aws"
    title: str = "IAM security assessment"
    run_id: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))


@dataclass
class RunResult:
    run_dir: Path
    accounts: list[dict[str, Any]]
    findings: list[Finding]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [a for a in self.accounts if a["status"] == "failed"]

    def exit_code(self, fail_on: str = "never") -> int:
        if self.failed:
            return 3
        if fail_on != "never":
            limit = Severity(fail_on).rank
            if any(f.status == Status.FAIL and f.severity.rank <= limit and f.exception is None
                   for f in self.findings):
                return 1
        return 0


def _record(acct: dict[str, Any], stage: str, fn: Callable[[], Any]) -> Any:
    t0 = time.monotonic()
    try:
        return fn()
    except IamkitError as exc:
        acct.update(status="failed", stage=stage, error=str(exc))
        return None
    finally:
        acct.setdefault("timings", {})[stage] = round(time.monotonic() - t0, 3)


def run(opts: RunOptions, progress: Progress = lambda _msg: None) -> RunResult:
    run_dir = Path(opts.out)
    evidence_root = run_dir / "evidence"
    started = datetime.now(UTC)
    if opts.target.session_name == "iamkit":
        opts.target.session_name = f"iamkit-{opts.run_id}"
    session = open_session(opts.target, ALL_OPERATIONS)
    targets = {t.account_id: t for t in plan_accounts(session, accounts=opts.settings.accounts)}
    accounts = [{"account_id": t.account_id, "name": t.name, "status": "ok"} for t in targets.values()]
    organization: dict[str, Any] = {"status": "ok"}
    if opts.target.organization:
        progress("collecting the organization")
        _record(organization, "collect", lambda: collect_organization(session, evidence_root, opts.source))

    bundles: list[Bundle] = []
    for acct in accounts:
        progress(f"collecting {acct['account_id']}")
        path = _record(acct, "collect", lambda a=acct: collect_account(
            session_for(session, targets[a["account_id"]]), evidence_root, source=opts.source))
        if path is not None:
            bundles.append(Bundle(path))

    progress("assessing")
    org_dir = evidence_root / ORGANIZATION
    org_bundle = Bundle(org_dir) if (org_dir / "manifest.json").is_file() else None
    findings = assess(bundles, opts.settings, org_bundle) if bundles else []
    if opts.settings.exceptions_file:
        findings, unused = apply_exceptions(findings, load_exceptions(opts.settings.exceptions_file))
        write_exceptions_report(unused, run_dir / "exceptions_report.json")
    write_all(findings, run_dir)

    for acct in accounts:
        if acct["status"] == "failed":
            continue
        progress(f"rendering {acct['account_id']}")
        bundle = next(b for b in bundles if b.account_id == acct["account_id"])
        cover = {"Account": acct["account_id"], "Collected at": iso(bundle.collected_at),
                 "Collected by": (bundle.manifest.get("caller_identity") or {}).get("Arn", "unknown"),
                 "Evidence source": bundle.source, "Run": opts.run_id}
        _record(acct, "render", lambda a=acct, c=cover: render_account(
            account_id=a["account_id"], evidence_dir=evidence_root, out_dir=run_dir / "accounts" / a["account_id"],
            cover=c, parameters_files=opts.parameters_files, pdf=opts.pdf))

    run_doc = {
        "run_id": opts.run_id, "title": opts.title, "source": opts.source,
        "started_at": iso(started), "finished_at": iso(datetime.now(UTC)),
        "iamkit_version": __version__, "python": platform.python_version(),
        "settings": opts.settings.model_dump(mode="json", exclude={"external_id", "profile"}),
        "parameters_files": opts.parameters_files, "accounts": accounts,
        **({"organization": organization} if opts.target.organization else {}),
    }
    atomic_write(run_dir / "run.json", json.dumps(run_doc, indent=1).encode())
    write_index(run_dir, run_doc, findings)
    return RunResult(run_dir, accounts, findings)
