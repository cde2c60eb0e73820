"""Effective administrators of an account, decided by the policy evaluator.

A principal (IAM user or role; a group's members through their users) is **administrator** when its own
identity policies (incl. its groups') and its permissions boundary allow every request of
:data:`iamkit.policy.escalation.ADMIN_PROBES` on ``*`` (full IAM write: it can grant itself anything), as
:func:`iamkit.policy.engine.decide` answers them (:meth:`Asker.ask_own`). A Deny in any of its policies, a
boundary that does not allow a probe, or a condition that does not hold (or cannot be decided from the
evidence) takes admin away; ``NotAction`` and wildcards are matched as AWS matches them. SCPs are left out of
this question on purpose: they cap every principal of the account alike (the guardrail checks judge them), so
the administrators are the principals holding all that the organization lets anyone in the account hold.
This is the notion :mod:`iamkit.principals` (escalation) uses too.

:func:`admin_verdicts` gives one :class:`AdminVerdict` per user and role (computed once per account bundle);
:func:`policy_grants_admin` judges one policy document on its own (``iam.policy.full_admin_attached``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from iamkit.authz import EvidenceIndex, request_from_evidence
from iamkit.errors import EvidenceError
from iamkit.policy.document import PolicyError, parse_policy
from iamkit.policy.engine import Decision, Request, decide
from iamkit.policy.escalation import ADMIN_PROBES
from iamkit.policy.intake import request_from_mapping
from iamkit.reads import Memo

__all__ = ["AdminVerdict", "Asker", "admin_verdicts", "policy_grants_admin"]


class Asker:
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


@dataclass(frozen=True, slots=True)
class AdminVerdict:
    arn: str
    type: str  # user | role
    name: str
    admin: bool
    how: str | None = None  # administrators: "direct" or "group <name>"
    grants: tuple[str, ...] = ()  # administrators: the policies whose statements allow the probes
    boundary: str | None = None  # the permissions boundary's name (considered in every decision)
    #: not administrators although their own Allows name every probe: why the evaluator refuses one of them
    #: (the Deny and its policy, or the boundary that does not allow it)
    cut_by: str = ""
    error: str = ""  # why the question could not be decided (missing or malformed policy): ERROR, never "no"

    def as_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "type": self.type, "name": self.name, "admin": self.admin, "how": self.how,
                "grants": list(self.grants), "boundary": self.boundary, "cut_by": self.cut_by, "error": self.error}


def _verdict(asker: Asker, arn: str, kind: str, name: str, boundary: str | None) -> AdminVerdict:
    decisions = [asker.ask_own(action, "*", False) for action in ADMIN_PROBES]
    if all(d.allowed for d in decisions):
        grants = tuple(dict.fromkeys(s.policy for d in decisions for s in d.statements if s.policy_type == "identity"))
        via = next((g for g in grants if "(group " in g), None)
        how = f"group {via.rsplit('(group ', 1)[1].rstrip(')')}" if via else "direct"
        return AdminVerdict(arn, kind, name, True, how, grants, boundary)
    looks = all(asker.might(action) for action in ADMIN_PROBES)
    cut = next((d.reason for d in decisions if not d.allowed), "") if looks else ""
    return AdminVerdict(arn, kind, name, False, boundary=boundary, cut_by=cut)


def _compute(index: EvidenceIndex, account_id: str) -> dict[str, AdminVerdict]:
    acct = index.account(account_id)
    if acct is None:
        raise KeyError(account_id)
    now = acct.bundle.collected_at
    context = {"aws:TokenIssueTime": now.isoformat().replace("+00:00", "Z")}
    out: dict[str, AdminVerdict] = {}
    for arn, entity in (*acct.users.items(), *acct.roles.items()):
        if arn.split(":")[4:5] != [account_id]:
            continue
        kind = "user" if ":user/" in arn else "role"
        name = entity.get("UserName") or entity.get("RoleName") or arn.rsplit("/", 1)[-1]
        barn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = (acct.policies.get(barn) or {}).get("PolicyName", barn) if barn else None
        try:
            out[arn] = _verdict(Asker(index, arn, context, now), arn, kind, name, boundary)
        except (EvidenceError, PolicyError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, PolicyError):
                why = f"a policy that applies to it is malformed ({why})"
            out[arn] = AdminVerdict(arn, kind, name, False, boundary=boundary, error=why)
    return out


_VERDICTS = Memo()


def admin_verdicts(index: EvidenceIndex, account_id: str) -> dict[str, AdminVerdict]:
    """User/role ARN -> :class:`AdminVerdict` for the account (computed once per bundle object)."""
    bundle = index.bundles[account_id]
    return _VERDICTS.get(bundle, account_id, lambda: _compute(EvidenceIndex([bundle], None), account_id))


_PROBE_PRINCIPAL = "arn:aws:iam::{account}:user/iamkit-policy-probe"
_PROBE_TIME = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


@lru_cache(maxsize=65536)
def _grants_admin(text: bytes, account_id: str) -> bool:
    doc = orjson.loads(text)
    base = request_from_mapping({"principal": _PROBE_PRINCIPAL.format(account=account_id),
                                 "action": ADMIN_PROBES[0], "identity_policies": [{"name": "p", "document": doc}]},
                                "policy", _PROBE_TIME)
    return all(decide(replace(base, action=action, optimistic=True)).allowed for action in ADMIN_PROBES)


def policy_grants_admin(document: Any, account_id: str) -> bool:
    """Does this one policy, attached to a principal with nothing else, make it administrator (every admin
    probe allowed on ``*``; a condition counts as holding: the policy *can* grant it)? Raises PolicyError for a
    malformed document."""
    return _grants_admin(orjson.dumps(document, option=orjson.OPT_SORT_KEYS), account_id)
