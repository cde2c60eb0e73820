"""``iamkit simulate``: AWS's authorization decision, offline (the glue between files and the evaluator).

Two ways in, one answer per request (:class:`~iamkit.policy.engine.Decision`):

* ``--request FILE``: one request object or a JSON array of them (:mod:`iamkit.policy.intake` describes
  the fields); answers come back in the same order.
* ``--evidence DIR [--org-evidence DIR] --principal ARN --action A --resource ARN [--context K=V ...]``:
  the policies come from evidence bundles (:mod:`iamkit.authz`). A repeated ``--context`` key is a
  multi-valued key.

Output: with ``--json`` the decision objects (one, or an array for an array of requests); otherwise one
short line per request ("DENIED by SCP DenyLeavingAndRootUse at OU Workloads, statement 1"), followed by
the conditions that could not be evaluated. Bad input raises :class:`~iamkit.errors.BadInputError` with one
line naming the file and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from iamkit.errors import BadInputError, read_json_input
from iamkit.policy.engine import ALLOWED, EXPLICIT_DENY, TYPE_LABEL, Decision, decide
from iamkit.policy.intake import request_from_mapping

__all__ = ["add_parser", "decide_file", "decide_evidence", "format_decision", "run"]


def add_parser(sub: Any, epilog: str) -> None:
    """Register ``iamkit simulate`` on the CLI's subparsers."""
    p = sub.add_parser("simulate", help="AWS's authorization decision for a request, offline", epilog=epilog,
                       description=__doc__.split("\n\n")[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--request", type=Path, metavar="FILE", help="JSON request object or array of them")
    g.add_argument("--evidence", type=Path, metavar="DIR", action="append",
                   help="evidence bundle(s) (or a folder holding them) with the principal's account")
    p.add_argument("--org-evidence", type=Path, metavar="DIR", help="the organization bundle (SCPs, RCPs)")
    p.add_argument("--principal", metavar="ARN", help="user, role, assumed-role session ARN, service or 'anonymous'")
    p.add_argument("--action", metavar="A", help="e.g. s3:GetObject")
    p.add_argument("--resource", metavar="ARN", default="*", help="resource ARN (default: *)")
    p.add_argument("--resource-account", metavar="ID", help="the resource's account when its ARN names none")
    p.add_argument("--resource-policy", type=Path, metavar="FILE", help="the resource's policy (JSON)")
    p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                   help="a request context value (repeat a key for a multi-valued key; KEY= for absent)")
    p.add_argument("--json", action="store_true", help="decisions as JSON")




def decide_file(path: Path, now: datetime | None = None) -> tuple[list[Decision], bool]:
    """Decisions for the request(s) in ``path``, and whether the file held an array."""
    raw = read_json_input(path)
    now = now or datetime.now(UTC)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise BadInputError(f"{path}: the request array is empty")
    prefix = f"{path}: request" if not isinstance(raw, list) else None
    return decide_all(items, lambda i: prefix or f"{path}: request[{i}]", now), isinstance(raw, list)


def decide_all(items: Sequence[Any], where: Any, now: datetime) -> list[Decision]:
    """Decide request objects in order; ``where(i)`` names item ``i`` in errors."""
    return [decide(request_from_mapping(item, where(i), now)) for i, item in enumerate(items)]


def _context_args(pairs: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInputError(f"--context {pair!r}: expected KEY=VALUE")
        key = key.strip()
        if value == "":
            out[key] = None
        elif key in out and out[key] is not None:
            out[key] = [*(out[key] if isinstance(out[key], list) else [out[key]]), value]
        else:
            out[key] = value
    return out


def decide_evidence(evidence: Sequence[Path], org_evidence: Path | None, principal: str, action: str,
                    resource: str, context: dict[str, Any], resource_account: str | None = None,
                    resource_policy: Any = None) -> Decision:
    """The decision with the policies taken from evidence bundles."""
    from iamkit.authz import EvidenceIndex, request_from_evidence
    from iamkit.evidence import Bundle, load_bundles
    from iamkit.model import MissingEvidence

    bundles, org = load_bundles(evidence)
    if org_evidence is not None:
        org = Bundle(org_evidence)
    try:
        req = request_from_evidence(EvidenceIndex(bundles, org), principal, action, resource, context,
                                    resource_account)
    except MissingEvidence as exc:
        raise BadInputError(f"evidence: {exc}") from None
    if resource_policy is not None:
        req["resource_policy"] = resource_policy
    now = datetime.now(UTC)
    return decide(request_from_mapping(req, "simulate", now))


def format_decision(d: Decision) -> str:
    """One line ("DENIED by SCP X at OU Y, statement 2"), then one line per unresolved condition."""
    if d.decision == ALLOWED:
        head = f"ALLOWED: {d.reason}"
    elif d.decision == EXPLICIT_DENY and d.statements:
        maybe = " (a Deny that may apply: its condition cannot be evaluated)" if d.reason.startswith("a Deny") else ""
        head = f"DENIED by {d.statements[0].describe()}{maybe}"
    elif d.decision == EXPLICIT_DENY:
        head = f"DENIED: {d.reason}"
    else:
        head = f"DENIED (implicitly): {d.reason}"
    lines = [head]
    for u in d.unresolved_conditions:
        where = f" at {u['level']}" if "level" in u else ""
        lines.append(f"  cannot evaluate {u['condition']} in {TYPE_LABEL[u['policy_type']]} {u['policy']}{where}, "
                     f"statement {u['index']}: {u['reason']}")
    return "\n".join(lines)


def run(args: Any) -> int:
    """The ``simulate`` command; prints the answer(s). Exit 0 whatever the decisions are."""
    if args.request is not None:
        decisions, many = decide_file(args.request)
    else:
        missing = [f"--{n}" for n in ("principal", "action") if not getattr(args, n)]
        if missing:
            raise BadInputError(f"simulate --evidence needs {' and '.join(missing)}")
        policy = read_json_input(args.resource_policy) if args.resource_policy else None
        decisions = [decide_evidence(args.evidence, args.org_evidence, args.principal, args.action, args.resource,
                                     _context_args(args.context), args.resource_account, policy)]
        many = False
    if args.json:
        payload = [d.as_dict() for d in decisions] if many else decisions[0].as_dict()
        print(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
    else:
        print("\n".join(format_decision(d) for d in decisions))
    return 0
