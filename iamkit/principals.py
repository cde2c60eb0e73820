"""Per-principal analysis of an account's evidence: effective administrator, escalation methods, boundary.

Every answer comes from the evaluator (:mod:`iamkit.policy.engine`) on the policies the evidence holds for
the principal (:mod:`iamkit.authz`: identity policies incl. groups, permissions boundary, the SCP chain of
the account, a role's trust policy), so a boundary, an SCP or a Deny in another policy is taken into
account. :mod:`iamkit.policy.escalation` says what counts as administrator and as an escalation method.
The context is the collection time; ``aws:TokenIssueTime`` is that time too (credentials the principal can
obtain now), and ``aws:SourceAccount`` is the account for services acting in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from iamkit.admins import UNREADABLE, AdminVerdict, Asker, admin_verdicts
from iamkit.authz import EvidenceIndex, request_from_evidence
from iamkit.become import chains, named_filter, trust_index
from iamkit.policy.document import PolicyError, parse_policy
from iamkit.policy.engine import decide
from iamkit.policy.escalation import Inventory, Method, escalation_methods
from iamkit.policy.intake import request_from_mapping
from iamkit.policy.privesc import escalation_paths

__all__ = ["PrincipalReport", "analyze_account"]


@dataclass(frozen=True, slots=True)
class PrincipalReport:
    arn: str
    type: str  # user | role
    admin: bool
    methods: tuple[Method, ...]
    boundary: str | None
    service_linked: bool
    #: shortest chain of roles this principal can become (sts:AssumeRole, or a role passed to a service) that
    #: ends at an administrator or at a principal with an escalation method; empty when there is none
    chain: tuple[str, ...] = ()
    #: how an administrator is one: "direct" (its own policies) or "group <name>"
    admin_how: str | None = None
    #: roles: principals outside the account (other accounts, "*", identity providers) its trust policy lets
    #: assume it, decided by the evaluator (their own account's side assumed to allow; conditions assumed)
    external_reach: tuple[str, ...] = ()
    #: reachable from outside and an administrator, or able to escalate or to become one that is
    admin_from_outside: bool = False
    last_used: str | None = None  # roles: RoleLastUsed.LastUsedDate
    assumable_by: tuple[str, ...] = ()  # roles: principals named by Allow statements of the trust policy
    #: what the SCP chain did to the administrator question (:attr:`iamkit.admins.AdminVerdict.scp`)
    scp: str = ""
    cut_by: str = ""  # why a principal whose own Allows name every IAM write is no administrator
    #: why its escalation (or administrator status) cannot be judged: a policy of it missing from the evidence or
    #: malformed, an unreadable SCP chain, or a role it can become whose permissions cannot be judged
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "type": self.type, "admin": self.admin,
                "admin_via": self.admin_how if self.admin else ("escalation" if self.methods else
                                                                "role chain" if self.chain else None),
                "scp": self.scp, "cut_by": self.cut_by, "error": self.error,
                "chain": list(self.chain),
                "escalation": [{"method": m.path.id, "actions": list(m.path.required_actions),
                                "detail": m.describe(), "assumed_conditions": list(m.assumed_conditions)}
                               for m in self.methods],
                "boundary": self.boundary, "service_linked": self.service_linked, "last_used": self.last_used,
                "assumable_by": list(self.assumable_by), "external_reach": list(self.external_reach),
                "admin_from_outside": self.admin_from_outside}


def _inventory(index: EvidenceIndex, account_id: str) -> Inventory:
    acct = index.account(account_id)
    assert acct is not None
    roles = tuple(acct.roles)
    services = sorted({s for p in escalation_paths() for s in p.passes_role_to})
    trusts: dict[str, frozenset[str]] = {}
    seen: dict[tuple[bytes, str], bool] = {}  # roles sharing a trust policy share the answer (see below)
    for role in roles:
        trusts[role] = _services_trusted(index, account_id, role, services, seen)
    return Inventory(users=tuple(acct.users), groups=tuple(g["Arn"] for g in acct.groups.values() if "Arn" in g),
                     roles=roles, customer_policies=tuple(a for a in acct.policies if ":aws:policy/" not in a),
                     role_trusts_service=trusts)


def _services_trusted(index: EvidenceIndex, account_id: str, role: str, services: list[str],
                      seen: dict[tuple[bytes, str], bool]) -> frozenset[str]:
    """The services the role's trust policy lets assume it (none when the trust policy is malformed: the role's
    own finding is an ERROR then)."""
    acct = index.account(account_id)
    ok = set()
    for service in services:
        raw = request_from_evidence(index, service, "sts:AssumeRole", role, {"aws:SourceAccount": account_id})
        # a trust policy has no Resource element, so without RCPs (which may name the role) the role's ARN
        # cannot change the answer: decide once per (trust policy, service)
        key = None if "rcps" in raw else (orjson.dumps((raw.get("resource_policy") or {}).get("document"),
                                                       option=orjson.OPT_SORT_KEYS), service)
        allowed = seen.get(key) if key is not None else None
        if allowed is None:
            try:
                request = request_from_mapping(raw, f"trust of {role}", acct.bundle.collected_at)  # type: ignore[union-attr]
            except PolicyError:
                return frozenset()
            allowed = decide(replace(request, optimistic=True)).allowed
            if key is not None:
                seen[key] = allowed
        if allowed:
            ok.add(service)
    return frozenset(ok)


class _TrustOnly:
    """The trust policy of a role whose own permissions cannot be judged: others may still become it."""

    def __init__(self, role: dict[str, Any] | None) -> None:
        self.trust_raw = role.get("AssumeRolePolicyDocument") if role else None
        try:
            self.trust = parse_policy(self.trust_raw) if self.trust_raw else None
        except PolicyError:  # malformed: nobody can be shown to become it (its own finding is an ERROR)
            self.trust = None


def _askers(index: EvidenceIndex, own: list[str], verdicts: dict[str, AdminVerdict], context: dict[str, Any],
            now: datetime) -> tuple[dict[str, Asker], dict[str, str]]:
    """Askers of the principals whose policies can be read, and why not for the others (per principal: one
    missing policy never hides the other principals' verdicts)."""
    askers: dict[str, Asker] = {}
    broken: dict[str, str] = {}
    for arn in own:
        if verdicts[arn].error:
            broken[arn] = verdicts[arn].error
            continue
        try:
            askers[arn] = Asker(index, arn, context, now)
        except UNREADABLE as exc:
            broken[arn] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return askers, broken


def analyze_account(index: EvidenceIndex, account_id: str) -> list[PrincipalReport]:
    """One report per user and role of the account (service-linked roles included, marked). A principal whose
    policies cannot be read gets ``error`` (and so does one that can become such a role, when nothing else
    decides it); the others are judged as usual."""
    acct = index.account(account_id)
    if acct is None:
        raise KeyError(account_id)
    now = acct.bundle.collected_at
    context = {"aws:TokenIssueTime": now.isoformat().replace("+00:00", "Z")}
    inventory = _inventory(index, account_id)
    own = [arn for arn in (*acct.users, *acct.roles) if arn.split(":")[4:5] == [account_id]]  # GAAD is one account's
    verdicts = admin_verdicts(index, account_id)
    askers, broken = _askers(index, own, verdicts, context, now)
    trusts: dict[str, Any] = {**{a: _TrustOnly(acct.roles.get(a)) for a in broken if a in acct.roles}, **askers}
    admins = {arn for arn in askers if verdicts[arn].admin}
    inventory = replace(inventory, admin_roles=frozenset(r for r in inventory.roles if r in admins))
    named_in = trust_index(trusts, inventory)
    methods = {arn: () if arn in admins else tuple(escalation_methods(a.ask, inventory, arn, a.witnesses,
                                                                      named=named_filter(a, named_in), might=a.might))
               for arn, a in askers.items()}
    goal = {a for a in askers if a in admins or methods[a]}
    to_goal = chains(askers, trusts, inventory, goal)
    unknown = chains(askers, trusts, inventory, {r for r in broken if r in acct.roles}, goal | set(to_goal)) \
        if broken else {}
    errors = {**{p: f"it can become {' -> '.join(c)}, whose permissions cannot be judged ({broken[c[-1]]})"
                 for p, c in unknown.items()}, **broken}
    external = _external_reach(index, account_id, trusts, now)
    return [_report(acct, arn, verdicts[arn], arn in admins, methods.get(arn, ()), to_goal.get(arn, ()),
                    external.get(arn, ()), trusts.get(arn), errors.get(arn, "")) for arn in own]


def _report(acct: Any, arn: str, verdict: AdminVerdict, admin: bool, methods: tuple[Method, ...],
            chain: tuple[str, ...], reach: tuple[str, ...], holder: Any, error: str) -> PrincipalReport:
    entity = acct.users.get(arn) or acct.roles.get(arn) or {}
    boundary = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    trust = holder.trust if holder is not None else None
    who = tuple(dict.fromkeys(f"{kind}:{v}" for st in (trust.statements if trust else ()) if st.is_allow
                              for kind, values in (st.principals or {}).items() for v in values))
    last = (entity.get("RoleLastUsed") or {}).get("LastUsedDate")
    return PrincipalReport(arn, "user" if arn in acct.users else "role", admin, methods, boundary,
                           ":role/aws-service-role/" in arn, chain, verdict.how, reach,
                           bool(reach) and (admin or bool(methods) or bool(chain)), str(last) if last else None, who,
                           verdict.scp, verdict.cut_by, error)


_SOME_ACCOUNT = "arn:aws:iam::000000000000:root"  # stands for "any AWS principal" ("*" in a trust policy)
_ASSUMED_IDENTITY = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole*", "Resource": "*"}]}


def _external_reach(index: EvidenceIndex, account_id: str, askers: dict[str, Any],
                    now: datetime) -> dict[str, tuple[str, ...]]:
    """Role ARN -> the principals outside the account its trust policy lets in (evaluated optimistically, their
    side assumed to allow: another account decides for its own principals)."""
    rcps = index.chain(account_id, "RESOURCE_CONTROL_POLICY")
    out: dict[str, tuple[str, ...]] = {}
    for arn, asker in askers.items():
        if asker.trust is None:
            continue
        named = []
        for st in asker.trust.statements:
            for kind, values in (st.principals or {}).items() if st.is_allow else ():
                named += [(kind, v) for v in values if kind == "Federated" or (
                    kind == "AWS" and (v == "*" or (v.split(":")[4:5] or [v])[0] != account_id))]
        reached = []
        for kind, value in dict.fromkeys(named):
            if kind == "Federated":
                principal: Any = {"Federated": value}
                action = "sts:AssumeRoleWithSAML" if ":saml-provider/" in value else "sts:AssumeRoleWithWebIdentity"
            else:
                principal, action = (_SOME_ACCOUNT if value == "*" else value), "sts:AssumeRole"
            raw = {"principal": principal, "action": action, "resource": arn, "identity_policies": [_ASSUMED_IDENTITY],
                   "resource_policy": {"name": "trust policy", "document": asker.trust_raw}}
            if rcps is not None:
                raw["rcps"] = rcps
            if decide(replace(request_from_mapping(raw, f"trust of {arn}", now), optimistic=True)).allowed:
                reached.append(f"{kind}:{value}")
        if reached:
            out[arn] = tuple(reached)
    return out


def add_parser(sub: Any, epilog: str) -> None:
    """Register ``iamkit principals`` on the CLI's subparsers."""
    p = sub.add_parser("principals", epilog=epilog,
                       help="users and roles: administrator, escalation methods, boundary, who can assume them")
    p.add_argument("evidence", type=Path, nargs="+", metavar="EVIDENCE_DIR")
    p.add_argument("--org-evidence", type=Path, metavar="DIR", help="the organization bundle (SCPs)")
    p.add_argument("--json", action="store_true", help="one JSON record per principal")


def run(args: Any) -> int:
    """The ``principals`` command: every account bundle found, one record per user and role."""
    from iamkit.evidence import Bundle, load_bundles

    bundles, org = load_bundles(args.evidence)
    if args.org_evidence is not None:
        org = Bundle(args.org_evidence)
    index = EvidenceIndex(bundles, org)
    records = [r.as_dict() | {"account_id": b.account_id} for b in bundles
               for r in analyze_account(index, b.account_id)]
    if args.json:
        print(json.dumps(records, indent=1))
        return 0
    for r in records:
        status = "ADMIN" if r["admin"] else "ERROR" if r["error"] else "ESCALATES" if r["escalation"] else \
            "CHAIN" if r["chain"] else "-"
        how = ", ".join(m["method"] for m in r["escalation"]) or " -> ".join(c.rsplit("/", 1)[-1] for c in r["chain"])
        scp = "  [SCP cut]" if r["cut_by"].startswith("the SCP chain") else ""
        print(f"{status:9} {r['arn']}" + (f"  ({how})" if how else "") + scp)
    return 0
