"""The ``iamkit`` command. Thin: parses arguments, calls the library, maps errors to exit codes.

Exit codes (decided by :mod:`iamkit.outcome`): 0 done; 1 a FAIL or ERROR at or above ``--fail-on``;
2 bad input or usage; 3 some accounts or the organization's collection failed (the rest completed).
Errors print one line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from iamkit import __version__
from iamkit.errors import BadInputError, IamkitError

EPILOG = ("Credentials come only from the standard AWS chain (profile, SSO, environment, instance role). "
          "Exit codes: 0 done, 1 a FAIL or ERROR at or above --fail-on, 2 bad input, 3 some accounts or the "
          "organization's collection failed.")


ALLOW_MODIFIED_HELP = ("assess evidence whose files no longer match their manifest sha256 (refused otherwise); "
                       "every finding and report cover then says so")


def _source_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where to collect from")
    g.add_argument("--profile", help="AWS profile (incl. SSO profiles) from your AWS config")
    g.add_argument("--endpoint-url", help="AWS endpoint URL (for a local stand-in; AWS_ENDPOINT_URL also works)")
    g.add_argument("--region", default="us-east-1", help="home region for global APIs (default: us-east-1)")
    g.add_argument("--parameters", action="append", default=[], metavar="FILE",
                   help="parameters YAML merged over the defaults (repeatable)")


def _run_options(p: argparse.ArgumentParser, *, workers: bool = False) -> None:
    g = p.add_argument_group("batch options")
    if workers:
        g.add_argument("--workers", type=int, metavar="N", help="accounts processed in parallel (default: cores)")
    g.add_argument("--resume", action="store_true",
                   help="skip accounts whose outputs in --out are complete and valid (evidence verifies)")
    g.add_argument("--allow-modified", action="store_true",
                   help="with --resume: use evidence that no longer matches its manifest (refused otherwise); "
                        "every finding and report then says so")
    g.add_argument("--baseline", type=Path, metavar="OLD_RUN", help="show new/resolved/changed findings since OLD_RUN")
    g.add_argument("--json-log", action="store_true", help="JSON lines on stderr instead of the live display")
    g.add_argument("--no-reports", action="store_true",
                   help="collect and assess only: findings and index, no notebooks or report files")
    g.add_argument("--dask", metavar="ADDRESS",
                   help="render accounts on a Dask cluster (scheduler address, e.g. tcp://host:8786); its workers "
                        "need this iamkit and the run folder at the same path")


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _scope_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("which accounts and regions")
    g.add_argument("--org", action="store_true",
                   help="every ACTIVE account of the caller's organization (run from the management account "
                        "or a delegated administrator); members are reached through --role-name")
    g.add_argument("--role-name", help="role to assume in member accounts (e.g. OrganizationAccountAccessRole)")
    g.add_argument("--external-id", help="ExternalId to pass when assuming --role-name")
    g.add_argument("--accounts", type=_csv, metavar="A,B", help="only these account ids")
    g.add_argument("--regions", type=_csv, metavar="R1,R2",
                   help="only these regions for per-region evidence (default: every enabled region)")
    g.add_argument("--workers", type=int, metavar="N",
                   help="accounts processed in parallel (collect: default 4; run: default = number of cores)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a whole number of accounts, 1 or more (not {text!r})")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iamkit", epilog=EPILOG,
        description="Assess the IAM security of AWS accounts and organizations and write audit reports.")
    parser.add_argument("--version", action="version", version=f"iamkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="run everything on the embedded demo organization",
                       description="Start a local AWS stand-in seeded with the demo organization, collect, "
                                   "assess and write reports. Needs no AWS account.", epilog=EPILOG)
    p.add_argument("--out", type=Path, default=Path("reports/demo"), help="run folder (default: reports/demo)")
    p.add_argument("--no-pdf", action="store_true", help="skip PDF rendering")
    p.add_argument("--scale", type=_positive, metavar="N",
                   help="grow the demo organization to N accounts (clones of its members), for measurements")
    _run_options(p, workers=True)

    p = sub.add_parser("run", help="collect, assess and report on the account(s) of your credentials",
                       description="Collect evidence, assess it and write per-account reports and an index.",
                       epilog=EPILOG)
    _source_options(p)
    _scope_options(p)
    p.add_argument("--out", type=Path, required=True, help="run folder to write")
    p.add_argument("--no-pdf", action="store_true", help="skip PDF rendering")
    p.add_argument("--fail-on", choices=["critical", "high", "medium", "low", "informational", "never"],
                   help="exit 1 when a FAIL (without an accepted risk) or an ERROR at or above this severity exists "
                        "(default: from parameters)")
    _run_options(p)

    p = sub.add_parser("render", help="re-render a run's reports from its evidence (no AWS)", epilog=EPILOG,
                       description="Re-assess and re-render every account of RUN_DIR from its evidence only, "
                                   "with the settings recorded in its run.json; no AWS call is made.")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--no-pdf", action="store_true", help="skip PDF rendering")
    p.add_argument("--workers", type=int, help="accounts rendered in parallel (default: number of cores)")
    p.add_argument("--json-log", action="store_true", help="JSON lines on stderr instead of the live display")
    p.add_argument("--allow-modified", action="store_true", help=ALLOW_MODIFIED_HELP)

    p = sub.add_parser("verify", help="check a run's SHA256SUMS and evidence manifests", epilog=EPILOG,
                       description="Re-hash every deliverable listed in RUN_DIR/SHA256SUMS and every evidence file "
                                   "listed in the evidence manifests; name each changed, missing or unlisted file. "
                                   "Exit 0 when everything matches, 1 when something changed.")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")

    p = sub.add_parser("diff", help="new, resolved and changed findings between two runs", epilog=EPILOG,
                       description="Compare the findings of two runs by (check, account, region, resource); "
                                   "print a summary and write diff.json and diff.html.")
    p.add_argument("old_run", type=Path, metavar="OLD_RUN")
    p.add_argument("new_run", type=Path, metavar="NEW_RUN")
    p.add_argument("--out", type=Path, help="folder for diff.json/diff.html (default: NEW_RUN)")

    p = sub.add_parser("lab", help="open JupyterLab on the area notebooks", epilog=EPILOG,
                       description="Open JupyterLab on notebooks/; the parameters cells default to the last "
                                   "demo run's evidence (reports/demo) when it exists.")
    p.add_argument("--demo-run", type=Path, default=Path("reports/demo"), help="run folder to default to")

    p = sub.add_parser("collect", help="collect evidence only", epilog=EPILOG,
                       description="Collect read-only evidence into DIR/evidence/<account_id>/.")
    _source_options(p)
    _scope_options(p)
    p.add_argument("--out", type=Path, required=True, help="folder to write DIR/evidence/... into")

    p = sub.add_parser("import", help="build an evidence bundle from exported files", epilog=EPILOG,
                       description="Build DIR/evidence/<account_id>/ (source: offline) from the output of "
                                   "'aws iam get-account-authorization-details' and, optionally, a credential "
                                   "report CSV. Evidence not supplied is recorded as missing, so the checks "
                                   "that need it say ERROR.")
    p.add_argument("--authorization-details", type=Path, required=True, metavar="FILE",
                   help="JSON written by 'aws iam get-account-authorization-details'")
    p.add_argument("--credential-report", type=Path, metavar="CSV",
                   help="credential report CSV (IAM console download, or the decoded Content of "
                        "'aws iam get-credential-report')")
    p.add_argument("--account-id", help="the account's 12-digit id (default: inferred from ARNs in the export)")
    p.add_argument("--out", type=Path, required=True, help="folder to write DIR/evidence/<account_id> into")

    p = sub.add_parser("assess", help="findings from evidence, no notebooks", epilog=EPILOG,
                       description="Assess evidence bundles (bundle folders or folders containing them) and "
                                   "write findings.json, findings.csv, findings.ocsf.json (OCSF Compliance Finding) "
                                   "and findings.asff.json (AWS Security Finding Format).")
    p.add_argument("evidence", nargs="+", type=Path, metavar="EVIDENCE_DIR")
    p.add_argument("--out", type=Path, required=True, help="folder for the findings files")
    p.add_argument("--allow-modified", action="store_true", help=ALLOW_MODIFIED_HELP)
    p.add_argument("--parameters", action="append", default=[], metavar="FILE")
    p.add_argument("--exceptions", type=Path, metavar="FILE",
                   help="accepted risks (YAML, see parameters/exceptions.yaml); expired or unmatched entries "
                        "are listed in exceptions_report.json")
    p.add_argument("--fail-on", choices=["critical", "high", "medium", "low", "informational", "never"],
                   help="exit 1 when a FAIL (without an accepted risk) or an ERROR at or above this severity exists")

    sub.add_parser("policy", help="print the least-privilege IAM policy iamkit needs",
                   description="Print the IAM policy generated from the operations iamkit's collectors "
                               "declare (the same allowlist its read-only guard enforces).")
    from iamkit.principals import add_parser as add_principals
    from iamkit.simulate import add_parser as add_simulate

    add_simulate(sub, EPILOG)
    add_principals(sub, EPILOG)
    return parser


def _progress(console: Console, quiet: bool):  # noqa: ANN202
    return (lambda _m: None) if quiet else (lambda m: console.print(f"[dim]·[/dim] {m}", highlight=False))


def _monitor(args: argparse.Namespace, err: Console):  # noqa: ANN202
    """The run display: nothing (--quiet), JSON lines (--json-log) or a rich live display."""
    from iamkit.runner import JsonLinesMonitor, MessageMonitor, RichMonitor

    if getattr(args, "json_log", False):
        return JsonLinesMonitor(sys.stderr)
    if args.quiet:
        return MessageMonitor(lambda _m: None)
    return RichMonitor(err)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    err = Console(stderr=True)
    try:
        return _dispatch(args, err)
    except IamkitError as exc:
        if args.debug:
            raise
        err.print(f"[bold red]iamkit:[/bold red] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("iamkit: interrupted")
        return 130


def _dispatch(args: argparse.Namespace, err: Console) -> int:
    progress = _progress(err, args.quiet)
    if args.command == "policy":
        from iamkit.aws.guard import policy_json
        from iamkit.collect import ALL_OPERATIONS

        print(policy_json(ALL_OPERATIONS))
        return 0
    if args.command == "demo":
        from iamkit.demo.run import run_demo

        result = run_demo(args.out, pdf=not args.no_pdf, progress=_monitor(args, err),
                          workers=args.workers, resume=args.resume, baseline=args.baseline,
                          reports=not args.no_reports, dask=args.dask, allow_modified=args.allow_modified,
                          scale=args.scale)
        _summary(err, result)
        return result.exit_code()
    if args.command == "assess":
        return _assess(args, err)
    if args.command == "simulate":
        from iamkit.simulate import run as simulate

        return simulate(args)
    if args.command == "principals":
        from iamkit.principals import run as principals

        return principals(args)
    if args.command == "render":
        from iamkit.runner import render_run

        result = render_run(args.run_dir, pdf=not args.no_pdf, workers=args.workers, progress=_monitor(args, err),
                            allow_modified=args.allow_modified)
        _summary(err, result)
        return result.exit_code()
    if args.command == "verify":
        from iamkit.integrity import verify

        problems = verify(args.run_dir)
        for line in problems:
            print(line)
        if not problems:
            print(f"{args.run_dir}: every deliverable and evidence file matches its sha256")
        return 1 if problems else 0
    if args.command == "diff":
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
    if args.command == "lab":
        from iamkit.report.lab import lab

        return lab(args.demo_run)
    if args.command == "import":
        from iamkit.offline import import_export

        path = import_export(args.authorization_details, credential_report=args.credential_report,
                             account_id=args.account_id, out=args.out)
        err.print(f"evidence written to {path}", highlight=False)
        return 0

    from iamkit.aws.session import AwsTarget
    from iamkit.settings import load_settings

    settings = load_settings([Path(p) for p in args.parameters], profile=args.profile,
                             endpoint_url=args.endpoint_url, fail_on=getattr(args, "fail_on", None),
                             accounts=args.accounts, regions=args.regions, role_name=args.role_name,
                             external_id=args.external_id, workers=args.workers,
                             allow_modified_evidence=True if getattr(args, "allow_modified", False) else None)
    if args.org and not settings.role_name:
        raise BadInputError("--org needs --role-name: the role iamkit assumes in each member account")
    target = AwsTarget(profile=settings.profile, endpoint_url=settings.endpoint_url, region=args.region,
                       organization=args.org, role_name=settings.role_name, external_id=settings.external_id,
                       regions=tuple(settings.regions) if settings.regions else None,
                       workers=settings.workers or 4)
    if args.command == "collect":
        return _collect(args, err, target, settings.accounts, progress)
    if args.command == "run":
        from iamkit.runner import RunOptions, run

        opts = RunOptions(out=args.out, target=target, settings=settings,
                          parameters_files=[str(p) for p in args.parameters], pdf=not args.no_pdf and settings.pdf,
                          workers=args.workers, resume=args.resume, baseline=args.baseline,
                          org=bool(getattr(args, "org", False)), reports=not args.no_reports, dask=args.dask)
        result = run(opts, _monitor(args, err))
        _summary(err, result)
        return result.exit_code(settings.fail_on)
    raise AssertionError(args.command)


def _collect(args: argparse.Namespace, err: Console, target, accounts, progress) -> int:  # noqa: ANN001
    from datetime import UTC, datetime

    from iamkit.aws.session import open_session
    from iamkit.collect import ALL_OPERATIONS
    from iamkit.collect.bundle import collect_all

    target.session_name = f"iamkit-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    results = collect_all(open_session(target, ALL_OPERATIONS), args.out / "evidence", accounts=accounts,
                          progress=progress)
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


def _assess(args: argparse.Namespace, err: Console) -> int:
    from iamkit.evidence import load_bundles
    from iamkit.exceptions import write_report
    from iamkit.exports import write_all
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
    write_all(findings, args.out)
    if assessment.risks:
        unused = assessment.exception_report(findings)
        write_report(unused, args.out / "exceptions_report.json")
        for row in unused:
            err.print(f"exception {row['check_id']} ({row.get('resource') or '*'}, owner {row['owner']}, "
                      f"{row['file']}): {row['message']}", highlight=False)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.status.value] = counts.get(f.status.value, 0) + 1
    err.print(f"{len(findings)} findings from {len(bundles)} account(s): {json.dumps(counts)}; "
              f"written to {args.out}", highlight=False)
    return exit_code(findings, settings.fail_on)


def _summary(err: Console, result) -> None:  # noqa: ANN001
    ok = len(result.accounts) - len(result.failed)
    err.print(f"{ok} account(s) assessed, {len(result.failed)} failed; "
              f"{sum(1 for f in result.findings if f.status.value == 'FAIL')} failing findings", highlight=False)
    for a in result.failed:
        err.print(f"  failed {a['account_id']} at {a['stage']}: {a['error']}", highlight=False)
    if result.organization_failed:
        err.print(f"  failed organization evidence: {result.organization.get('error')} (the SCP and organization "
                  "checks say ERROR)", highlight=False)
    print(f"Report index: {(result.run_dir / 'index.html').resolve()}")


if __name__ == "__main__":
    sys.exit(main())
