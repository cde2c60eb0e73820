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
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from iamkit.authz import EvidenceIndex, request_from_evidence
from iamkit.policy.document import parse_policy
from iamkit.policy.engine import Decision, Request, decide
from iamkit.policy.escalation import ADMIN_PROBES, Inventory, Method, escalation_methods, is_admin
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

    def as_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "type": self.type, "admin": self.admin,
                "admin_via": self.admin_how if self.admin else ("escalation" if self.methods else
                                                                "role chain" if self.chain else None),
                "chain": list(self.chain),
                "escalation": [{"method": m.path.id, "actions": list(m.path.required_actions),
                                "detail": m.describe(), "assumed_conditions": list(m.assumed_conditions)}
                               for m in self.methods],
                "boundary": self.boundary, "service_linked": self.service_linked, "last_used": self.last_used,
                "assumable_by": list(self.assumable_by), "external_reach": list(self.external_reach),
                "admin_from_outside": self.admin_from_outside}


class _Asker:
    """Decisions for one principal, its policies compiled once."""

    def __init__(self, index: EvidenceIndex, arn: str, context: dict[str, Any], now: datetime) -> None:
        self.index, self.arn, self.context, self.now = index, arn, context, now
        self.base = self._request("sts:GetCallerIdentity", "*")
        role = index.account(arn.split(":")[4]).roles.get(arn) if ":role/" in arn else None  # type: ignore[union-attr]
        self.trust_raw = role.get("AssumeRolePolicyDocument") if role else None
        self.trust = parse_policy(self.trust_raw) if self.trust_raw else None

    def _request(self, action: str, resource: str) -> Request:
        raw = request_from_evidence(self.index, self.arn, action, resource, dict(self.context))
        return request_from_mapping(raw, f"principal {self.arn}", self.now)

    def ask(self, action: str, resource: str, optimistic: bool) -> Decision:
        if not self.might(action):
            return Decision("implicit_deny", ("identity",), reason="no identity statement names the action")
        return decide(replace(self._request(action, resource), optimistic=optimistic))

    def ask_own(self, action: str, resource: str, optimistic: bool) -> Decision:
        """As :meth:`ask`, without the SCP/RCP chains: SCPs cap every principal of the account alike, so a
        principal whose own policies (and boundary) allow every admin probe already holds all that the
        organization lets anyone in the account hold, and no escalation can take it further."""
        if not self.might(action):
            return Decision("implicit_deny", ("identity",), reason="no identity statement names the action")
        return decide(replace(self._request(action, resource), scps=None, rcps=None, optimistic=optimistic))

    def might(self, action: str) -> bool:
        """Some identity Allow names the action (else no resource can be allowed, except through a trust
        policy that names the principal itself)."""
        low = action.lower()
        if low.startswith("sts:assumerole") or self.base.principal.kind == "root":
            return True
        return any(st.allow and st.actions.match(low) for p in self.base.identity for st in p.candidates(low))

    def named(self, action: str, resource: str) -> bool:
        """For IAM actions other than sts:AssumeRole*: some identity Allow statement's Resource could match
        ``resource`` (a cheap filter before the evaluator; conditions are left to it)."""
        low = action.lower()
        if not low.startswith("iam:") or self.base.principal.kind == "root":
            return True
        get = self.base.context.get
        return any(st.allow and st.actions.match(low) and (st.resources is None or
                                                          st.resources.match(resource, get) is not False)
                   for p in self.base.identity for st in p.candidates(low))

    def witnesses(self, action: str) -> Iterator[str]:
        low = action.lower()
        for p in self.base.identity:
            for st in p.candidates(low):
                if st.allow and st.actions.match(low) and st.resources is not None and not st.resources.negated:
                    for pattern in st.resources.patterns:
                        if "${" not in pattern and pattern != "*":
                            yield pattern.replace("*", "x").replace("?", "x")




def _inventory(index: EvidenceIndex, account_id: str) -> Inventory:
    acct = index.account(account_id)
    assert acct is not None
    roles = tuple(acct.roles)
    services = sorted({s for p in escalation_paths() for s in p.passes_role_to})
    trusts: dict[str, frozenset[str]] = {}
    for role in roles:
        ok = set()
        for service in services:
            raw = request_from_evidence(index, service, "sts:AssumeRole", role, {"aws:SourceAccount": account_id})
            if decide(replace(request_from_mapping(raw, f"trust of {role}", acct.bundle.collected_at),
                              optimistic=True)).allowed:
                ok.add(service)
        trusts[role] = frozenset(ok)
    return Inventory(users=tuple(acct.users), groups=tuple(g["Arn"] for g in acct.groups.values() if "Arn" in g),
                     roles=roles, customer_policies=tuple(a for a in acct.policies if ":aws:policy/" not in a),
                     role_trusts_service=trusts)


def analyze_account(index: EvidenceIndex, account_id: str) -> list[PrincipalReport]:
    """One report per user and role of the account (service-linked roles included, marked)."""
    acct = index.account(account_id)
    if acct is None:
        raise KeyError(account_id)
    now = acct.bundle.collected_at
    context = {"aws:TokenIssueTime": now.isoformat().replace("+00:00", "Z")}
    inventory = _inventory(index, account_id)
    own = [arn for arn in (*acct.users, *acct.roles) if arn.split(":")[4:5] == [account_id]]  # GAAD is one account's
    askers = {arn: _Asker(index, arn, context, now) for arn in own}
    admins = {arn for arn, a in askers.items() if is_admin(a.ask_own)}
    inventory = replace(inventory, admin_roles=frozenset(r for r in inventory.roles if r in admins))
    methods = {arn: () if arn in admins else tuple(escalation_methods(a.ask, inventory, arn, a.witnesses,
                                                                      named=a.named, might=a.might))
               for arn, a in askers.items()}
    chains = _chains(askers, inventory, admins, methods)
    external = _external_reach(index, account_id, askers, now)
    reports = []
    for arn in askers:
        entity = acct.users.get(arn) or acct.roles.get(arn) or {}
        boundary = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        trust = askers[arn].trust
        who = tuple(dict.fromkeys(f"{kind}:{v}" for st in (trust.statements if trust else ()) if st.is_allow
                                  for kind, values in (st.principals or {}).items() for v in values))
        last = (entity.get("RoleLastUsed") or {}).get("LastUsedDate")
        reach = external.get(arn, ())
        reports.append(PrincipalReport(arn, "user" if arn in acct.users else "role", arn in admins, methods[arn],
                                       boundary, ":role/aws-service-role/" in arn, chains.get(arn, ()),
                                       _admin_how(askers[arn]) if arn in admins else None, reach,
                                       bool(reach) and (arn in admins or bool(methods[arn]) or arn in chains),
                                       str(last) if last else None, who))
    return reports


_SOME_ACCOUNT = "arn:aws:iam::000000000000:root"  # stands for "any AWS principal" ("*" in a trust policy)
_ASSUMED_IDENTITY = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole*", "Resource": "*"}]}


def _external_reach(index: EvidenceIndex, account_id: str, askers: dict[str, _Asker],
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


def _admin_how(asker: _Asker) -> str:
    """"group <name>" when the identity statement allowing the first IAM write is a group's, else "direct"."""
    refs = [r for r in asker.ask(ADMIN_PROBES[0], "*", False).statements if r.policy_type == "identity"]
    name = refs[0].policy if refs else ""
    return f"group {name.rsplit('(group ', 1)[1].rstrip(')')}" if "(group " in name else "direct"


def _trust_index(askers: dict[str, _Asker], inventory: Inventory) -> dict[str, set[str]]:
    """AWS principal value named in a role's trust policy -> roles ("*" and account roots under "*": any
    principal of the account whose identity policies allow sts:AssumeRole). Only a candidate filter: the
    evaluator decides each edge."""
    out: dict[str, set[str]] = {}
    for role in inventory.roles:
        asker = askers.get(role)
        trust = asker.trust if asker is not None else None
        if trust is None:
            continue
        for st in trust.statements:
            for value in (st.principals or {}).get("AWS", ()):
                key = "*" if value == "*" or value.endswith(":root") or value.isdigit() else value
                out.setdefault(key, set()).add(role)
    return out


def _chains(askers: dict[str, _Asker], inventory: Inventory, admins: set[str],
            methods: dict[str, tuple[Method, ...]]) -> dict[str, tuple[str, ...]]:
    """Shortest "can become" chains (breadth-first) to an administrator or an escalating principal."""
    trusts = _trust_index(askers, inventory)
    order = {r: i for i, r in enumerate(inventory.roles)}
    edges: dict[str, list[str]] = {}
    for arn, asker in askers.items():
        p = asker.base.principal
        named = {r for form in p.forms for r in trusts.get(form, ())}
        if any(st.allow and st.actions.match("sts:assumerole") for pol in asker.base.identity
               for st in pol.candidates("sts:assumerole")):
            named |= set(trusts.get("*", ()))
        nxt = [r for r in sorted(named, key=order.__getitem__) if r != arn
               and asker.ask("sts:AssumeRole", r, True).allowed]
        nxt += [res for m in methods[arn] for a, res, _ in m.grants if a.lower() == "iam:passrole"]
        edges[arn] = list(dict.fromkeys(nxt))
    goal = {a for a in askers if a in admins or methods[a]}
    out: dict[str, tuple[str, ...]] = {}
    for start in askers:
        if start in goal:
            continue
        seen, frontier = {start}, [(start,)]
        while frontier and start not in out:
            step = []
            for chain in frontier:
                for role in edges.get(chain[-1], ()):
                    if role in seen:
                        continue
                    seen.add(role)
                    if role in goal:
                        out[start] = (*chain[1:], role)
                        break
                    step.append((*chain, role))
                if start in out:
                    break
            frontier = step
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
        status = "ADMIN" if r["admin"] else "ESCALATES" if r["escalation"] else "CHAIN" if r["chain"] else "-"
        how = ", ".join(m["method"] for m in r["escalation"]) or " -> ".join(c.rsplit("/", 1)[-1] for c in r["chain"])
        print(f"{status:9} {r['arn']}" + (f"  ({how})" if how else ""))
    return 0
