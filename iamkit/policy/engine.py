"""AWS's authorization decision for one request, as the IAM User Guide documents it.

Order ("Policy evaluation logic" > "How AWS enforcement code logic evaluates requests to allow or deny
access", and the flow charts of "Policy evaluation for requests within a single account" and "Cross-account
policy evaluation logic"):

1. Service rules: ``sts:GetCallerIdentity`` needs no permission and cannot be denied (STS API reference);
   roles under ``/aws-reserved/`` and AWS managed policies cannot be modified by anyone.
2. Explicit deny: a Deny that applies in any applicable policy (identity, boundary, session, SCP, RCP,
   resource, VPC endpoint) is final. A Deny whose condition cannot be decided is taken as applying (the
   decision is then not ``allowed`` and names it in ``unresolved_conditions``); an Allow that cannot be
   decided is taken as not applying.
3. RCPs along the resource account's chain: AWS attaches ``RCPFullAWSAccess`` at every level, so RCPs only
   take away (step 2). Not applied to resources of the management account, nor to service-linked roles.
4. SCPs along the principal account's chain: every level (root, OU..., account) must allow. Not applied to
   principals of the management account, service-linked roles, service principals or anonymous callers.
5. VPC endpoint policy, when the request goes through one: it must allow.
6. Resource-based policy. Same account: an Allow naming the principal itself (the user, the role session,
   the federated-user session, ``*``) is enough; one naming the role ARN of a session counts like an identity
   Allow, so the boundary and session policy still limit it ("Resource-based policies" in the enforcement
   page, and "Session policies"); one naming the account delegates to the identity policies. Cross-account:
   the resource policy must allow (any form) *and* the identity side must allow. A KMS key policy and a role's
   trust policy (``sts:AssumeRole*``) are required: without an Allow there, nothing else counts.
7. Identity side: identity policies (or the root user's implicit full access), then the permissions boundary
   and the session policy when present, must all allow.

Anonymous callers, service principals, web-identity/SAML principals and canonical users are decided by the
resource policy (plus RCPs and a VPC endpoint policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from iamkit.policy import actions as catalog
from iamkit.policy.compiled import CompiledKey, CompiledPolicy, CompiledStatement, statement_state
from iamkit.policy.matching import CATEGORY_RANK
from iamkit.policy.request import Context, Principal

__all__ = ["Decision", "Level", "Request", "StatementRef", "decide"]

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicit_deny", "implicit_deny"
TYPE_LABEL = {"identity": "identity policy", "boundary": "permissions boundary", "session": "session policy",
              "scp": "SCP", "rcp": "RCP", "resource": "resource policy", "vpce": "VPC endpoint policy",
              "service": "AWS service rule"}
_WRITE_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})


@dataclass(frozen=True, slots=True)
class Level:
    """One level of an SCP or RCP chain (root, an OU, the account) and the policies attached there."""

    name: str
    policies: tuple[CompiledPolicy, ...]


@dataclass(frozen=True, slots=True)
class Request:
    principal: Principal
    action: str
    resource: str
    resource_account: str | None
    context: Context
    identity: tuple[CompiledPolicy, ...] = ()
    boundary: CompiledPolicy | None = None
    session: CompiledPolicy | None = None
    scps: tuple[Level, ...] | None = None  # None: not in an organization
    rcps: tuple[Level, ...] | None = None
    resource_policy: CompiledPolicy | None = None
    vpce: CompiledPolicy | None = None
    management_account: str | None = None
    #: "could it be allowed?" (escalation analysis): an undecidable Allow counts, an undecidable Deny does not
    optimistic: bool = False


@dataclass(frozen=True, slots=True)
class StatementRef:
    policy_type: str
    policy: str
    sid: str | None
    index: int
    effect: str
    level: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"policy_type": self.policy_type, "policy": self.policy, "sid": self.sid, "index": self.index,
               "effect": self.effect}
        if self.level is not None:
            out["level"] = self.level
        return out

    def describe(self) -> str:
        sid = f" (Sid {self.sid})" if self.sid else ""
        where = f" at {self.level}" if self.level else ""
        return f"{TYPE_LABEL[self.policy_type]} {self.policy}{where}, statement {self.index}{sid}"


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    decided_by: tuple[str, ...]
    statements: tuple[StatementRef, ...] = ()
    unresolved_conditions: tuple[dict[str, Any], ...] = ()
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "decided_by": list(self.decided_by),
                "statements": [s.as_dict() for s in self.statements],
                "unresolved_conditions": list(self.unresolved_conditions), "reason": self.reason}


@dataclass(slots=True)
class _SetResult:
    """What one policy set (one type, or one SCP/RCP level) says about the request."""

    policy_type: str
    level: str | None
    allows: list[tuple[CompiledPolicy, CompiledStatement, str | None]] = field(default_factory=list)
    denies: list[tuple[CompiledPolicy, CompiledStatement, bool]] = field(default_factory=list)  # (.., certain)
    unresolved_allows: list[dict[str, Any]] = field(default_factory=list)
    unresolved_denies: list[dict[str, Any]] = field(default_factory=list)

    def best_category(self) -> str | None:
        cats = [c for _, _, c in self.allows if c is not None]
        return max(cats, key=CATEGORY_RANK.__getitem__) if cats else None

    def ref(self, policy: CompiledPolicy, st: CompiledStatement) -> StatementRef:
        return StatementRef(self.policy_type, policy.name, st.sid, st.index, "Allow" if st.allow else "Deny",
                            self.level)


def _unresolved_entry(ptype: str, level: str | None, policy: CompiledPolicy, st: CompiledStatement,
                      key: CompiledKey, why: str) -> dict[str, Any]:
    entry = {"policy_type": ptype, "policy": policy.name, "sid": st.sid, "index": st.index,
             "effect": "Allow" if st.allow else "Deny",
             "condition": f"{key.operator} {key.key}" if key.key != "resource" else "Resource", "reason": why}
    if level is not None:
        entry["level"] = level
    return entry


def _evaluate_set(ptype: str, level: str | None, policies: Sequence[CompiledPolicy], req: Request,
                  action: str, boundary_attached: bool) -> _SetResult:
    out = _SetResult(ptype, level)
    sink: list[tuple[CompiledKey, str]] = []
    resource, principal, context = req.resource, req.principal, req.context
    for policy in policies:
        for st in policy.candidates(action):
            state, category = statement_state(st, action, resource, principal, context, sink,
                                              boundary_attached=boundary_attached)
            if state is False:
                continue
            if st.allow:
                if state or req.optimistic:
                    out.allows.append((policy, st, category))
                if not state:
                    out.unresolved_allows += [_unresolved_entry(ptype, level, policy, st, k, w) for k, w in sink]
            elif state or not req.optimistic:
                out.denies.append((policy, st, state is True))
                if state is None:
                    out.unresolved_denies += [_unresolved_entry(ptype, level, policy, st, k, w) for k, w in sink]
            sink.clear()
    return out


def _service_rule(action: str, resource: str) -> Decision | None:
    if action == "sts:getcalleridentity":
        return Decision(ALLOWED, ("service",), reason="sts:GetCallerIdentity needs no permission and cannot be denied")
    if not action.startswith("iam:"):
        return None
    reserved = ":role/aws-reserved/" in resource or resource.startswith(("arn:aws:iam::aws:policy/",
                                                                         "arn:aws-cn:iam::aws:policy/",
                                                                         "arn:aws-us-gov:iam::aws:policy/"))
    if not reserved:
        return None
    level = catalog.access_level(action) if catalog.is_known(action) else "Write"
    if level not in _WRITE_LEVELS:
        return None
    what = "AWS managed policies" if ":policy/" in resource else "roles under /aws-reserved/"
    return Decision(EXPLICIT_DENY, ("service",), reason=f"{what} cannot be modified by anyone ({action} on {resource})")


def _sets(req: Request, action: str) -> list[_SetResult]:
    p = req.principal
    attached = req.boundary is not None and p.is_aws_identity
    sets: list[tuple[str, str | None, Sequence[CompiledPolicy]]] = []
    if p.is_aws_identity:
        sets.append(("identity", None, req.identity))
        if req.boundary is not None:
            sets.append(("boundary", None, (req.boundary,)))
        if req.session is not None and p.is_session:
            sets.append(("session", None, (req.session,)))
        if _scps_apply(req):
            sets += [("scp", lvl.name, lvl.policies) for lvl in req.scps or ()]
    if _rcps_apply(req):
        sets += [("rcp", lvl.name, lvl.policies) for lvl in req.rcps or ()]
    if req.resource_policy is not None:
        sets.append(("resource", None, (req.resource_policy,)))
    if req.vpce is not None:
        sets.append(("vpce", None, (req.vpce,)))
    return [_evaluate_set(t, lvl, pols, req, action, attached) for t, lvl, pols in sets]


def _scps_apply(req: Request) -> bool:
    p = req.principal
    return (req.scps is not None and p.is_aws_identity and not p.service_linked
            and (req.management_account is None or p.account != req.management_account))


def _rcps_apply(req: Request) -> bool:
    return (req.rcps is not None and not req.principal.service_linked
            and (req.management_account is None or req.resource_account != req.management_account))


def decide(req: Request) -> Decision:
    """The decision for ``req`` (see the module docstring)."""
    action = req.action.strip().lower()
    ruled = _service_rule(action, req.resource)
    if ruled is not None:
        return ruled
    results = _sets(req, action)
    unresolved_denies = tuple(u for r in results for u in r.unresolved_denies)
    found = sorted(((certain, r.ref(pol, st)) for r in results for pol, st, certain in r.denies),
                   key=lambda d: not d[0])  # certain Denies first, each group in evaluation order
    if found:
        denies = [ref for _, ref in found]
        kinds = tuple(dict.fromkeys(d.policy_type for d in denies))
        why = "explicit Deny" if found[0][0] else "a Deny whose condition cannot be decided"
        return Decision(EXPLICIT_DENY, kinds, tuple(denies), unresolved_denies, f"{why} in {denies[0].describe()}")
    decision = _allow_phase(req, results)
    if req.optimistic and decision.allowed:  # say which conditions were assumed to hold
        assumed = tuple(u for r in results for u in r.unresolved_allows)
        return Decision(decision.decision, decision.decided_by, decision.statements, assumed, decision.reason)
    return decision


def _implicit(kind: str, reason: str, results: list[_SetResult]) -> Decision:
    unresolved = tuple(u for r in results for u in r.unresolved_allows)
    return Decision(IMPLICIT_DENY, (kind,), (), unresolved, reason)


def _first_allow(r: _SetResult, category: str | None = None) -> StatementRef:
    for pol, st, cat in r.allows:
        if category is None or cat == category:
            return r.ref(pol, st)
    pol, st, _ = r.allows[0]
    return r.ref(pol, st)


def _allow_phase(req: Request, results: list[_SetResult]) -> Decision:
    by_type: dict[str, list[_SetResult]] = {}
    for r in results:
        by_type.setdefault(r.policy_type, []).append(r)
    what = f"{req.action} on {req.resource}"
    used: list[StatementRef] = []
    for level in by_type.get("scp", ()):
        if not level.allows:
            return _implicit("scp", f"no SCP at {level.level} allows {what}", results)
        used.append(_first_allow(level))
    vpce = by_type.get("vpce")
    if vpce and not vpce[0].allows:
        return _implicit("vpce", f"the VPC endpoint policy does not allow {what}", results)
    if vpce:
        used.append(_first_allow(vpce[0]))
    resource = by_type.get("resource", [None])[0]
    category = resource.best_category() if resource is not None else None
    p = req.principal
    if _resource_required(req) and category is None:
        kind = "trust policy" if req.action.lower().startswith("sts:assumerole") else "key policy"
        return _implicit("resource", f"no statement in the {kind} allows {what}" + (
            "" if resource is not None else f" (no {kind} given)"), results)
    if not p.is_aws_identity:
        if category is None:
            return _implicit("resource", f"no statement in a resource policy allows {what} to {p.value}", results)
        return _allowed(("resource",), [_first_allow(resource), *used], results)  # type: ignore[arg-type]
    return _identity_phase(req, by_type, resource, category, used, results)


def _resource_required(req: Request) -> bool:
    action = req.action.strip().lower()
    if action.startswith("sts:assumerole"):
        return True
    return action.startswith("kms:") and ":key/" in req.resource and req.resource.startswith("arn:")


def _allowed(kinds: tuple[str, ...], used: list[StatementRef], results: list[_SetResult]) -> Decision:
    first = next((u for u in used if u.policy_type in ("identity", "resource")), used[0] if used else None)
    reason = f"allowed by {first.describe()}" if first else "allowed"
    return Decision(ALLOWED, kinds, tuple(used), (), reason)


def _identity_phase(req: Request, by_type: dict[str, list[_SetResult]], resource: _SetResult | None,
                    category: str | None, used: list[StatementRef], results: list[_SetResult]) -> Decision:
    p = req.principal
    what = f"{req.action} on {req.resource}"
    same_account = req.resource_account in (None, p.account, "aws")
    limits = [("boundary", by_type.get("boundary")), ("session", by_type.get("session"))]
    failing_limit = next((k for k, r in limits if r and not r[0].allows), None)
    limit_refs = [_first_allow(r[0]) for _, r in limits if r and r[0].allows]
    kms_key = req.action.lower().startswith("kms:") and _resource_required(req)
    extra = tuple(k for k in ("scp", "vpce") if k in by_type)
    if same_account and resource is not None and category == "direct":
        return _allowed(("resource", *extra), [_first_allow(resource, "direct"), *used], results)
    if same_account and resource is not None and category == "parent" and failing_limit is None:
        return _allowed(("resource", *(k for k, r in limits if r), *extra),
                        [_first_allow(resource, "parent"), *limit_refs, *used], results)
    if same_account and category == "parent" and failing_limit is not None:
        return _implicit(failing_limit, f"the {TYPE_LABEL[failing_limit]} does not allow {what} (a resource policy "
                         "naming the role ARN does not go beyond it)", results)
    identity = by_type["identity"][0]
    identity_ok = bool(identity.allows) or p.kind == "root"
    if not identity_ok:
        return _implicit("identity", f"no identity policy of {p.value} allows {what}", results)
    if failing_limit is not None:
        return _implicit(failing_limit, f"the {TYPE_LABEL[failing_limit]} does not allow {what}", results)
    id_refs = [_first_allow(identity)] if identity.allows else []
    kinds = ("identity", *(k for k, r in limits if r), *extra)
    if same_account:
        refs = [*id_refs, *limit_refs, *used]
        if kms_key and resource is not None:
            return _allowed(("identity", "resource", *kinds[1:]), [*refs, _first_allow(resource)], results)
        return _allowed(kinds, refs, results)
    if category is None:
        return _implicit("resource", f"{what} is in account {req.resource_account}: cross-account access needs the "
                         f"resource policy to allow {p.value} too", results)
    return _allowed(("identity", "resource", *kinds[1:]), [*id_refs, _first_allow(resource), *limit_refs, *used],
                    results)  # type: ignore[arg-type]
