"""Effective administrators, decided by the policy evaluator: one notion for IAM users, roles and IAM Identity
Center permission sets (:func:`judge_admin`).

A principal is **administrator** when

(a) its own identity policies (incl. its groups') and its permissions boundary allow every request of
    :data:`iamkit.policy.escalation.ADMIN_PROBES` on ``*`` (full IAM write: it can grant itself anything), as
    :func:`iamkit.policy.engine.decide` answers them: a Deny in any of its policies, a boundary that does not
    allow a probe, or a condition that does not hold (or cannot be decided from the evidence) takes admin away;
    ``NotAction`` and wildcards are matched as AWS matches them; and

(b) where an SCP chain applies to it (a member account of an organization whose SCP policy type is enabled;
    never the management account nor a service-linked role: AWS documents that SCPs affect neither), the full
    chain (identity policies + boundary + every SCP level, root > OU... > account, each of which must allow)
    still lets it write its own permissions: for a role ``iam:AttachRolePolicy`` or ``iam:PutRolePolicy`` on its
    own ARN; for a user ``iam:AttachUserPolicy`` or ``iam:PutUserPolicy`` on its own ARN, or
    ``iam:AttachGroupPolicy`` / ``iam:PutGroupPolicy`` on one of its groups. With that it can grant itself
    anything the SCPs permit, so it holds all that the organization lets anyone in the account hold: SCP denies
    on IAM writes that leave this intact (deny creating users or access keys, protect named security roles) are
    guardrails, not a cap. An SCP chain that takes it away (``Deny iam:*``, an allow-list without IAM, a Deny on
    Attach*/Put* for this principal) makes it *not* administrator, and ``cut_by`` names the SCP, its level and
    the statement. An SCP that denies those writes on the principal's own ARN only (it protects that named role
    or user from modification) while the same write on another role (user) of the account stays allowed is a
    guardrail too: the principal keeps full IAM write on the account's other roles (users), so it can give one
    it creates and becomes anything; it stays administrator and the ``scp`` note says so. A self-write the
    evidence cannot decide (a condition on a key it lacks) counts as allowed, with a note: an unknown never
    hides an administrator. Roles under ``/aws-reserved/`` (IAM Identity Center's) can be modified by nobody,
    an AWS rule rather than an SCP cap: their self-write is asked for the same role name outside that path. A
    self-write denied by its own policies alone (a Deny naming its own ARN) is no SCP cut: (a) already judged
    its own policies.

(c) Without organization evidence the SCPs are unknown: (a) alone decides and ``scp`` says "not in evidence"
    (this errs towards reporting an administrator, never a false PASS). With organization evidence whose SCP
    chain cannot be read (a missing or malformed file), the verdict is an error, never "not administrator".

:func:`admin_verdicts` gives one :class:`AdminVerdict` per user and role (computed once per account bundle and
organization bundle); :func:`documents_admin` judges policy documents held by a principal ARN (IAM Identity
Center permission sets); :func:`policy_grants_admin` judges one policy document on its own
(``iam.policy.full_admin_attached``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from iamkit.authz import EvidenceIndex, request_from_evidence
from iamkit.errors import EvidenceError
from iamkit.model import MissingEvidence, OrgModel
from iamkit.policy.document import PolicyError, parse_policy
from iamkit.policy.engine import Decision, Level, Request, decide
from iamkit.policy.escalation import ADMIN_PROBES
from iamkit.policy.intake import request_from_mapping
from iamkit.reads import Memo

__all__ = ["AdminVerdict", "Asker", "Judgement", "admin_verdicts", "documents_admin", "judge_admin",
           "policy_grants_admin", "scp_scope", "scp_short", "self_writes"]

Ask = Callable[[str, str, bool], Decision]  # (action, resource, optimistic) -> decision
SCP = "SERVICE_CONTROL_POLICY"
NOT_IN_EVIDENCE = "not in evidence (no organization bundle): SCPs unknown, decided on its own policies and boundary"
UNREADABLE = (EvidenceError, MissingEvidence, PolicyError)
#: a role (user) of the account other than the principal (none need exist): does the SCP chain protect only the
#: principal's own ARN from modification (a guardrail), or take away its writing of role (user) permissions (a cap)?
OTHER = "iamkit-any-other-principal"


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
        """As :meth:`ask`, without the SCP/RCP chains: its own identity policies and boundary only (part (a) of
        the administrator notion)."""
        if not self.might(action):
            return Decision("implicit_deny", ("identity",), reason="no identity statement names the action")
        return decide(replace(self._request(action, resource), scps=None, rcps=None, optimistic=optimistic))

    def ask_chain(self, action: str, resource: str, optimistic: bool) -> Decision:
        """As :meth:`ask`, with the SCP chain but without RCPs (which govern resources of a few services, never
        IAM): part (b) of the administrator notion."""
        if not self.might(action):
            return Decision("implicit_deny", ("identity",), reason="no identity statement names the action")
        return decide(replace(self._request(action, resource), rcps=None, optimistic=optimistic))

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
class Judgement:
    """The administrator question answered (see the module docstring)."""

    admin: bool
    grants: tuple[str, ...] = ()  # the policies whose statements allow the admin probes (its own)
    cut_by: str = ""  # not administrator although its own Allows name every probe (or the SCPs cut it): why
    scp: str = ""  # what the SCP chain did: "not in evidence ...", "do not apply (...)", "leaves it ...", "cut ..."
    error: str = ""  # why it could not be decided: ERROR, never "no"


def self_writes(arn: str, groups: Sequence[str] = ()) -> tuple[tuple[str, str], ...]:
    """The requests that write ``arn``'s own permissions (b): a role's own policies; a user's, or its groups'."""
    if ":role/" in arn:
        target = arn
        if ":role/aws-reserved/" in arn:  # nobody may modify these (an AWS rule, not an SCP): ask for the name
            target = f"{arn.split(':role/', 1)[0]}:role/{arn.rsplit('/', 1)[-1]}"
        return (("iam:AttachRolePolicy", target), ("iam:PutRolePolicy", target))
    out = [("iam:AttachUserPolicy", arn), ("iam:PutUserPolicy", arn)]
    for group in groups:
        out += [("iam:AttachGroupPolicy", group), ("iam:PutGroupPolicy", group)]
    return tuple(out)


def scp_scope(org: OrgModel | None, account_id: str, principal_arn: str) -> str:
    """"" when an SCP chain applies to the principal, else what the verdict's ``scp`` says instead. Raises
    EvidenceError/MissingEvidence when the organization evidence cannot tell."""
    if org is None:
        return NOT_IN_EVIDENCE
    if ":role/aws-service-role/" in principal_arn:
        return "do not apply (service-linked role)"
    if account_id == org.management_account_id:
        return f"do not apply (account {account_id} is the organization's management account)"
    if account_id not in set(org.accounts["id"]):
        return f"do not apply (account {account_id} is not listed in the organization evidence)"
    if not org.policy_type_enabled(SCP):
        return "do not apply (the SCP policy type is not enabled in the organization)"
    return ""


_SCP_SHORT = (("not in evidence", "not in evidence"), ("do not apply", "do not apply"),
              ("leave it its own", "leave its self-write"), ("leave it", "undecidable: counted admin"),
              ("protect it", "protect it (guardrail)"), ("do not cut", "do not cut"), ("cut", "cut"))


def scp_short(scp: str) -> str:
    """A verdict's ``scp`` note in two or three words, for tables (the whole note is in ``iamkit principals``)."""
    return next((short for prefix, short in _SCP_SHORT if scp.startswith(prefix)), scp)


def _why(exc: Exception) -> str:
    why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"a policy that applies to it is malformed ({why})" if isinstance(exc, PolicyError) else why


def judge_admin(ask_own: Ask, writes: Sequence[tuple[str, str]], org: OrgModel | None, principal_arn: str,
                chain: Callable[[], tuple[Ask, tuple[Level, ...]]],
                might: Callable[[str], bool] | None = None) -> Judgement:
    """THE administrator notion (module docstring): (a) ``ask_own`` (identity policies and boundary) allows every
    admin probe on ``*``; (b) where :func:`scp_scope` says a chain applies, ``chain()`` (its asker with the SCP
    levels, and the levels) still allows one of ``writes``. ``might``: whether some identity Allow names an
    action (only principals whose Allows name every probe get a ``cut_by``)."""
    decisions = [ask_own(action, "*", False) for action in ADMIN_PROBES]
    no_org = NOT_IN_EVIDENCE if org is None else ""
    if not all(d.allowed for d in decisions):
        looks = might is None or all(might(action) for action in ADMIN_PROBES)
        cut = next((d.reason for d in decisions if not d.allowed), "") if looks else ""
        return Judgement(False, cut_by=cut, scp=no_org)
    grants = tuple(dict.fromkeys(s.policy for d in decisions for s in d.statements if s.policy_type == "identity"))
    account_id = principal_arn.split(":")[4]
    try:
        scope = scp_scope(org, account_id, principal_arn)
        if scope:
            return Judgement(True, grants, scp=scope)
        ask, levels = chain()
    except UNREADABLE as exc:
        return Judgement(False, grants, error=f"its own policies allow every IAM write, but the SCP chain of account "
                                              f"{account_id} cannot be read ({_why(exc)}), so whether the SCPs "
                                              "leave it administrator is unknown")
    return _under_chain(ask, levels, writes, grants, principal_arn)


def _attached(d: Decision, levels: Sequence[Level]) -> str:
    """For a level that allows nothing of the request: the SCPs attached there."""
    if d.allowed or d.decision == "explicit_deny":
        return ""
    lvl = next((lv for lv in levels if f" at {lv.name} allows " in d.reason), None)
    return f" (attached there: {', '.join(p.name for p in lvl.policies) or 'no SCP'})" if lvl is not None else ""


def _under_chain(ask: Ask, levels: Sequence[Level], writes: Sequence[tuple[str, str]], grants: tuple[str, ...],
                 principal_arn: str) -> Judgement:
    where = " > ".join(lv.name for lv in levels)
    decisions = [(a, r, ask(a, r, False)) for a, r in writes]
    for a, r, d in decisions:
        if d.allowed:
            return Judgement(True, grants, scp=f"leave it its own permissions to write ({a} on {r}; chain {where}): "
                                               "it can grant itself whatever the SCPs permit")
    for a, r, d in decisions:
        if d.unresolved_conditions and ask(a, r, True).allowed:
            keys = ", ".join(sorted({c["condition"] for c in d.unresolved_conditions}))
            return Judgement(True, grants, scp=f"leave it {a} on {r} unless a condition the evidence cannot decide "
                                               f"({keys}) says otherwise; counted as administrator (chain {where})")
    cuts = [(a, r, d) for a, r, d in decisions if "scp" in d.decided_by]
    if not cuts:  # its own policies deny writing its own ARN: no SCP cut, (a) judged its own policies
        return Judgement(True, grants, scp=f"do not cut its IAM writes (chain {where}; its own policies deny "
                                           "writing its own permissions)")
    reasons: dict[str, list[str]] = {}
    for a, r, d in cuts:
        reasons.setdefault(d.reason + _attached(d, levels), []).append(f"{a} on {r}")
    text = "; ".join(f"{', '.join(what)}: {why}" for why, what in reasons.items())
    kind = "Role" if ":role/" in principal_arn else "User"
    other = f"{principal_arn.split(':iam::', 1)[0]}:iam::{principal_arn.split(':')[4]}:{kind.lower()}/{OTHER}"
    kept = next((a for a in (f"iam:Attach{kind}Policy", f"iam:Put{kind}Policy") if ask(a, other, False).allowed), None)
    if kept:  # the SCPs protect this resource from modification (a guardrail), not its IAM writes (a cap)
        return Judgement(True, grants, scp=f"protect it from modification ({text}), a guardrail on the resource: "
                                           f"it keeps {kept} on the account's other {kind.lower()}s and so can give "
                                           f"one it creates and becomes anything (chain {where})")
    return Judgement(False, grants, cut_by=f"the SCP chain takes away writing its own permissions: {text}",
                     scp=f"cut its IAM self-write (chain {where})")


@dataclass(frozen=True, slots=True)
class AdminVerdict:
    arn: str
    type: str  # user | role
    name: str
    admin: bool
    how: str | None = None  # administrators: "direct" or "group <name>"
    #: administrators (and those whose SCP chain cannot be read): the policies whose statements allow the probes
    grants: tuple[str, ...] = ()
    boundary: str | None = None  # the permissions boundary's name (considered in every decision)
    #: not administrators although their own Allows name every probe: why the evaluator refuses one of them
    #: (the Deny and its policy, the boundary that does not allow it, or the SCP that cuts its self-write)
    cut_by: str = ""
    error: str = ""  # why the question could not be decided (missing or malformed policy): ERROR, never "no"
    scp: str = ""  # what the SCP chain did (see Judgement.scp)

    def as_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "type": self.type, "name": self.name, "admin": self.admin, "how": self.how,
                "grants": list(self.grants), "boundary": self.boundary, "cut_by": self.cut_by, "error": self.error,
                "scp": self.scp}


def _verdict(index: EvidenceIndex, own_index: EvidenceIndex, arn: str, entity: dict[str, Any],
             context: dict[str, Any], now: datetime) -> AdminVerdict:
    """``own_index``: the same bundles without the organization (part (a) reads no SCP file)."""
    kind = "user" if ":user/" in arn else "role"
    name = entity.get("UserName") or entity.get("RoleName") or arn.rsplit("/", 1)[-1]
    acct = index.account(arn.split(":")[4])
    assert acct is not None
    barn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    boundary = (acct.policies.get(barn) or {}).get("PolicyName", barn) if barn else None
    try:
        own = Asker(own_index, arn, context, now)
    except UNREADABLE as exc:
        return AdminVerdict(arn, kind, name, False, boundary=boundary, error=_why(exc))

    def chain() -> tuple[Ask, tuple[Level, ...]]:
        full = Asker(index, arn, context, now)
        return full.ask_chain, full.base.scps or ()

    groups = [acct.groups[g]["Arn"] for g in entity.get("GroupList") or () if "Arn" in acct.groups.get(g, {})]
    j = judge_admin(own.ask_own, self_writes(arn, groups), index.org, arn, chain, own.might)
    via = next((g for g in j.grants if "(group " in g), None) if j.admin else None
    how = (f"group {via.rsplit('(group ', 1)[1].rstrip(')')}" if via else "direct") if j.admin else None
    return AdminVerdict(arn, kind, name, j.admin, how, j.grants if j.admin or j.error else (), boundary, j.cut_by,
                        j.error, j.scp)


def _compute(index: EvidenceIndex, account_id: str) -> dict[str, AdminVerdict]:
    acct = index.account(account_id)
    if acct is None:
        raise KeyError(account_id)
    now = acct.bundle.collected_at
    context = {"aws:TokenIssueTime": now.isoformat().replace("+00:00", "Z")}
    own_index = index.without_org()
    return {arn: _verdict(index, own_index, arn, entity, context, now)
            for arn, entity in (*acct.users.items(), *acct.roles.items()) if arn.split(":")[4:5] == [account_id]}


_VERDICTS = Memo()


def admin_verdicts(index: EvidenceIndex, account_id: str) -> dict[str, AdminVerdict]:
    """User/role ARN -> :class:`AdminVerdict` for the account, with the SCP chain of ``index``'s organization (none:
    SCPs not in evidence); computed once per (account bundle, organization bundle)."""
    bundle, org = index.bundles[account_id], index.org
    return _VERDICTS.get(bundle, (account_id, org.bundle if org is not None else None),
                         lambda: _compute(EvidenceIndex([bundle], org), account_id))


def documents_admin(principal_arn: str, identity: list[dict[str, Any]], boundary: dict[str, Any] | None,
                    org: OrgModel | None, now: datetime) -> Judgement:
    """:func:`judge_admin` for policy documents (``{"name", "document"}``) held by ``principal_arn`` (e.g. the
    role an IAM Identity Center permission set becomes in an account), with the SCP chain of its account."""
    account_id = principal_arn.split(":")[4]
    context = {"aws:TokenIssueTime": now.isoformat().replace("+00:00", "Z")}
    base: dict[str, Any] = {"principal": principal_arn, "identity_policies": identity, "context": context}
    if boundary is not None:
        base["permissions_boundary"] = boundary

    def asker(raw: dict[str, Any]) -> Ask:
        def ask(action: str, resource: str, optimistic: bool) -> Decision:
            req = request_from_mapping({**raw, "action": action, "resource": resource}, principal_arn, now)
            return decide(replace(req, optimistic=optimistic))
        return ask

    def chain() -> tuple[Ask, tuple[Level, ...]]:
        index = EvidenceIndex([], org)
        raw = {**base, "scps": index.chain(account_id, SCP) or [],
               "context": {**context, **index.org_keys(account_id, "Principal")}}
        if org is not None and org.management_account_id:
            raw["management_account"] = org.management_account_id
        levels = request_from_mapping({**raw, "action": "iam:PutRolePolicy"}, principal_arn, now).scps or ()
        return asker(raw), levels

    try:
        request_from_mapping({**base, "action": "iam:PutRolePolicy"}, principal_arn, now)  # compiles its policies
    except PolicyError as exc:
        return Judgement(False, error=_why(exc))
    return judge_admin(asker(base), self_writes(principal_arn), org, principal_arn, chain)


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
