"""Policies compiled once for fast evaluation, and one statement matched against one request.

* :func:`compile_policy` parses (:func:`~iamkit.policy.document.parse_policy`), checks the elements the
  policy type allows (identity-side policies have no ``Principal``; resource-side ones need one) and
  precompiles matchers. Compiled policies are cached by their JSON text, so a managed policy shared by
  thousands of principals is compiled once.
* :func:`statement_state` answers whether a statement applies: ``True``, ``False`` or ``None`` (cannot be
  decided: an unknown condition operator, a context key the request does not give, a policy variable of
  unknown value). The reasons go to the ``unresolved`` list the caller passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from iamkit.policy.conditions import key_result, parse_operator, variables_in
from iamkit.policy.document import PolicyDocument, PolicyError, Statement, parse_policy
from iamkit.policy.matching import UNKNOWN, ActionMatcher, PrincipalMatcher, ResourceMatcher
from iamkit.policy.request import Context, Principal

__all__ = ["CompiledPolicy", "CompiledStatement", "IDENTITY_SIDE", "RESOURCE_SIDE", "compile_policy",
           "statement_state"]

IDENTITY_SIDE = frozenset({"identity", "boundary", "session", "scp"})
RESOURCE_SIDE = frozenset({"resource", "vpce", "rcp"})


@dataclass(frozen=True, slots=True)
class CompiledKey:
    operator: str  # as written
    key: str  # lower-cased
    parsed: tuple[str | None, str, bool] | None  # None: operator not supported
    values: tuple[str, ...]
    variables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    allow: bool
    index: int  # 1-based position in the policy
    sid: str | None
    actions: ActionMatcher
    resources: ResourceMatcher | None  # None: no Resource element (trust policies)
    principal: PrincipalMatcher | None
    not_principal: PrincipalMatcher | None
    conditions: tuple[CompiledKey, ...]


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    name: str
    policy_type: str
    statements: tuple[CompiledStatement, ...]
    #: service prefix -> the statements that can match its actions (document order); "*": the others' share
    by_service: Mapping[str, tuple[CompiledStatement, ...]]

    def candidates(self, action: str) -> tuple[CompiledStatement, ...]:
        """The statements whose Action/NotAction can match ``action`` (lower case)."""
        by = self.by_service
        return by.get(action.partition(":")[0]) or by["*"]


def _index(statements: tuple[CompiledStatement, ...]) -> dict[str, tuple[CompiledStatement, ...]]:
    services = {s for st in statements if st.actions.services for s in st.actions.services}
    out = {svc: tuple(st for st in statements if st.actions.services is None or svc in st.actions.services)
           for svc in services}
    out["*"] = tuple(st for st in statements if st.actions.services is None)
    return out


def _compile_statement(st: Statement, index: int) -> CompiledStatement:
    keys = tuple(
        CompiledKey(op, key, parse_operator(op), values, tuple(v for p in values for v in variables_in(p)))
        for op, block in st.conditions.items() for key, values in block.items()
    )
    resources = (ResourceMatcher(st.resources, False) if st.resources
                 else ResourceMatcher(st.not_resources, True) if st.not_resources else None)
    return CompiledStatement(
        allow=st.is_allow, index=index, sid=st.sid,
        actions=ActionMatcher(st.actions, False) if st.actions else ActionMatcher(st.not_actions, True),
        resources=resources,
        principal=PrincipalMatcher(st.principals) if st.principals is not None else None,
        not_principal=PrincipalMatcher(st.not_principals) if st.not_principals is not None else None,
        conditions=keys,
    )


def _check_elements(doc: PolicyDocument, policy_type: str) -> None:
    for i, st in enumerate(doc.statements, start=1):
        where = f"statement {i}" + (f" (Sid {st.sid!r})" if st.sid else "")
        named = st.principals is not None or st.not_principals is not None
        if policy_type in IDENTITY_SIDE and named:
            raise PolicyError(f"{where}: this policy type ({policy_type}) allows no Principal or NotPrincipal")
        if policy_type in RESOURCE_SIDE and not named:
            raise PolicyError(f"{where}: this policy type ({policy_type}) needs Principal or NotPrincipal")
        if policy_type != "resource" and not st.resources and not st.not_resources:
            raise PolicyError(f"{where}: has neither Resource nor NotResource")


_CACHE: dict[tuple[str, bytes], tuple[tuple[CompiledStatement, ...], Mapping[str, tuple[CompiledStatement, ...]]]] = {}
_CACHE_MAX = 50_000


def compile_policy(document: Any, policy_type: str, name: str) -> CompiledPolicy:
    """Compile one policy of ``policy_type`` (identity, boundary, session, scp, rcp, resource, vpce)."""
    try:
        key = (policy_type, orjson.dumps(document)) if isinstance(document, dict) else None
    except (TypeError, orjson.JSONEncodeError):
        key = None
    cached = _CACHE.get(key) if key is not None else None
    if cached is None:
        doc = parse_policy(document)
        _check_elements(doc, policy_type)
        statements = tuple(_compile_statement(st, i) for i, st in enumerate(doc.statements, start=1))
        cached = (statements, _index(statements))
        if key is not None:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[key] = cached
    return CompiledPolicy(name, policy_type, *cached)


# -- one statement against one request ----------------------------------------------------------


def _conditions_state(st: CompiledStatement, ctx: Context, sink: list[tuple[CompiledKey, str]]) -> bool | None:
    pending: list[tuple[CompiledKey, str]] = []
    for k in st.conditions:
        if k.parsed is None:
            pending.append((k, f"operator {k.operator!r} is not supported"))
            continue
        present = ctx.get(k.key)
        if present is UNKNOWN:
            pending.append((k, f"context key {k.key!r} is not in the request"))
            continue
        missing_var = next((v for v in k.variables if ctx.get(v) is UNKNOWN), None)
        if missing_var is not None:
            pending.append((k, f"policy variable ${{{missing_var}}} is not in the request"))
            continue
        if not key_result(k.parsed, k.values, present, ctx.values):
            return False
    if pending:
        sink.extend(pending)
        return None
    return True


def statement_state(st: CompiledStatement, action: str, resource: str, principal: Principal, ctx: Context,
                    unresolved: list[tuple[CompiledKey, str]], *,
                    boundary_attached: bool = False) -> tuple[bool | None, str | None]:
    """(applies, category): ``applies`` True/False/None; ``category`` of the principal match in resource-side
    policies (``direct``, ``parent``, ``account``; ``direct`` for NotPrincipal), None in identity-side ones.
    The reasons of a None go to ``unresolved``. ``boundary_attached``: a Deny with NotPrincipal applies to a
    principal with a permissions boundary whatever it lists ("Permissions boundaries for IAM entities")."""
    if not st.actions.match(action):
        return False, None
    category = None
    if st.principal is not None:
        category = st.principal.category(principal.kind, principal.name, principal.forms)
        if category is None:
            return False, None
    elif st.not_principal is not None:
        forced = boundary_attached and not st.allow
        if not forced and st.not_principal.excludes_every_form(principal.kind, principal.name, principal.forms):
            return False, None
        category = "direct"
    pending: list[tuple[CompiledKey, str]] = []
    state: bool | None = True
    if st.resources is not None:
        state = st.resources.match(resource, ctx.get)
        if state is False:
            return False, None
        if state is None:
            pending.append((CompiledKey("Resource", "resource", None, st.resources.patterns, ()),
                            "a policy variable in Resource is not in the request"))
    if st.conditions:
        cond = _conditions_state(st, ctx, pending)
        if cond is False:
            return False, None
        if cond is None:
            state = None
    if state is None:
        unresolved.extend(pending)
    return state, category
