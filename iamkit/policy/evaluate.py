"""IAM policy evaluation, simplified to what an auditor needs, and admin-equivalence.

Evaluation model (:func:`evaluate`), for one request ``(action, resource)``:

1. An explicit ``Deny`` that applies in *any* policy set (identity policies, permissions boundary,
   any SCP level) wins: ``DENIED``.
2. The identity policies (all of them together) must allow the request.
3. If a permissions boundary is given, it must allow the request too.
4. If SCPs are given, *each* level of the OU chain (root, OU..., account) must have a policy that
   allows the request; an empty level allows nothing.
5. Otherwise the request is implicitly denied.

Decisions:

* Conditions are not guessed. Without a request ``context``, a statement with a ``Condition``
  "might apply": a conditional Allow can only give ``CONDITIONAL``, and a conditional Deny turns
  an otherwise allowed request into ``CONDITIONAL``. With a ``context``, conditions are evaluated
  by :mod:`iamkit.policy.conditions`; an operator it does not support again means "might apply".
* Resources are matched as literal strings against the statement's patterns (``*``/``?`` globs,
  case-sensitive). The default request resource ``"*"`` stands for "every resource": only a
  wildcard-only pattern such as ``"*"`` matches it, so an Allow on one bucket does not allow
  ``s3:GetObject`` on ``"*"``, and a Deny on one bucket does not deny it either.
* Not modelled: resource-based policies, session policies, RCPs, the SCP exemptions of the
  management account and service-linked roles (callers skip those), and ``NotPrincipal``.

Admin-equivalence (:func:`is_admin_equivalent`): the documents grant, through unconditional Allow
statements that cover all resources (``Resource`` with a wildcard-only pattern such as ``*``, or
any ``NotResource`` that does not itself exclude everything), every catalogued action except at
most :data:`ADMIN_MAX_EXCLUDED_ACTIONS` (20), after removing what unconditional all-resource Denies
take away; or every IAM "Permissions management" action (``iam:*`` and the like: full IAM write
lets the principal grant itself anything). So ``Allow NotAction iam:ChangePassword``, ``Allow *``
with a Deny on ``cloudtrail:StopLogging`` or on a whole small service (``aws-portal:*``, 9 actions)
and ``Allow iam:*`` are admin, while ``PowerUserAccess`` (``NotAction iam:* organizations:*
account:*``) is not. The threshold is a judgement: a handful of excluded actions is how guardrails
look (deny closing the account, leaving the organization, stopping CloudTrail, billing) and leaves
IAM writes, hence everything, reachable; excluding dozens of actions is a deliberate restriction
that other checks should judge. Conditional Allows never make a principal admin; conditional
Denies (such as "deny unless MFA") do not stop it.

:func:`allows_full_admin_statement` is the narrower CIS test ("IAM policies that allow full
``*:*`` administrative privileges"): a statement with ``Effect: Allow``, ``Action: "*"`` (or
``"*:*"``) and ``Resource: "*"``, conditions ignored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from iamkit.policy import actions as catalog
from iamkit.policy.conditions import evaluate_conditions, parse_operator
from iamkit.policy.document import PolicyDocument, PolicyLike, Statement, parse_policies, parse_policy

__all__ = [
    "ADMIN_MAX_EXCLUDED_ACTIONS",
    "Decision",
    "Evaluation",
    "allows_full_admin_statement",
    "effective_actions",
    "evaluate",
    "evaluate_detailed",
    "iam_permissions_management",
    "is_admin_equivalent",
    "statement_actions",
]

ADMIN_MAX_EXCLUDED_ACTIONS = 20

Documents = PolicyLike | Iterable[PolicyLike] | None


class Decision(StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # allowed only if some condition holds (or no conditional Deny fires)
    DENIED = "denied"  # explicitly or implicitly


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: Decision
    explicit_deny: bool
    reason: str  # one line, e.g. "explicit Deny in SCP level 2 (Sid 'DenyIam')"


class _Outcome(Enum):
    EXPLICIT_DENY = 0
    IMPLICIT_DENY = 1
    CONDITIONAL = 2
    ALLOW = 3


# -- matching ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16384)
def _resource_re(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL)


def _resource_match(pattern: str, resource: str) -> bool:
    return pattern == "*" or _resource_re(pattern).fullmatch(resource) is not None


def _action_applies(st: Statement, action: str) -> bool:
    if st.actions:
        return any(catalog.matches(p, action) for p in st.actions)
    return not any(catalog.matches(p, action) for p in st.not_actions)


def _resource_applies(st: Statement, resource: str) -> bool:
    if st.resources:
        return any(_resource_match(p, resource) for p in st.resources)
    if st.not_resources:
        return not any(_resource_match(p, resource) for p in st.not_resources)
    return True  # no Resource element (trust policies): applies to the role itself


def _is_all_resources(pattern: str) -> bool:
    """``*``, ``arn:*`` or ``arn:<partition>:*`` (any partition: aws, aws-us-gov, aws-cn ...)."""
    p = pattern.strip()
    return p in ("*", "arn:*", "arn:*:*") or set(p) <= set("*:?") or bool(re.fullmatch(r"arn:aws[a-z0-9-]*:\*", p))


def _covers_all_resources(st: Statement) -> bool:
    if st.resources:
        return any(_is_all_resources(p) for p in st.resources)
    if st.not_resources:
        return not any(_is_all_resources(p) for p in st.not_resources)
    return True


def _condition_state(st: Statement, context: Mapping[str, Any] | None) -> bool | None:
    """True: applies; False: does not; None: might (unknown without context / unsupported)."""
    if not st.conditions:
        return True
    if context is None or any(parse_operator(op) is None for op in st.conditions):
        return None
    return evaluate_conditions(st.conditions, context)


def _evaluate_set(
    docs: Sequence[PolicyDocument], action: str, resource: str, context: Mapping[str, Any] | None
) -> tuple[_Outcome, Statement | None]:
    allow = cond_allow = cond_deny = None
    for doc in docs:
        for st in doc.statements:
            if not (_action_applies(st, action) and _resource_applies(st, resource)):
                continue
            state = _condition_state(st, context)
            if state is False:
                continue
            if st.effect == "Deny":
                if state:
                    return _Outcome.EXPLICIT_DENY, st
                cond_deny = cond_deny or st
            elif state:
                allow = allow or st
            else:
                cond_allow = cond_allow or st
    if allow is not None:
        return (_Outcome.CONDITIONAL, cond_deny) if cond_deny else (_Outcome.ALLOW, allow)
    if cond_allow is not None:
        return _Outcome.CONDITIONAL, cond_allow
    return _Outcome.IMPLICIT_DENY, None


def _sid(st: Statement | None) -> str:
    return f" (Sid {st.sid!r})" if st is not None and st.sid else ""


# -- public evaluation ------------------------------------------------------------------------


def evaluate_detailed(
    identity_policies: Documents,
    action: str,
    resource: str = "*",
    *,
    boundary: Documents = None,
    scps: Sequence[Documents] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Decide one request and say why (see the module docstring for the model)."""
    sets: list[tuple[str, Sequence[PolicyDocument]]] = [("identity policies", parse_policies(identity_policies))]
    if boundary is not None:
        sets.append(("permissions boundary", parse_policies(boundary)))
    for level, scp_level in enumerate(scps or (), start=1):
        sets.append((f"SCP level {level}", parse_policies(scp_level)))

    outcomes = [(name, *_evaluate_set(docs, action, resource, context)) for name, docs in sets]
    for name, outcome, st in outcomes:
        if outcome is _Outcome.EXPLICIT_DENY:
            return Evaluation(Decision.DENIED, True, f"explicit Deny in {name}{_sid(st)}")
    for name, outcome, _ in outcomes:
        if outcome is _Outcome.IMPLICIT_DENY:
            return Evaluation(Decision.DENIED, False, f"no statement in {name} allows {action} on {resource}")
    for name, outcome, st in outcomes:
        if outcome is _Outcome.CONDITIONAL:
            assert st is not None
            kind = "Allow" if st.is_allow else "Deny"
            return Evaluation(Decision.CONDITIONAL, False, f"conditional {kind} in {name}{_sid(st)}")
    return Evaluation(Decision.ALLOWED, False, f"allowed by {outcomes[0][0]}{_sid(outcomes[0][2])}")


def evaluate(
    identity_policies: Documents,
    action: str,
    resource: str = "*",
    *,
    boundary: Documents = None,
    scps: Sequence[Documents] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """``ALLOWED``, ``CONDITIONAL`` or ``DENIED`` for one request."""
    return evaluate_detailed(
        identity_policies, action, resource, boundary=boundary, scps=scps, context=context
    ).decision


# -- action sets ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16384)
def _action_set(actions: tuple[str, ...], not_actions: tuple[str, ...]) -> frozenset[str]:
    if actions:
        return catalog.expand_all(actions)
    return catalog.all_actions() - catalog.expand_all(not_actions)


def statement_actions(st: Statement) -> frozenset[str]:
    """The catalogued actions a statement names (``NotAction`` complemented over the catalog)."""
    return _action_set(st.actions, st.not_actions)


def _denied_everywhere(docs: Iterable[PolicyDocument]) -> frozenset[str]:
    out: set[str] = set()
    for doc in docs:
        for st in doc.statements:
            if st.effect == "Deny" and not st.conditions and _covers_all_resources(st):
                out |= statement_actions(st)
    return frozenset(out)


def effective_actions(
    documents: Documents,
    *,
    include_conditional: bool = True,
    all_resources_only: bool = False,
) -> frozenset[str]:
    """Catalogued actions the documents allow, minus unconditional all-resource Denies.

    By default this is the upper bound least-privilege work needs: Allow statements count
    whatever their resources or conditions. ``include_conditional=False`` drops conditional
    Allows; ``all_resources_only=True`` keeps only Allows that cover every resource.
    """
    docs = parse_policies(documents)
    granted: set[str] = set()
    everything = catalog.all_actions()
    for doc in docs:
        for st in doc.statements:
            if not st.is_allow or (st.conditions and not include_conditional):
                continue
            if all_resources_only and not _covers_all_resources(st):
                continue
            found = statement_actions(st)
            if len(found) == len(everything):
                granted = set(everything)
                break
            granted |= found
    denied = _denied_everywhere(docs)
    return frozenset(granted - denied) if denied else frozenset(granted)


@functools.cache
def iam_permissions_management() -> frozenset[str]:
    """The catalogued ``iam:`` actions of access level "Permissions management" (attach/put/create
    policies, passwords, keys ...): holding all of them on every resource, a principal can grant itself
    any permission, so it is administrator-equivalent whatever else it holds."""
    iam = catalog.actions_for_service("iam")
    return frozenset(a for a in iam if catalog.access_level(a) == "Permissions management")


def is_admin_equivalent(documents: Documents, *, max_excluded: int = ADMIN_MAX_EXCLUDED_ACTIONS) -> bool:
    """True when the documents grant, unconditionally and on every resource, every catalogued action
    but at most ``max_excluded``, or every IAM permissions-management action (full IAM write reaches
    everything: :func:`iam_permissions_management`). Excluding one whole small service (a Deny of
    ``aws-portal:*``) keeps an administrator an administrator: under-reporting is the worse error."""
    docs = parse_policies(documents)
    granted = effective_actions(docs, include_conditional=False, all_resources_only=True)
    iam_write = iam_permissions_management()
    if iam_write and iam_write <= granted:
        return True
    return len(catalog.all_actions() - granted) <= max_excluded


def allows_full_admin_statement(document: PolicyLike) -> bool:
    """CIS "*:*": some statement has Effect Allow, Action ``*`` and Resource ``*`` (conditions ignored)."""
    doc = parse_policy(document)
    return any(
        st.is_allow and any(a in ("*", "*:*") for a in st.actions) and "*" in st.resources for st in doc.statements
    )
