"""The ``iamkit`` command. Thin: parses arguments, calls the library, maps errors to exit codes.

Exit codes (decided by :mod:`iamkit.outcome`): 0 done; 1 a FAIL or ERROR at or above ``--fail-on``;
2 bad input or usage; 3 some accounts or the organization's collection failed (the rest completed).
Errors print one line; ``--debug`` shows the traceback.

A subcommand is one row of :data:`COMMANDS`: its name, help, description, arguments
(:mod:`iamkit.cli.options`) and handler (:mod:`iamkit.cli.commands`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from iamkit import __version__
from iamkit.cli import commands, options
from iamkit.errors import IamkitError

EPILOG = ("Credentials come only from the standard AWS chain (profile, SSO, environment, instance role). "
          "Exit codes: 0 done, 1 a FAIL or ERROR at or above --fail-on, 2 bad input, 3 some accounts or the "
          "organization's collection failed.")

Handler = Callable[[argparse.Namespace, Console], int]


def _simulate_parser(sub: Any) -> None:
    from iamkit.simulate import add_parser

    add_parser(sub, EPILOG)


def _principals_parser(sub: Any) -> None:
    from iamkit.principals import add_parser

    add_parser(sub, EPILOG)


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    help: str | None = None
    description: str | None = None
    epilog: bool = True
    #: a module that registers its own subparser (``simulate``, ``principals``) instead of the above
    register: Callable[[Any], None] | None = None

    def add_to(self, sub: Any) -> None:
        if self.register is not None:
            self.register(sub)
            return
        extra = {"epilog": EPILOG} if self.epilog else {}
        parser = sub.add_parser(self.name, help=self.help, description=self.description, **extra)
        if self.arguments is not None:
            self.arguments(parser)


COMMANDS = (
    Command("demo", commands.demo, options.demo, "run everything on the embedded demo organization",
            "Start a local AWS stand-in seeded with the demo organization, collect, assess and write reports. "
            "Needs no AWS account."),
    Command("run", commands.run, options.run, "collect, assess and report on the account(s) of your credentials",
            "Collect evidence, assess it and write per-account reports and an index."),
    Command("render", commands.render, options.render, "re-render a run's reports from its evidence (no AWS)",
            "Re-assess and re-render every account of RUN_DIR from its evidence only, with the settings recorded "
            "in its run.json; no AWS call is made."),
    Command("verify", commands.verify, options.run_dir, "check a run's SHA256SUMS and evidence manifests",
            "Re-hash every deliverable listed in RUN_DIR/SHA256SUMS and every evidence file listed in the evidence "
            "manifests; name each changed, missing or unlisted file. Exit 0 when everything matches, 1 when "
            "something changed."),
    Command("diff", commands.diff, options.diff, "new, resolved and changed findings between two runs",
            "Compare the findings of two runs by (check, account, region, resource); print a summary and write "
            "diff.json and diff.html."),
    Command("lab", commands.lab, options.lab, "open JupyterLab on the area notebooks",
            "Open JupyterLab on notebooks/; the parameters cells default to the last demo run's evidence "
            "(reports/demo) when it exists."),
    Command("collect", commands.collect, options.collect, "collect evidence only",
            "Collect read-only evidence into DIR/evidence/<account_id>/."),
    Command("import", commands.offline_import, options.offline_import, "build an evidence bundle from exported files",
            "Build DIR/evidence/<account_id>/ (source: offline) from the output of 'aws iam "
            "get-account-authorization-details' and, optionally, a credential report CSV. Evidence not supplied "
            "is recorded as missing, so the checks that need it say ERROR."),
    Command("assess", commands.assess, options.assess, "findings from evidence, no notebooks",
            "Assess evidence bundles (bundle folders or folders containing them) and write findings.json, "
            "findings.csv, findings.ocsf.json (OCSF Compliance Finding) and findings.asff.json (AWS Security "
            "Finding Format)."),
    Command("policy", commands.policy, None, "print the least-privilege IAM policy iamkit needs",
            "Print the IAM policy generated from the operations iamkit's collectors declare (the same allowlist "
            "its read-only guard enforces).", epilog=False),
    Command("simulate", commands.simulate, register=_simulate_parser),
    Command("principals", commands.principals, register=_principals_parser),
)
HANDLERS: dict[str, Handler] = {c.name: c.handler for c in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iamkit", epilog=EPILOG,
        description="Assess the IAM security of AWS accounts and organizations and write audit reports.")
    parser.add_argument("--version", action="version", version=f"iamkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_to(sub)
    return parser


def _dispatch(args: argparse.Namespace, err: Console) -> int:
    return HANDLERS[args.command](args, err)


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
