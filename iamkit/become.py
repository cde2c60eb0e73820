"""The "can become" graph of an account's principals: who can assume which role (sts:AssumeRole, decided by the
evaluator with the principal's own policies, boundary and SCP chain and the role's trust policy), and the shortest
chains to a set of goal principals (administrators, escalating principals, or roles whose permissions cannot be
judged). Used by :mod:`iamkit.principals`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iamkit.admins import Asker
from iamkit.policy.conditions import key_result
from iamkit.policy.escalation import Inventory
from iamkit.policy.matching import UNKNOWN

__all__ = ["chains", "trust_index", "named_filter"]


def trust_index(askers: dict[str, Any], inventory: Inventory) -> dict[str, set[str]]:
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


def _plain_trust(asker: Any) -> bool:
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


def named_filter(asker: Asker, trusts: dict[str, set[str]]) -> Callable[[str, str], bool]:
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


def chains(askers: dict[str, Asker], trusts: dict[str, Any], inventory: Inventory, goal: set[str],
            skip: set[str] | frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """Shortest "can become" chains (sts:AssumeRole) to a principal of ``goal`` (administrators and escalating
    principals; or roles whose permissions cannot be judged) from the principals of ``askers`` not in ``skip``:
    one breadth-first walk backwards from the goals, so each principal is reached once. ``trusts``: role ->
    holder of its parsed ``trust`` policy. Among chains of the same length the one whose roles come first in the
    evidence's order wins. Principals that decide alike (:func:`_classes`) are asked once per role with a plain
    trust policy, so the work grows with roles x distinct permission sets, not roles x principals. (A principal
    with an escalation method is a goal itself, so roles it could pass to a service add no chain.)"""
    named_in = trust_index(trusts, inventory)
    order = {r: i for i, r in enumerate(inventory.roles)}
    out_of = goal | skip
    owner = {form: arn for arn, a in askers.items() for form, cat in a.base.principal.forms.items()
             if cat != "account"}
    named: dict[str, list[str]] = {}  # role -> principals its trust names by ARN
    for key, roles in named_in.items():
        if key != "*" and owner.get(key) is not None:
            for role in roles:
                named.setdefault(role, []).append(owner[key])
    open_roles = named_in.get("*", set())
    classes = _classes(askers, out_of)
    nxt: dict[str, str] = {}

    def can(p: str, t: str) -> bool:
        return p not in out_of and p not in nxt and p != t and askers[p].ask("sts:AssumeRole", t, True).allowed

    frontier = [r for r in inventory.roles if r in goal]
    while frontier:
        new: list[str] = []
        for t in frontier:
            hits = [p for p in named.get(t, ()) if can(p, t)]
            if t in open_roles:
                shared = _plain_trust(trusts.get(t))
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


