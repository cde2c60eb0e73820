"""A request object (the JSON of ``iamkit simulate --request``) -> :class:`~iamkit.policy.engine.Request`.

Fields: ``principal``, ``action`` (required); ``resource`` (default ``*``), ``resource_account`` (needed
when the resource ARN names no account, as S3 ARNs do, and the principal is an IAM identity),
``context`` (key -> string, number, boolean, list, or ``null`` for "absent"), ``identity_policies``,
``permissions_boundary``, ``session_policy``, ``scps`` and ``rcps`` (one list per level, root first),
``resource_policy``, ``vpc_endpoint_policy`` and ``management_account`` (the organization's management
account id: its principals are exempt from SCPs, its resources from RCPs).

A policy is a document, or ``{"name": ..., "document": ...}`` to name it in the answer; a level is a list of
policies, or ``{"name": "OU Workloads", "policies": [...]}``. Every error names the field
(``request[3].scps[1][0]: statement 2 (Sid 'X'): ...``) and is a :class:`PolicyError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from iamkit.policy.compiled import CompiledPolicy, compile_policy
from iamkit.policy.document import PolicyError
from iamkit.policy.engine import Level, Request
from iamkit.policy.request import build_context, parse_principal

__all__ = ["FIELDS", "request_from_mapping", "normalize_context_values"]

FIELDS = frozenset({"principal", "action", "resource", "resource_account", "context", "identity_policies",
                    "permissions_boundary", "session_policy", "scps", "rcps", "resource_policy",
                    "vpc_endpoint_policy", "management_account"})


def _fail(where: str, message: str) -> PolicyError:
    return PolicyError(f"{where}: {message}")


def _policy(value: Any, where: str, policy_type: str) -> CompiledPolicy:
    name = where.rpartition("].")[2] if "]." in where else where  # the field path inside the request
    if isinstance(value, Mapping) and "document" in value and "Statement" not in value:
        if not isinstance(value.get("name", ""), str) or set(value) - {"name", "document"}:
            raise _fail(where, "a named policy is {\"name\": string, \"document\": policy}")
        name = value.get("name") or where
        value = value["document"]
    try:
        return compile_policy(value, policy_type, name)
    except PolicyError as exc:
        raise _fail(where, str(exc)) from None


def _policies(value: Any, where: str, policy_type: str) -> tuple[CompiledPolicy, ...]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list of policies")
    return tuple(_policy(v, f"{where}[{i}]", policy_type) for i, v in enumerate(value))


def _levels(value: Any, where: str, policy_type: str) -> tuple[Level, ...]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list of levels (root first, account last), each a list of policies")
    levels = []
    for i, level in enumerate(value):
        here = f"{where}[{i}]"
        name = f"level {i + 1}" + (" (root)" if i == 0 else " (account)" if i == len(value) - 1 else "")
        if isinstance(level, Mapping):
            if not isinstance(level.get("name"), str) or "policies" not in level or set(level) - {"name", "policies"}:
                raise _fail(here, "a named level is {\"name\": string, \"policies\": [policy, ...]}")
            name, level = level["name"], level["policies"]
        levels.append(Level(name, _policies(level, here, policy_type)))
    return tuple(levels)


_FIELD_CACHE: dict[tuple[str, bytes], Any] = {}
_FIELD_CACHE_MAX = 20_000


def _cached(name: str, value: Any, build: Any) -> Any:
    """``build()`` once per distinct JSON value of a policy field: thousands of requests in one file usually share
    their principals' policies and SCP chains (names come from the field's path, the same in every request)."""
    try:
        key = (name, orjson.dumps(value))
    except (TypeError, orjson.JSONEncodeError):
        return build()
    hit = _FIELD_CACHE.get(key)
    if hit is None:
        hit = build()
        if len(_FIELD_CACHE) >= _FIELD_CACHE_MAX:
            _FIELD_CACHE.clear()
        _FIELD_CACHE[key] = hit
    return hit


def normalize_context_values(value: Any, where: str) -> dict[str, tuple[Any, ...] | None]:
    """Context object -> lower-cased key -> tuple of strings (None for null)."""
    if not isinstance(value, Mapping):
        raise _fail(where, "must be an object of condition keys")
    out: dict[str, tuple[Any, ...] | None] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise _fail(where, "condition keys must be non-empty strings")
        items = item if isinstance(item, list) else [item]
        if item is None:
            out[key.strip().lower()] = None
            continue
        values = []
        for v in items:
            if isinstance(v, bool):
                values.append("true" if v else "false")
            elif isinstance(v, int | float | str):
                values.append(str(v))
            else:
                raise _fail(f"{where}.{key}", "values must be strings, numbers, booleans or lists of them")
        out[key.strip().lower()] = tuple(values)
    return out


def _string(raw: Mapping[str, Any], name: str, where: str, default: str | None = None) -> str | None:
    value = raw.get(name, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _fail(f"{where}.{name}", "must be a non-empty string")
    return value.strip() if isinstance(value, str) else None


def _resource_account(resource: str, given: str | None, principal_account: str | None, where: str) -> str | None:
    parts = resource.split(":", 5)
    from_arn = parts[4] if len(parts) == 6 and parts[0] == "arn" and parts[4] else None
    if from_arn and given and from_arn != given:
        raise _fail(f"{where}.resource_account", f"{given} contradicts the account {from_arn} in the resource ARN")
    if from_arn or given:
        return from_arn or given
    if resource == "*":
        return principal_account
    if principal_account is not None:
        raise _fail(f"{where}.resource_account", f"needed: {resource!r} names no account")
    return None


def request_from_mapping(raw: Any, where: str, now: datetime) -> Request:
    """Validate one request object; ``where`` prefixes every error (e.g. ``requests.json: request[3]``)."""
    if not isinstance(raw, Mapping):
        raise _fail(where, "a request must be a JSON object")
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if unknown:
        raise _fail(f"{where}.{unknown[0]}", "unknown field (expected " + ", ".join(sorted(FIELDS)) + ")")
    for name in ("principal", "action"):
        if raw.get(name) is None:
            raise _fail(f"{where}.{name}", "is required")
    given = normalize_context_values(raw.get("context", {}), f"{where}.context")
    arn_given = given.get("aws:principalarn")
    try:
        principal = parse_principal(raw["principal"], arn_given[0] if arn_given else None)
    except PolicyError as exc:
        raise _fail(f"{where}.principal", str(exc)) from None
    action = _string(raw, "action", where)
    assert action is not None
    if action != "*" and ":" not in action:
        raise _fail(f"{where}.action", f"{action!r} is not of the form 'service:Action'")
    resource = _string(raw, "resource", where, "*") or "*"
    account = _resource_account(resource, _string(raw, "resource_account", where), principal.account, where)
    scps = rcps = None
    if raw.get("scps") is not None:
        scps = _cached("scps", raw["scps"], lambda: _levels(raw["scps"], f"{where}.scps", "scp"))
    if raw.get("rcps") is not None:
        rcps = _cached("rcps", raw["rcps"], lambda: _levels(raw["rcps"], f"{where}.rcps", "rcp"))

    def one(name: str, policy_type: str) -> CompiledPolicy | None:
        if raw.get(name) is None:
            return None
        return _cached(name, raw[name], lambda: _policy(raw[name], f"{where}.{name}", policy_type))

    context = build_context(principal, given, resource=resource, resource_account=account, now=now,
                            in_org=scps is not None, resource_in_org=rcps is not None)
    return Request(
        principal=principal, action=action, resource=resource, resource_account=account, context=context,
        identity=_cached("identity_policies", raw.get("identity_policies", []), lambda: _policies(
            raw.get("identity_policies", []), f"{where}.identity_policies", "identity")),
        boundary=one("permissions_boundary", "boundary"), session=one("session_policy", "session"),
        scps=scps, rcps=rcps, resource_policy=one("resource_policy", "resource"),
        vpce=one("vpc_endpoint_policy", "vpce"), management_account=_string(raw, "management_account", where),
    )
