"""Action sets of policies: what a set of documents grants, read statically.

Deciding a request (every policy type, conditions, the evaluation order) is the policy engine's job
(:mod:`iamkit.policy.engine`, documented in docs/policy-evaluation.md); this module answers the
catalog-wide question the engine cannot answer one request at a time: which catalogued actions a
set of documents allows (:func:`effective_actions`; IAM Identity Center's levels below "admin" and the
escalation catalog use it). Who is an administrator is decided by the engine, in :mod:`iamkit.admins`
(one notion for users, roles and permission sets).

:func:`allows_full_admin_statement` is the narrower CIS test ("IAM policies that allow full
``*:*`` administrative privileges"): a statement with ``Effect: Allow``, ``Action: "*"`` (or
``"*:*"``) and ``Resource: "*"``, conditions ignored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from iamkit.policy import actions as catalog
from iamkit.policy.document import PolicyDocument, PolicyLike, Statement, parse_policies, parse_policy

__all__ = [
    "allows_full_admin_statement",
    "effective_actions",
    "statement_actions",
]

Documents = PolicyLike | Iterable[PolicyLike] | None


# -- matching ---------------------------------------------------------------------------------


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


def allows_full_admin_statement(document: PolicyLike) -> bool:
    """CIS "*:*": some statement has Effect Allow, Action ``*`` and Resource ``*`` (conditions ignored)."""
    doc = parse_policy(document)
    return any(
        st.is_allow and any(a in ("*", "*:*") for a in st.actions) and "*" in st.resources for st in doc.statements
    )
