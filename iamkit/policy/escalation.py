"""Privilege escalation and administrator status of one principal, decided by asking the evaluator.

Nothing here matches policy text: every question is a request decided by
:func:`iamkit.policy.engine.decide` on the principal's policies (identity, boundary, SCP chain, the target
role's trust policy), through an ``ask(action, resource, optimistic)`` callable the caller binds.

* **Administrator**: every request of :data:`ADMIN_PROBES` (IAM writes that let a principal grant itself
  anything, on ``*``) is allowed. "Full IAM write = admin", as the least-privilege issue puts it.
* **Escalation method** (the catalog of :mod:`iamkit.policy.privesc`, from pathfinding.cloud): counts when
  *every* required action could be allowed (optimistic mode: a condition the evidence cannot decide, such as
  ``aws:TokenIssueTime`` of future credentials, may hold; one that is false does not) on a resource it
  needs: for IAM actions an existing user, group, role or customer-managed policy of the account (AWS managed
  policies cannot be changed); for ``iam:PassRole`` a role whose trust policy lets the method's service
  assume it; for ``sts:AssumeRole`` a role whose trust policy lets the principal in and that is an
  administrator; for other services ``*`` or a resource the principal's own Allow statements name. Denies in
  the same or another policy, boundaries and SCPs apply, since the evaluator decides each request. The
  actions may be granted by different policies. Prerequisites beyond roles (an existing Lambda function, a
  Glue endpoint, an instance) are not in the evidence: such methods are reported as potential.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from iamkit.policy.engine import Decision, StatementRef
from iamkit.policy.privesc import EscalationPath, escalation_paths

__all__ = ["ADMIN_PROBES", "EXTRA_PATHS", "Inventory", "Method", "escalation_methods", "is_admin"]

#: IAM writes that make a principal administrator of its account when all are allowed on every resource
ADMIN_PROBES: tuple[str, ...] = ("iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:PutUserPolicy",
                                 "iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:CreateUser",
                                 "iam:CreateAccessKey", "iam:UpdateAssumeRolePolicy", "iam:PassRole")

#: methods documented elsewhere than pathfinding.cloud (Rhino Security Labs' list), iamkit's own words
EXTRA_PATHS: tuple[EscalationPath, ...] = (
    EscalationPath("iamkit-001", "self-escalation", ("iam:SetDefaultPolicyVersion",), ("iam",), None,
                   "Make an older, more permissive version of a customer-managed policy its default version."),
)

Ask = Callable[[str, str, bool], Decision]  # (action, resource, optimistic) -> decision


@dataclass(frozen=True, slots=True)
class Inventory:
    """The account's IAM resources an escalation method can act on."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    customer_policies: tuple[str, ...] = ()
    #: role ARN -> service principals its trust policy lets assume it (decided by the evaluator)
    role_trusts_service: Mapping[str, frozenset[str]] | None = None
    #: role ARNs that are administrators
    admin_roles: frozenset[str] = frozenset()
    #: memo of the roles a method may pass (filled on use)
    passable: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Method:
    path: EscalationPath
    grants: tuple[tuple[str, str, tuple[StatementRef, ...]], ...]  # (action, resource, statements allowing it)
    assumed_conditions: tuple[str, ...] = ()

    def describe(self) -> str:
        steps = "; ".join(f"{a} on {r}" + (f" ({', '.join(s.describe() for s in refs[:2])})" if refs else "")
                          for a, r, refs in self.grants)
        return f"{self.path.id} ({self.path.name}): {steps}"


def is_admin(ask: Ask) -> bool:
    """Every IAM write of :data:`ADMIN_PROBES` allowed on ``*`` (conditions must be decided, not assumed)."""
    return all(ask(action, "*", False).allowed for action in ADMIN_PROBES)


def _iam_targets(action: str, inv: Inventory) -> Sequence[str]:
    name = action.lower().partition(":")[2]
    if "policyversion" in name:
        return inv.customer_policies
    if "group" in name:
        return inv.groups
    if "role" in name:
        return inv.roles
    return inv.users


def _targets(action: str, path: EscalationPath, inv: Inventory, witnesses: Callable[[str], Iterable[str]],
             self_arn: str) -> Sequence[str]:
    low = action.lower()
    if low == "iam:passrole":
        key = path.passes_role_to
        if key not in inv.passable:
            services = frozenset(s.lower() for s in key)
            trusts = inv.role_trusts_service or {}
            inv.passable[key] = tuple(r for r in inv.roles if not services or trusts.get(r, frozenset()) & services)
        return [r for r in inv.passable[key] if r != self_arn]
    if low == "sts:assumerole":
        return [r for r in inv.roles if r in inv.admin_roles and r != self_arn]
    if low.startswith("iam:"):
        return _iam_targets(action, inv)
    return list(dict.fromkeys(["*", *witnesses(action)]))


def escalation_methods(ask: Ask, inventory: Inventory, self_arn: str,
                       witnesses: Callable[[str], Iterable[str]] = lambda _a: (),
                       paths: Iterable[EscalationPath] | None = None,
                       named: Callable[[str, str], bool] = lambda _a, _r: True,
                       might: Callable[[str], bool] = lambda _a: True) -> list[Method]:
    """The catalogued methods this principal can use (see the module docstring). ``named(action, resource)``
    may rule out, cheaply, resources no Allow statement of the principal names (IAM resources have no
    resource policies, so only identity policies can allow them) and ``might(action)`` whole actions no Allow
    names; the evaluator decides the rest."""
    found: list[Method] = []
    cache: dict[tuple[str, str], Decision] = {}

    def can(action: str, resource: str) -> Decision:
        key = (action, resource)
        if key not in cache:
            cache[key] = ask(action, resource, True)
        return cache[key]

    for path in paths if paths is not None else (*escalation_paths(), *EXTRA_PATHS):
        grants = []
        assumed: list[str] = []
        for action in path.required_actions:
            if not might(action):
                break
            targets = _targets(action, path, inventory, witnesses, self_arn)
            if self_arn in targets:  # the principal itself first: the commonest self-escalation
                targets = [self_arn, *(t for t in targets if t != self_arn)]
            hit = next(((r, d) for r in targets if named(action, r) and (d := can(action, r)).allowed), None)
            if hit is None:
                break
            resource, decision = hit
            grants.append((action, resource, decision.statements))
            assumed += [f"{u['condition']} ({u['policy']}, statement {u['index']})"
                        for u in decision.unresolved_conditions]
        else:
            found.append(Method(path, tuple(grants), tuple(dict.fromkeys(assumed))))
    return found
