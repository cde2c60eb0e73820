"""Can one role assume another, and can an outside principal get in: hops of the cross-account reach graph
(:mod:`iamkit.checks.reach`), decided by the policy evaluator (:func:`iamkit.policy.engine.decide`) with the
policies the evidence holds: the source's identity policies and boundary, the SCP chain of the source's
account, the RCP chain of the target's account and the target's trust policy (:mod:`iamkit.authz`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from iamkit.authz import EvidenceIndex, request_from_evidence
from iamkit.errors import EvidenceError
from iamkit.model import AccountModel
from iamkit.policy import PolicyError, parse_policies
from iamkit.policy.actions import matches
from iamkit.policy.engine import Request as EngineRequest
from iamkit.policy.engine import decide as engine_decide
from iamkit.policy.intake import request_from_mapping

__all__ = ["Identity", "can_assume", "enters"]

_ASSUME = "sts:assumerole"


class Identity:
    """The roles of one account, for the pre-filter and the memo of :func:`can_assume`. Roles sharing the same
    policies and boundary share one answer per target when nothing in the decision depends on which role asks
    (:func:`_plain`)."""

    def __init__(self, acct: AccountModel) -> None:
        self._policies = dict(zip(acct.policies["arn"], acct.policies["document"], strict=True))
        inline = acct.inline_policies
        self._inline: dict[str, list[Any]] = {}
        for arn, doc in zip(inline["principal_arn"], inline["document"], strict=True):
            self._inline.setdefault(arn, []).append(doc)
        roles = acct.roles
        self._attached = dict(zip(roles["arn"], roles["attached_policy_arns"], strict=True))
        self._boundary = dict(zip(roles["arn"], roles["permissions_boundary_arn"], strict=True))
        self._may: dict[str, bool] = {}
        self.decided: dict[tuple[str, str], bool] = {}

    def documents(self, role_arn: str) -> list[Any]:
        docs = [self._policies[a] for a in self._attached.get(role_arn, []) if a in self._policies]
        b = self._boundary.get(role_arn)
        return docs + self._inline.get(role_arn, []) + ([self._policies[b]] if b in self._policies else [])

    def key(self, role_arn: str) -> str:
        inline = json.dumps(self._inline.get(role_arn, []), sort_keys=True) if role_arn in self._inline else ""
        return f"{sorted(self._attached.get(role_arn, []))}|{self._boundary.get(role_arn)}|{inline}"

    def may_assume(self, role_arn: str, key: str) -> bool:
        """False only when no Allow statement of the role's policies names ``sts:AssumeRole`` (a pre-filter)."""
        if key not in self._may:
            try:
                sts = [st for d in parse_policies(self.documents(role_arn)) for st in d.statements if st.is_allow]
            except PolicyError:
                self._may[key] = True  # the evaluator decides (and over-reports) below
            else:
                self._may[key] = any(any(matches(p, "sts:AssumeRole") for p in st.actions) if st.actions
                                     else not any(matches(p, "sts:AssumeRole") for p in st.not_actions)
                                     for st in sts)
        return self._may[key]


def _plain(req: EngineRequest) -> bool:
    """Nothing in this assumption depends on which role of the account asks: no statement that can match
    sts:AssumeRole (identity, boundary, SCPs, RCPs) has a condition or a policy variable in its Resource, and
    the trust policy names no principal ARN and has no condition."""
    pols = [*req.identity, *([req.boundary] if req.boundary else []),
            *(p for lvl in (*(req.scps or ()), *(req.rcps or ())) for p in lvl.policies)]
    for pol in pols:
        for st in pol.candidates(_ASSUME):
            if st.actions.match(_ASSUME) and (st.conditions or (st.resources is not None and any(
                    "${" in x for x in st.resources.patterns))):
                return False
    trust = req.resource_policy
    return trust is not None and all(not st.conditions and st.not_principal is None for st in trust.statements) and \
        all(v == "*" or v.endswith(":root") or v.isdigit() for st in trust.statements
            for v in (st.principal.aws if st.principal is not None else ()))


#: a session of the source role may carry MFA (its chain may start with an MFA sign-in): conditions on MFA are
#: taken to hold, so a hop is never hidden by them
_MFA_SESSION = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "0"}


def can_assume(index: EvidenceIndex, identity: Identity, source: str, target: str, *, direct: bool = False) -> bool:
    """Can role ``source`` assume ``target``? Decided by the policy evaluator (:func:`iamkit.policy.engine.decide`)
    on the source's identity policies and boundary, the SCP chain of its account (a Deny of sts:AssumeRole
    there cuts the hop), the RCP chain of the target's account and the target's trust policy; conditions the
    evidence cannot decide are assumed to hold (sts:ExternalId: the caller holds it). ``direct``: the trust
    names the source itself, so no identity Allow is needed in the same account. A malformed or missing
    policy counts as allowing (over-report, never hide a path)."""
    key = identity.key(source)
    if not direct and not identity.may_assume(source, key):
        return False
    memo = (key, target)
    if memo in identity.decided:
        return identity.decided[memo]
    try:
        raw = request_from_evidence(index, source, "sts:AssumeRole", target, dict(_MFA_SESSION))
        req = replace(request_from_mapping(raw, f"{source} assumes {target}", index.bundles[
            source.split(":")[4]].collected_at), optimistic=True)
        allowed = engine_decide(req).allowed
        plain = _plain(req)
    except (PolicyError, EvidenceError):
        allowed, plain = True, False
    if plain and not direct:
        identity.decided[memo] = allowed
    return allowed


_SOME_ACCOUNT = "arn:aws:iam::000000000000:root"  # an account outside the organization ("*" in a trust policy)
_ASSUMED_IDENTITY = {"Version": "2012-10-17",
                     "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole*", "Resource": "*"}]}


def enters(index: EvidenceIndex, role_account: str, role_arn: str, kind: str, principal_value: str) -> bool:
    """An external principal the trust policy names gets in past the RCP chain of the role's account (RCPs
    restrict who reaches the account's resources, e.g. a Deny of sts:AssumeRole outside the organization).
    The external side's own policies are theirs: assumed to allow. Without RCPs: True (the trust decides)."""
    rcps = index.chain(role_account, "RESOURCE_CONTROL_POLICY")
    target = index.account(role_account)
    role = target.roles.get(role_arn) if target is not None else None
    if rcps is None or role is None or kind not in ("any", "account", "principal", "federated"):
        return True
    if kind == "federated":
        principal: Any = {"Federated": principal_value}
        action = "sts:AssumeRoleWithSAML" if ":saml-provider/" in principal_value else "sts:AssumeRoleWithWebIdentity"
    else:
        principal = _SOME_ACCOUNT if kind == "any" else (
            f"arn:aws:iam::{principal_value}:root" if principal_value.isdigit() else principal_value)
        action = "sts:AssumeRole"
    raw = {"principal": principal, "action": action, "resource": role_arn, "rcps": rcps,
           "identity_policies": [{"name": "the external side (assumed to allow)", "document": _ASSUMED_IDENTITY}],
           "resource_policy": {"name": "trust policy", "document": role["AssumeRolePolicyDocument"]}}
    if index.org is not None and index.org.management_account_id:
        raw["management_account"] = index.org.management_account_id
    try:
        req = request_from_mapping(raw, f"trust of {role_arn}", target.bundle.collected_at)  # type: ignore[union-attr]
        return engine_decide(replace(req, optimistic=True)).allowed
    except PolicyError:
        return True  # over-report, never hide a path
