"""The arguments of each ``iamkit`` subcommand (one builder per subcommand, shared option groups)."""

from __future__ import annotations

import argparse
from pathlib import Path

ALLOW_MODIFIED_HELP = ("assess evidence whose files no longer match their manifest sha256 (refused otherwise); "
                       "every finding and report cover then says so")
FAIL_ON = ["critical", "high", "medium", "low", "informational", "never"]


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


def demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("reports/demo"), help="run folder (default: reports/demo)")
    p.add_argument("--no-pdf", action="store_true", help="skip PDF rendering")
    p.add_argument("--scale", type=_positive, metavar="N",
                   help="grow the demo organization to N accounts (clones of its members), for measurements")
    _run_options(p, workers=True)


def run(p: argparse.ArgumentParser) -> None:
    _source_options(p)
    _scope_options(p)
    p.add_argument("--out", type=Path, required=True, help="run folder to write")
    p.add_argument("--no-pdf", action="store_true", help="skip PDF rendering")
    p.add_argument("--fail-on", choices=FAIL_ON,
                   help="exit 1 when a FAIL (without an accepted risk) or an ERROR at or above this severity exists "
                        "(default: from parameters)")
    _run_options(p)


def render(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--no-pdf", action="store_true", help="skip PDF rendering")
    p.add_argument("--workers", type=int, help="accounts rendered in parallel (default: number of cores)")
    p.add_argument("--json-log", action="store_true", help="JSON lines on stderr instead of the live display")
    p.add_argument("--allow-modified", action="store_true", help=ALLOW_MODIFIED_HELP)


def run_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")


def diff(p: argparse.ArgumentParser) -> None:
    p.add_argument("old_run", type=Path, metavar="OLD_RUN")
    p.add_argument("new_run", type=Path, metavar="NEW_RUN")
    p.add_argument("--out", type=Path, help="folder for diff.json/diff.html (default: NEW_RUN)")


def lab(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demo-run", type=Path, default=Path("reports/demo"), help="run folder to default to")


def collect(p: argparse.ArgumentParser) -> None:
    _source_options(p)
    _scope_options(p)
    p.add_argument("--out", type=Path, required=True, help="folder to write DIR/evidence/... into")


def offline_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("--authorization-details", type=Path, required=True, metavar="FILE",
                   help="JSON written by 'aws iam get-account-authorization-details'")
    p.add_argument("--credential-report", type=Path, metavar="CSV",
                   help="credential report CSV (IAM console download, or the decoded Content of "
                        "'aws iam get-credential-report')")
    p.add_argument("--account-id", help="the account's 12-digit id (default: inferred from ARNs in the export)")
    p.add_argument("--out", type=Path, required=True, help="folder to write DIR/evidence/<account_id> into")


def assess(p: argparse.ArgumentParser) -> None:
    p.add_argument("evidence", nargs="+", type=Path, metavar="EVIDENCE_DIR")
    p.add_argument("--out", type=Path, required=True, help="folder for the findings files")
    p.add_argument("--allow-modified", action="store_true", help=ALLOW_MODIFIED_HELP)
    p.add_argument("--parameters", action="append", default=[], metavar="FILE")
    p.add_argument("--exceptions", type=Path, metavar="FILE",
                   help="accepted risks (YAML, see parameters/exceptions.yaml); expired or unmatched entries "
                        "are listed in exceptions_report.json")
    p.add_argument("--fail-on", choices=FAIL_ON,
                   help="exit 1 when a FAIL (without an accepted risk) or an ERROR at or above this severity exists")
