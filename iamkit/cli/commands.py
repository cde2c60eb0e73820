"""One handler per ``iamkit`` subcommand: ``handler(args, err) -> exit code``. Each calls the library and
prints; imports are local so that ``iamkit --help`` stays fast."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from iamkit.cli.monitors import monitor, progress
from iamkit.errors import BadInputError


def policy(_args: argparse.Namespace, _err: Console) -> int:
    from iamkit.aws.guard import policy_json
    from iamkit.collect import ALL_OPERATIONS

    print(policy_json(ALL_OPERATIONS))
    return 0


def demo(args: argparse.Namespace, err: Console) -> int:
    from iamkit.demo.run import run_demo

    result = run_demo(args.out, pdf=not args.no_pdf, progress=monitor(args, err), workers=args.workers,
                      resume=args.resume, baseline=args.baseline, reports=not args.no_reports, dask=args.dask,
                      allow_modified=args.allow_modified, scale=args.scale)
    _summary(err, result)
    return result.exit_code()


def simulate(args: argparse.Namespace, _err: Console) -> int:
    from iamkit.simulate import run as simulate_run

    return simulate_run(args)


def principals(args: argparse.Namespace, _err: Console) -> int:
    from iamkit.principals import run as principals_run

    return principals_run(args)


def render(args: argparse.Namespace, err: Console) -> int:
    from iamkit.runner import render_run

    result = render_run(args.run_dir, pdf=not args.no_pdf, workers=args.workers, progress=monitor(args, err),
                        allow_modified=args.allow_modified)
    _summary(err, result)
    return result.exit_code()


def verify(args: argparse.Namespace, _err: Console) -> int:
    from iamkit.integrity import verify as verify_run

    problems = verify_run(args.run_dir)
    for line in problems:
        print(line)
    if not problems:
        print(f"{args.run_dir}: every deliverable and evidence file matches its sha256")
    return 1 if problems else 0


def diff(args: argparse.Namespace, err: Console) -> int:
    from iamkit.diff import diff_runs

    d = diff_runs(args.old_run, args.new_run, out=args.out)
    print(d.summary())
    for label, items in (("new", d.new), ("resolved", d.resolved)):
        for f in items:
            print(f"  {label:8} {f.status.value:5} {f.severity.value:8} {f.account_id} {f.check_id} "
                  f"{f.region} {f.resource_arn}")
    for c in d.changed:
        print(f"  changed  {c.new.account_id} {c.new.check_id} {c.new.region} {c.new.resource_arn}: {c.what}")
    where = args.out or (args.new_run if args.new_run.is_dir() else args.new_run.parent)
    err.print(f"written to {where / 'diff.json'}", highlight=False)
    return 0


def lab(args: argparse.Namespace, _err: Console) -> int:
    from iamkit.report.lab import lab as open_lab

    return open_lab(args.demo_run)


def offline_import(args: argparse.Namespace, err: Console) -> int:
    from iamkit.offline import import_export

    path = import_export(args.authorization_details, credential_report=args.credential_report,
                         account_id=args.account_id, out=args.out)
    err.print(f"evidence written to {path}", highlight=False)
    return 0


def _aws(args: argparse.Namespace, *, fail_on: str | None = None, allow_modified: bool = False) -> tuple[Any, Any]:
    """The settings and the AWS target of ``run`` and ``collect``."""
    from iamkit.aws.session import AwsTarget
    from iamkit.settings import load_settings

    settings = load_settings([Path(p) for p in args.parameters], profile=args.profile,
                             endpoint_url=args.endpoint_url, fail_on=fail_on,
                             accounts=args.accounts, regions=args.regions, role_name=args.role_name,
                             external_id=args.external_id, workers=args.workers,
                             allow_modified_evidence=True if allow_modified else None)
    if args.org and not settings.role_name:
        raise BadInputError("--org needs --role-name: the role iamkit assumes in each member account")
    target = AwsTarget(profile=settings.profile, endpoint_url=settings.endpoint_url, region=args.region,
                       organization=args.org, role_name=settings.role_name, external_id=settings.external_id,
                       regions=tuple(settings.regions) if settings.regions else None,
                       workers=settings.workers or 4)
    return settings, target


def run(args: argparse.Namespace, err: Console) -> int:
    from iamkit.runner import RunOptions
    from iamkit.runner import run as run_accounts

    settings, target = _aws(args, fail_on=args.fail_on, allow_modified=args.allow_modified)
    opts = RunOptions(out=args.out, target=target, settings=settings,
                      parameters_files=[str(p) for p in args.parameters], pdf=not args.no_pdf and settings.pdf,
                      workers=args.workers, resume=args.resume, baseline=args.baseline, org=args.org,
                      reports=not args.no_reports, dask=args.dask)
    result = run_accounts(opts, monitor(args, err))
    _summary(err, result)
    return result.exit_code(settings.fail_on)


def collect(args: argparse.Namespace, err: Console) -> int:
    from datetime import UTC, datetime

    from iamkit.aws.session import open_session
    from iamkit.collect import ALL_OPERATIONS
    from iamkit.collect.bundle import collect_all

    settings, target = _aws(args)
    target.session_name = f"iamkit-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    results = collect_all(open_session(target, ALL_OPERATIONS), args.out / "evidence", accounts=settings.accounts,
                          progress=progress(err, args.quiet))
    failed = [r for r in results if r["status"] == "failed"]
    for r in results:
        if r["status"] == "ok":
            err.print(f"evidence written to {r['path']}", highlight=False)
    for r in failed:
        err.print(f"  failed {r['account_id']}: {r['error']}", highlight=False)
    if failed:
        err.print(f"{len(results) - len(failed)} bundle(s) collected, {len(failed)} failed", highlight=False)
        return 3
    return 0


def assess(args: argparse.Namespace, err: Console) -> int:
    from iamkit.evidence import load_bundles
    from iamkit.findings import sort_key
    from iamkit.outcome import exit_code
    from iamkit.report.assessment import Assessment
    from iamkit.settings import load_settings

    settings = load_settings([Path(p) for p in args.parameters], fail_on=args.fail_on,
                             allow_modified_evidence=True if args.allow_modified else None)
    bundles, org = load_bundles(args.evidence, allow_modified=settings.allow_modified_evidence)
    assessment = Assessment.build(bundles, org, settings, exceptions=[args.exceptions])
    findings = sorted((f for b in bundles for f in assessment.findings(b)), key=sort_key)
    args.out.mkdir(parents=True, exist_ok=True)
    for row in assessment.write_findings(findings, args.out):
        err.print(f"exception {row['check_id']} ({row.get('resource') or '*'}, owner {row['owner']}, "
                  f"{row['file']}): {row['message']}", highlight=False)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.status.value] = counts.get(f.status.value, 0) + 1
    err.print(f"{len(findings)} findings from {len(bundles)} account(s): {json.dumps(counts)}; "
              f"written to {args.out}", highlight=False)
    return exit_code(findings, settings.fail_on)


def _summary(err: Console, result: Any) -> None:
    ok = len(result.accounts) - len(result.failed)
    err.print(f"{ok} account(s) assessed, {len(result.failed)} failed; "
              f"{sum(1 for f in result.findings if f.status.value == 'FAIL')} failing findings", highlight=False)
    for a in result.failed:
        err.print(f"  failed {a['account_id']} at {a['stage']}: {a['error']}", highlight=False)
    if result.organization_failed:
        err.print(f"  failed organization evidence: {result.organization.get('error')} (the SCP and organization "
                  "checks say ERROR)", highlight=False)
    print(f"Report index: {(result.run_dir / 'index.html').resolve()}")
