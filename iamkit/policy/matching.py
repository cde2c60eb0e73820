"""Match a request against the Action, Resource and Principal elements of a statement.

Semantics (IAM User Guide, "IAM JSON policy elements: Action / Resource / Principal" and "IAM policy
elements: Variables and tags"):

* Actions are matched case-insensitively; ``*`` matches any run of characters and ``?`` one, in the
  service prefix or the action name (:func:`iamkit.policy.actions.matches`).
* Resource ARNs are matched segment by segment: ``*`` and ``?`` match within one colon-separated
  segment, except that a ``*`` ending a segment may expand beyond the colon ("Resource" element,
  "Including wildcards in the resource ARN"). ``"*"`` matches every resource. Matching is
  case-sensitive.
* Policy variables ``${key}`` in a Resource are replaced by the request's context value; ``${key,
  'default'}`` uses the default when the key is absent; ``${*}``, ``${?}``, ``${$}`` are the literal
  characters (not wildcards). A variable whose key is absent (and has no default) makes that pattern
  match nothing, as AWS documents; a variable whose key is *unknown* (not given in the request and not
  one AWS's request context defines) makes the pattern unresolved (``None``).
* Principal values are compared literally (AWS accepts no partial wildcards in ``Principal``); an
  account id and ``arn:aws:iam::<id>:root`` both name the account. Each request principal comes with the
  forms under which a policy can name it (:attr:`Principal.forms`), each of a category: ``direct``
  (the user, the role session, ``*``), ``parent`` (the role of a session) or ``account``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from iamkit.policy import actions as catalog

__all__ = ["UNKNOWN", "ActionMatcher", "PrincipalMatcher", "ResourceMatcher", "CATEGORY_RANK", "glob_arn"]

#: a context value that the request does not give and that AWS would have set: cannot be decided
UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN", "__slots__": ()})()

CATEGORY_RANK = {"direct": 3, "parent": 2, "account": 1}

_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

Lookup = Callable[[str], Any]  # lower-cased key -> tuple | None (absent) | UNKNOWN


def _segment_regex(literal: str) -> str:
    out = []
    for i, c in enumerate(literal):
        if c == "*":
            out.append(".*" if i + 1 == len(literal) or literal[i + 1] == ":" else "[^:]*")
        elif c == "?":
            out.append("[^:]")
        else:
            out.append(re.escape(c))
    return "".join(out)


@functools.lru_cache(maxsize=16384)
def glob_arn(pattern: str) -> re.Pattern[str]:
    """The regex of a Resource pattern without variables (segment rules above)."""
    return re.compile(_segment_regex(pattern), re.DOTALL)


def _substituted_regex(pattern: str, lookup: Lookup) -> re.Pattern[str] | None | Any:
    """Regex for a pattern with variables; None: matches nothing; UNKNOWN: cannot be decided."""
    parts: list[str] = []
    pos = 0
    for m in _VARIABLE_RE.finditer(pattern):
        parts.append(_segment_regex(pattern[pos:m.start()]) if pos < m.start() else "")
        pos = m.end()
        inner = m.group(1).strip()
        if inner in _ESCAPES:
            parts.append(re.escape(_ESCAPES[inner]))
            continue
        key, sep, default = inner.partition(",")
        found = lookup(key.strip().lower())
        if found is UNKNOWN:
            return UNKNOWN
        if isinstance(found, tuple) and len(found) == 1:
            parts.append(re.escape(_as_text(found[0])))
            continue
        default = default.strip()
        if sep and len(default) >= 2 and default[0] == default[-1] == "'":
            parts.append(re.escape(default[1:-1]))
            continue
        return None
    parts.append(_segment_regex(pattern[pos:]))
    return _compiled("".join(parts))


@functools.lru_cache(maxsize=16384)
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.DOTALL)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ActionMatcher:
    """``Action`` or ``NotAction`` patterns: exact names in a set, wildcard patterns as cached regexes."""

    __slots__ = ("_all", "_exact", "_regexes", "negated", "services")

    def __init__(self, patterns: tuple[str, ...], negated: bool) -> None:
        self.negated = negated
        lowered = [p.lower() for p in patterns]
        self._all = any(p in ("*", "*:*") for p in lowered)
        self._exact = frozenset(p for p in lowered if "*" not in p and "?" not in p)
        self._regexes = tuple(catalog._compiled(p) for p in lowered
                              if ("*" in p or "?" in p) and p not in ("*", "*:*"))
        prefixes = {p.partition(":")[0] for p in lowered}
        #: the service prefixes the patterns can match (None: any service, e.g. "*", "s?:*" or NotAction)
        self.services = None if negated or self._all or any("*" in x or "?" in x for x in prefixes) else prefixes

    def _hit(self, action: str) -> bool:
        if self._all or action in self._exact:
            return True
        return any(r.fullmatch(action) is not None for r in self._regexes)

    def match(self, action_lower: str) -> bool:
        """``action_lower`` is the request's action in lower case."""
        return self._hit(action_lower) != self.negated


def covers_every_arn(pattern: str) -> bool:
    """``*``, ``arn:*``, ``arn:*:*...``, ``arn:aws:*`` (any partition): a pattern that matches every resource,
    hence the request resource ``*`` ("any resource", as the IAM policy simulator and iamkit's probes use it).
    A pattern naming a service or an account (``arn:aws:iam::*``) does not."""
    rest = pattern
    if rest.startswith("arn:"):
        head, sep, tail = rest[4:].partition(":")
        rest = tail if (sep and re.fullmatch(r"aws[a-z-]*", head)) else rest[4:]
    return "*" in rest and set(rest) <= {"*", ":"}


class ResourceMatcher:
    """``Resource`` or ``NotResource`` patterns. :meth:`match` answers True, False or None (unresolved).
    Literal ARNs are compared as strings; wildcard patterns are compiled (and cached) on first use."""

    __slots__ = ("_all", "_any", "_exact", "_variable", "_wild", "negated", "patterns")

    def __init__(self, patterns: tuple[str, ...], negated: bool) -> None:
        self.negated = negated
        self.patterns = patterns
        self._all = "*" in patterns
        #: the request resource "*" (any resource) is matched by these only: "*" or a pattern covering every ARN
        self._any = any(covers_every_arn(p) for p in patterns)
        self._exact = frozenset(p for p in patterns if "*" not in p and "?" not in p and "${" not in p)
        self._wild = tuple(p for p in patterns if ("*" in p or "?" in p) and "${" not in p and p != "*")
        self._variable = tuple(p for p in patterns if "${" in p)

    def _hit(self, resource: str, lookup: Lookup) -> bool | None:
        if self._all or resource in self._exact or (resource == "*" and self._any):
            return True
        for pattern in self._wild:
            if glob_arn(pattern).fullmatch(resource) is not None:
                return True
        unresolved = False
        for pattern in self._variable:
            regex = _substituted_regex(pattern, lookup)
            if regex is UNKNOWN:
                unresolved = True
            elif regex is not None and regex.fullmatch(resource) is not None:
                return True
        return None if unresolved else False

    def match(self, resource: str, lookup: Lookup) -> bool | None:
        hit = self._hit(resource, lookup)
        return None if hit is None else hit != self.negated


class PrincipalMatcher:
    """``Principal`` or ``NotPrincipal``: which category of the request's principal it names, if any."""

    __slots__ = ("_any", "_aws", "_canonical", "_federated", "_service")

    def __init__(self, principals: Mapping[str, tuple[str, ...]]) -> None:
        aws = principals.get("AWS", ())
        self._any = "*" in aws
        self._aws = frozenset(f"arn:aws:iam::{v}:root" if v.isdigit() and len(v) == 12 else v for v in aws)
        self._service = frozenset(v.lower() for v in principals.get("Service", ()))
        self._federated = frozenset(principals.get("Federated", ()))
        self._canonical = frozenset(principals.get("CanonicalUser", ()))

    @property
    def aws(self) -> frozenset[str]:
        """The ``AWS`` values named (12-digit account ids as their root ARN; ``*`` as written)."""
        return self._aws

    def category(self, kind: str, name: str | None, forms: Mapping[str, str]) -> str | None:
        """The best category under which the element names the principal (``direct`` for ``*``)."""
        if self._any:
            return "direct"
        if kind == "service":
            return "direct" if name is not None and name.lower() in self._service else None
        if kind == "federated":
            return "direct" if name in self._federated else None
        if kind == "canonical":
            return "direct" if name in self._canonical else None
        best = None
        for form, cat in forms.items():
            if form in self._aws and (best is None or CATEGORY_RANK[cat] > CATEGORY_RANK[best]):
                best = cat
        return best

    def excludes_every_form(self, kind: str, name: str | None, forms: Mapping[str, str]) -> bool:
        """For ``NotPrincipal``: True when every form of the principal is listed (the statement then
        does not apply to it). AWS checks each form, so a role session is excluded only when its
        session ARN, its role ARN and its account are all listed ("NotPrincipal" element)."""
        if self._any:
            return True
        if kind in ("service", "federated", "canonical", "anonymous"):
            return self.category(kind, name, forms) is not None
        return bool(forms) and all(form in self._aws for form in forms)
