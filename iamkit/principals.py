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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from iamkit.admins import Asker, admin_verdicts
from iamkit.authz import EvidenceIndex, request_from_evidence
from iamkit.policy.conditions import key_result
from iamkit.policy.engine import decide
from iamkit.policy.escalation import Inventory, Method, escalation_methods
from iamkit.policy.intake import request_from_mapping
from iamkit.policy.matching import UNKNOWN
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


def _inventory(index: EvidenceIndex, account_id: str) -> Inventory:
    acct = index.account(account_id)
    assert acct is not None
    roles = tuple(acct.roles)
    services = sorted({s for p in escalation_paths() for s in p.passes_role_to})
    trusts: dict[str, frozenset[str]] = {}
    seen: dict[tuple[bytes, str], bool] = {}  # roles sharing a trust policy share the answer (see below)
    for role in roles:
        ok = set()
        for service in services:
            raw = request_from_evidence(index, service, "sts:AssumeRole", role, {"aws:SourceAccount": account_id})
            # a trust policy has no Resource element, so without RCPs (which may name the role) the role's ARN
            # cannot change the answer: decide once per (trust policy, service)
            key = None if "rcps" in raw else (orjson.dumps((raw.get("resource_policy") or {}).get("document"),
                                                           option=orjson.OPT_SORT_KEYS), service)
            allowed = seen.get(key) if key is not None else None
            if allowed is None:
                allowed = decide(replace(request_from_mapping(raw, f"trust of {role}", acct.bundle.collected_at),
                                         optimistic=True)).allowed
                if key is not None:
                    seen[key] = allowed
            if allowed:
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
    askers = {arn: Asker(index, arn, context, now) for arn in own}
    verdicts = admin_verdicts(index, account_id)
    admins = {arn for arn in askers if verdicts[arn].admin}
    inventory = replace(inventory, admin_roles=frozenset(r for r in inventory.roles if r in admins))
    trusts = _trust_index(askers, inventory)
    methods = {arn: () if arn in admins else tuple(escalation_methods(a.ask, inventory, arn, a.witnesses,
                                                                      named=_named(a, trusts), might=a.might))
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
                                       verdicts[arn].how, reach,
                                       bool(reach) and (arn in admins or bool(methods[arn]) or arn in chains),
                                       str(last) if last else None, who))
    return reports


_SOME_ACCOUNT = "arn:aws:iam::000000000000:root"  # stands for "any AWS principal" ("*" in a trust policy)
_ASSUMED_IDENTITY = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole*", "Resource": "*"}]}


def _external_reach(index: EvidenceIndex, account_id: str, askers: dict[str, Asker],
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


def _trust_index(askers: dict[str, Asker], inventory: Inventory) -> dict[str, set[str]]:
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
            if st.is_allow and st.not_principals is not None:  # Allow NotPrincipal: nearly anyone
                out.setdefault("*", set()).add(role)
            for value in (st.principals or {}).get("AWS", ()):
                key = "*" if value == "*" or value.endswith(":root") or value.isdigit() else value
                out.setdefault(key, set()).add(role)
    return out


_ASSUME = "sts:assumerole"


def _key_state(k: Any, ctx: Any) -> bool | None:
    """One condition key's result for this context (None: cannot be decided), as the evaluator gets it."""
    present = ctx.get(k.key)
    if k.parsed is None or present is UNKNOWN or any(ctx.get(v) is UNKNOWN for v in k.variables):
        return None
    return key_result(k.parsed, k.values, present, ctx.values)


def _signature(policies: Any, ctx: Any) -> tuple[bool | None, ...] | None:
    """What in these policies' statements that can match sts:AssumeRole depends on who asks: the result of
    each condition key in the principal's context (principals of one kind and account differ only in keys such
    as aws:PrincipalArn, aws:username, tags; target-dependent keys move alike for all of them). None when a
    Resource holds a policy variable or a statement names principals: then only the principal itself decides."""
    sig: list[bool | None] = []
    for pol in policies:
        for st in pol.candidates(_ASSUME):
            if not st.actions.match(_ASSUME):
                continue
            if (st.resources is not None and any("${" in x for x in st.resources.patterns)) or \
                    st.not_principal is not None or (st.principal is not None and st.principal.aws - {"*"}):
                return None
            sig += [_key_state(k, ctx) for k in st.conditions]
    return tuple(sig)


def _plain_trust(asker: Asker | None) -> bool:
    """The role's trust policy names no principal ARN of the account and has no condition or NotPrincipal:
    it lets in any principal of the account or none, whoever asks."""
    trust = asker.trust if asker is not None else None
    return trust is not None and all(
        not st.conditions and st.not_principals is None
        and all(v == "*" or v.endswith(":root") or v.isdigit() for v in (st.principals or {}).get("AWS", ()))
        for st in trust.statements)


def _classes(askers: dict[str, Asker], goal: set[str]) -> list[tuple[bool, list[str]]]:
    """Principals (not goals) some identity Allow of which names sts:AssumeRole, grouped by what decides an
    assumption: kind, account, the compiled identity policies and boundary, and the :func:`_signature` of
    everything that can match sts:AssumeRole (identity, boundary, SCPs, RCPs) in their context. (plain,
    members): a plain class's members all get the same answer for a role with a plain trust policy."""
    groups: dict[Any, list[str]] = {}
    plain: dict[Any, bool] = {}
    for arn, asker in askers.items():
        base = asker.base
        if arn in goal or not _names_assume(asker):
            continue
        p = base.principal
        pols = [*base.identity, *([base.boundary] if base.boundary else []),
                *(pol for lvl in (*(base.scps or ()), *(base.rcps or ())) for pol in lvl.policies)]
        sig = _signature(pols, base.context)
        key: Any = (p.kind, p.service_linked, p.account, tuple(id(pol.statements) for pol in base.identity),
                    id(base.boundary.statements) if base.boundary is not None else None, sig) \
            if sig is not None else ("alone", arn)
        plain[key] = sig is not None
        groups.setdefault(key, []).append(arn)
    return [(plain[k], members) for k, members in groups.items()]


def _names_assume(asker: Asker) -> bool:
    """Some identity Allow of the principal names sts:AssumeRole."""
    return any(st.allow and st.actions.match(_ASSUME) for pol in asker.base.identity
               for st in pol.candidates(_ASSUME))


def _named(asker: Asker, trusts: dict[str, set[str]]) -> Callable[[str, str], bool]:
    """:meth:`Asker.named`, and for sts:AssumeRole* a cheap filter on the target role's trust policy: it names
    the principal itself, or (``*``: any principal, an account) lets identity policies decide and one of the
    principal's names sts:AssumeRole. The evaluator decides what passes; without the filter every principal
    would be asked about every administrator role (principals x roles)."""
    direct = set().union(*(trusts.get(form, ()) for form in asker.base.principal.forms))
    delegated = trusts.get("*", set()) if _names_assume(asker) else set()

    def named(action: str, resource: str) -> bool:
        if action.lower().startswith("sts:assumerole"):
            return resource in direct or resource in delegated
        return asker.named(action, resource)

    return named


def _chains(askers: dict[str, Asker], inventory: Inventory, admins: set[str],
            methods: dict[str, tuple[Method, ...]]) -> dict[str, tuple[str, ...]]:
    """Shortest "can become" chains (sts:AssumeRole) to an administrator or an escalating principal: one
    breadth-first walk backwards from those goals, so each principal is reached once. Among chains of the
    same length the one whose roles come first in the evidence's order wins. Principals that decide alike
    (:func:`_classes`) are asked once per role with a plain trust policy, so the work grows with roles x
    distinct permission sets, not roles x principals. (A principal with an escalation method is a goal
    itself, so roles it could pass to a service add no chain.)"""
    trusts = _trust_index(askers, inventory)
    order = {r: i for i, r in enumerate(inventory.roles)}
    goal = {a for a in askers if a in admins or methods[a]}
    owner = {form: arn for arn, a in askers.items() for form, cat in a.base.principal.forms.items()
             if cat != "account"}
    named: dict[str, list[str]] = {}  # role -> principals its trust names by ARN
    for key, roles in trusts.items():
        if key != "*" and owner.get(key) is not None:
            for role in roles:
                named.setdefault(role, []).append(owner[key])
    open_roles = trusts.get("*", set())
    classes = _classes(askers, goal)
    nxt: dict[str, str] = {}

    def can(p: str, t: str) -> bool:
        return p not in goal and p not in nxt and p != t and askers[p].ask("sts:AssumeRole", t, True).allowed

    frontier = [r for r in inventory.roles if r in goal]
    while frontier:
        new: list[str] = []
        for t in frontier:
            hits = [p for p in named.get(t, ()) if can(p, t)]
            if t in open_roles:
                shared = _plain_trust(askers.get(t))
                for i, (plain, members) in enumerate(classes):
                    if plain and shared:
                        rep = next((m for m in members if m not in nxt and m != t), None)
                        if rep is not None and can(rep, t):
                            hits += [m for m in members if m not in nxt and m != t]
                            classes[i] = (plain, [])
                    else:
                        hits += [m for m in members if can(m, t)]
            for p in dict.fromkeys(hits):
                nxt[p] = t
                new.append(p)
        frontier = sorted((p for p in new if p in order), key=order.__getitem__)
    out: dict[str, tuple[str, ...]] = {}
    for p, t in nxt.items():  # in the order of the walk: t is a goal or was given its chain before p
        out[p] = (t, *out.get(t, ()))
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
