"""Cross-account reach: who outside an account can assume its roles, and whether an external principal can
reach an admin-equivalent role, directly or through a chain of role assumptions inside the organization.

Evidence: GAAD of every account bundle of the run (role trust policies, identity policies, permissions
boundaries) and the organization's account list. Trust policies are read with
:func:`iamkit.policy.analyze_trust_policy`; decisions come from the policy evaluator
(:func:`iamkit.policy.engine.decide`) through :func:`iamkit.assume.can_assume` and :func:`iamkit.assume.enters`.

Who can assume a role (:func:`reach_table`), per trusted principal outside the role's account:

* ``external``: anyone (``Principal: *`` not restricted to this organization by ``aws:PrincipalOrgID`` or
  ``aws:PrincipalAccount``), an account or principal outside the organization, or a web-identity/SAML
  identity provider (except IAM Identity Center's ``AWSSSO_`` SAML provider: ``identity_center``).
* ``organization``: an account or principal of the organization (or ``*`` restricted to it).
* ``service``: an AWS service principal (acts for the account itself; no edge in the graph).

The graph: an edge from role S to role T when T's trust names S's ARN, S's account (root) or the organization,
and the policy evaluator (:func:`iamkit.assume.can_assume`) allows S ``sts:AssumeRole`` on T with S's identity
policies and boundary, the SCP chain of S's account (an SCP denying sts:AssumeRole in account A cuts every hop
out of A), the RCP chain of T's account and T's trust policy. External principals enter at the roles whose
trust names them, unless the RCP chain of the role's account keeps them out (:func:`iamkit.assume.enters`); a
breadth-first walk gives the shortest chain to every role they can reach. Conditions the evidence cannot
decide (``sts:ExternalId``) are assumed to hold, and the session is taken to carry MFA, so neither hides a hop
(over-report, never under).

``iam.role.external_admin_reach``: one finding per administrator role (the evaluator's effective
administrators, :func:`iamkit.checks.privilege.principal_admin`; service-linked and Identity Center roles
excluded): FAIL when an
external principal reaches it, naming the chain and each hop's trust conditions (an ``sts:ExternalId`` or MFA
condition is listed, not taken as a barrier: the external party holds it); ERROR when the role can be
reached from an account of the organization whose evidence is not in the run (it could be reachable from
outside through that account); PASS otherwise. An account without admin-equivalent roles gets one PASS on
its root ARN saying so.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from iamkit.assume import Identity, can_assume, enters
from iamkit.authz import EvidenceIndex
from iamkit.checks.privilege import principal_admin
from iamkit.checks.registry import CheckContext, check
from iamkit.evidence import ORG_POLICIES, ORG_TARGETS, atomic_write
from iamkit.findings import Finding, Status
from iamkit.model import AUTHORIZATION_DETAILS, AccountModel
from iamkit.policy import PolicyError, TrustEntry, analyze_trust_policy
from iamkit.reads import Memo

POSITIVE_OPS = ("stringequals", "stringlike", "stringequalsignorecase", "foranyvalue:stringequals",
                "foranyvalue:stringlike")
SSO_SAML = ":saml-provider/AWSSSO_"


@dataclass(frozen=True)
class Trust:
    """One trusted principal of a role, classified for the reach graph."""

    role_arn: str
    role_account: str
    principal: str
    kind: str  # any | account | principal | service | federated | canonical_user
    scope: str  # external | organization | same_account | service | identity_center
    accounts: frozenset[str]  # accounts whose principals this entry admits (account/principal/org-any)
    principal_arn: str | None  # a named role/user ARN
    conditions: str  # condition summary ("" when none)

    def label(self) -> str:
        who = {"any": "anyone (Principal *)", "federated": f"identity provider {self.principal}",
               "service": f"service {self.principal}"}.get(self.kind, self.principal)
        return who + (f" [conditions: {self.conditions}]" if self.conditions else "")


@dataclass
class Graph:
    trust: dict[str, list[Trust]] = field(default_factory=dict)  # role arn -> its trust entries
    reached: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # role -> (previous role, how)
    maybe: dict[str, str] = field(default_factory=dict)  # role -> account without evidence it can be reached from
    missing_accounts: set[str] = field(default_factory=set)
    unreadable: dict[str, str] = field(default_factory=dict)  # role arn -> why its trust policy could not be read


# -- trust classification ---------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def _entries(text: str) -> tuple[TrustEntry, ...]:
    return tuple(analyze_trust_policy(json.loads(text)))


def _org_scope(e: TrustEntry, org_id: str, org_accounts: frozenset[str]) -> frozenset[str] | None:
    """The organization accounts a ``*`` principal is restricted to by a positive condition, or None."""
    for op, block in e.conditions.items():
        if op.lower() not in POSITIVE_OPS:
            continue
        for key, values in block.items():
            vals = {str(v) for v in (values if isinstance(values, list | tuple) else [values])}
            if key.lower() == "aws:principalorgid" and org_id and vals == {org_id}:
                return org_accounts
            if key.lower() == "aws:principalaccount" and vals and vals <= org_accounts:
                return frozenset(vals)
    return None


def classify(role_arn: str, account_id: str, doc: dict[str, Any], org_id: str,
             org_accounts: frozenset[str]) -> list[Trust]:
    """The trust entries of one role (raises PolicyError for a malformed trust policy)."""
    out = []
    inside = org_accounts | {account_id}
    for e in _entries(json.dumps(doc, sort_keys=True)):
        accounts: frozenset[str] = frozenset()
        arn = None
        if e.principal_kind == "service":
            scope = "service"
        elif e.principal_kind == "federated":
            scope = "identity_center" if SSO_SAML in (e.provider or "") else "external"
        elif e.principal_kind == "any":
            restricted = _org_scope(e, org_id, inside)
            scope, accounts = ("organization", restricted) if restricted else ("external", frozenset())
        elif e.account_id and e.account_id in inside:
            scope = "same_account" if e.account_id == account_id else "organization"
            accounts = frozenset({e.account_id})
            arn = e.principal if e.principal_kind == "principal" else None
        else:
            scope = "external"
        out.append(Trust(role_arn, account_id, e.principal, e.principal_kind, scope, accounts, arn,
                         e.condition_summary or ""))
    return out


# -- the organization graph -------------------------------------------------------------------------------
_GRAPHS = Memo()


def _models(ctx: CheckContext) -> dict[str, AccountModel]:
    models = {ctx.account.account_id: ctx.account}
    if ctx.org is not None:
        for aid, bundle in ctx.org.account_bundles.items():
            if aid not in models:
                models[aid] = AccountModel(bundle, org=ctx.org, trusted_account_ids=ctx.settings.trusted_account_ids,
                                           known_vendor_accounts=ctx.settings.known_vendor_accounts)
    return models


def _key(models: dict[str, AccountModel]) -> tuple[str, ...]:
    return tuple(sorted(str(m.bundle.path) for m in models.values()))


def graph(ctx: CheckContext) -> Graph:
    """The reach graph over every account bundle of the run: built once per organization model (or account
    model, without organization evidence) and set of bundles, or loaded by :func:`load_graph`."""
    owner = ctx.org if ctx.org is not None else ctx.account
    models = _models(ctx)
    return _GRAPHS.get(owner, _key(models), lambda: _build(ctx, models))


# -- the graph saved beside the run's findings ------------------------------------------------------------
#: in a run's ``accounts/`` folder: the graph the assessment stage built, for notebook 03 of every account
GRAPH_FILE = "reach-graph.json"


def _stamp(ctx: CheckContext, models: dict[str, AccountModel]) -> dict[str, str]:
    """What the graph was built from: each account bundle's and the organization bundle's collection time."""
    out = {aid: m.bundle.collected_at.isoformat() for aid, m in models.items()}
    if ctx.org is not None:
        out["organization"] = ctx.org.bundle.collected_at.isoformat()
    return out


def save_graph(ctx: CheckContext, path: Path) -> None:
    """Write the run's graph (:func:`graph`, built once by the assessment) for the notebooks: notebook 03 of
    each account would otherwise build the organization-wide graph again, reading every account's bundle
    (a cost that grows with the run: N accounts, N graphs)."""
    g, models = graph(ctx), _models(ctx)
    doc = {"built_from": _stamp(ctx, models),
           "trust": {arn: [{**asdict(t), "accounts": sorted(t.accounts)} for t in ts] for arn, ts in g.trust.items()},
           "reached": g.reached, "maybe": g.maybe, "missing_accounts": sorted(g.missing_accounts),
           "unreadable": g.unreadable}
    atomic_write(path, json.dumps(doc, sort_keys=True).encode())


def load_graph(ctx: CheckContext, path: Path) -> bool:
    """Serve :func:`graph` for this context from ``path`` when it was built from the same bundles (same
    accounts, same collection times); False (and nothing changed) when there is no such file or it is stale."""
    models = _models(ctx)
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return False
    if doc.get("built_from") != _stamp(ctx, models):
        return False
    g = Graph(trust={arn: [Trust(**{**t, "accounts": frozenset(t["accounts"])}) for t in ts]
                     for arn, ts in doc["trust"].items()},
              reached={arn: (prev, how) for arn, (prev, how) in doc["reached"].items()}, maybe=doc["maybe"],
              missing_accounts=set(doc["missing_accounts"]), unreadable=doc["unreadable"])
    _GRAPHS.put(ctx.org if ctx.org is not None else ctx.account, _key(models), g)
    return True


def _build(ctx: CheckContext, models: dict[str, AccountModel]) -> Graph:
    org_id = ctx.org.organization_id if ctx.org is not None else ""
    org_accounts = ctx.account.org_account_ids()
    g = Graph(missing_accounts=set(org_accounts) - set(models))
    by_account: dict[str, list[str]] = {}  # account -> roles trusting principals of that account
    by_principal: dict[str, list[str]] = {}
    seeds, maybe_seeds = [], []
    for aid, acct in models.items():
        for arn, doc in zip(acct.roles["arn"], acct.roles["trust_policy"], strict=True):
            try:
                entries = classify(arn, aid, doc, org_id, org_accounts)
            except PolicyError as exc:  # the trust checks say ERROR for the role; reach cannot be decided through it
                g.unreadable[arn] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                continue
            g.trust[arn] = entries
            for t in entries:
                if t.scope == "external":
                    seeds.append((arn, t.label(), t))
                for a in t.accounts:
                    if t.principal_arn:
                        by_principal.setdefault(t.principal_arn, []).append(arn)
                    else:
                        by_account.setdefault(a, []).append(arn)
                    if a in g.missing_accounts:
                        maybe_seeds.append((arn, a))
    identities = {aid: Identity(m) for aid, m in models.items()}
    owner = {arn: aid for aid, m in models.items() for arn in m.roles["arn"]}
    org_bundle = ctx.org.bundle if ctx.org is not None else None
    if org_bundle is not None and not (org_bundle.has(ORG_POLICIES) and org_bundle.has(ORG_TARGETS)):
        org_bundle = None  # SCPs/RCPs unreadable: hops decided without them (over-report, never hide a path)
    index = EvidenceIndex([m.bundle for m in models.values()], org_bundle)
    seeds = [(arn, how) for arn, how, t in seeds if enters(index, t.role_account, t.role_arn, t.kind, t.principal)]
    g.reached = _walk(index, seeds, by_account, by_principal, identities, owner, g.trust)
    g.maybe = {arn: how for arn, (_, how) in _walk(index, maybe_seeds, by_account, by_principal, identities, owner,
                                                   g.trust).items()}
    return g


def _walk(index, seeds, by_account, by_principal, identities, owner, trust) -> dict[str, tuple[str | None, str]]:  # noqa: ANN001
    """Breadth-first: role -> (previous role or None, how it was entered), shortest chains first."""
    reached: dict[str, tuple[str | None, str]] = {}
    queue: deque[str] = deque()
    for arn, how in seeds:
        if arn not in reached:
            reached[arn] = (None, how)
            queue.append(arn)
    while queue:
        src = queue.popleft()
        aid = owner.get(src)
        if aid is None:
            continue
        for tgt in dict.fromkeys(by_principal.get(src, []) + by_account.get(aid, [])):
            if tgt in reached or tgt == src:
                continue
            named = [t for t in trust.get(tgt, []) if t.principal_arn == src]
            direct = any(t.role_account == aid for t in named)
            if can_assume(index, identities[aid], src, tgt, direct=direct):
                conds = "; ".join(t.conditions for t in trust.get(tgt, []) if t.conditions and aid in t.accounts)
                reached[tgt] = (src, f"assumes it{f' [conditions: {conds}]' if conds else ''}")
                queue.append(tgt)
    return reached


def chain(g: Graph, role_arn: str) -> str:
    """The shortest chain from an external principal to ``role_arn`` ("" when none)."""
    if role_arn not in g.reached:
        return ""
    hops, cur = [], role_arn
    while cur is not None:
        prev, how = g.reached[cur]
        hops.append(f"{cur}" if prev is None else f"{how} {cur}")
        if prev is None:
            hops.append(how)
        cur = prev
    hops.reverse()
    return hops[0] + " -> " + " -> ".join(hops[1:])


# -- tables and the check ---------------------------------------------------------------------------------
def reach_table(ctx: CheckContext) -> pd.DataFrame:
    """One row per (role of this account, trusted principal outside the account): role_arn, role_name, principal,
    kind, scope, conditions, admin, externally_reachable, chain."""
    acct, g = ctx.account, graph(ctx)
    admin = admin_roles(acct, ctx.org)
    rows = []
    for arn, name in zip(acct.roles["arn"], acct.roles["role_name"], strict=True):
        for t in g.trust.get(arn, []):
            if t.scope == "same_account":
                continue
            rows.append({"role_arn": arn, "role_name": name, "principal": t.principal, "kind": t.kind,
                         "scope": t.scope, "conditions": t.conditions, "admin": arn in admin,
                         "externally_reachable": arn in g.reached, "chain": chain(g, arn)})
    return pd.DataFrame(rows, columns=["role_arn", "role_name", "principal", "kind", "scope", "conditions", "admin",
                                       "externally_reachable", "chain"])


def admin_roles(acct: AccountModel, org: Any = None) -> set[str]:
    """Effective administrator roles (:func:`principal_admin` with the organization model ``org``), except
    service-linked and IAM Identity Center roles. A role whose own policies make it administrator but whose SCP
    chain cannot be read counts (over-report, never hide a path to an administrator)."""
    pa = principal_admin(acct, org)
    roles = acct.roles
    skip = set(roles.loc[roles["is_service_linked"] | roles["is_sso_provisioned"], "arn"])
    return {a for a, t, adm, err, pols in zip(pa["principal_arn"], pa["principal_type"], pa["is_admin"], pa["error"],
                                              pa["policies"], strict=True)
            if t == "role" and (adm or (err and pols)) and a not in skip}


@check("iam.role.external_admin_reach")
def external_admin_reach(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    admin = admin_roles(acct, ctx.org)
    if not admin:
        yield ctx.finding(Status.PASS, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                          evidence=[acct.ref(AUTHORIZATION_DETAILS, "RoleDetailList")],
                          detail="No role of the account is an effective administrator (its own policies and "
                                 "boundary, and the SCP chain where it applies), so no external principal can reach "
                                 "an admin role here.")
        return
    g = graph(ctx)
    names = dict(zip(acct.roles["arn"], acct.roles["role_name"], strict=True))
    for arn in sorted(admin):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"RoleDetailList[RoleName={names[arn]}].AssumeRolePolicyDocument")]
        if arn in g.reached:
            path = chain(g, arn)
            hops = path.count(" -> ")
            how = "directly" if hops == 1 else f"through a chain of {hops - 1} role assumption(s)"
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamRole", evidence=ev,
                              detail=f"Admin-equivalent role {names[arn]} can be reached from outside the "
                                     f"organization {how}: {path}.")
        elif arn in g.maybe:
            yield ctx.error(f"admin-equivalent role {names[arn]} can be reached from account {g.maybe[arn]} of the "
                            "organization, whose evidence is not in this run (it may be reachable from outside "
                            "through it)", resource_arn=arn, resource_type="AwsIamRole")
        elif g.unreadable:
            roles = ", ".join(sorted(r.rsplit("/", 1)[-1] for r in g.unreadable)[:5])
            yield ctx.error(f"reach of admin-equivalent role {names[arn]} cannot be decided: the trust policy of "
                            f"{len(g.unreadable)} role(s) ({roles}) could not be read", resource_arn=arn,
                            resource_type="AwsIamRole")
        else:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamRole", evidence=ev,
                              detail=f"No external principal can reach admin-equivalent role {names[arn]}, directly or "
                                     f"through role chains inside the {'organization' if ctx.org else 'account'}.")
