"""Parse and normalise IAM policy documents.

Decisions:

* Input may be a mapping (as ``get-account-authorization-details`` returns it through the CLI or
  boto3), a JSON string, a URL-encoded JSON string (as the raw IAM query API returns it; ``+`` for
  space is tried if plain percent-decoding does not give JSON), bytes, or an already parsed
  :class:`PolicyDocument` (returned unchanged).
* Every ``Action``/``NotAction``/``Resource``/``NotResource`` value becomes a tuple of strings,
  so a single string and a one-element list parse to the same thing. Order is kept, duplicates
  are dropped.
* ``Principal``/``NotPrincipal`` become a mapping kind -> tuple of values, the kinds being
  ``AWS``, ``Service``, ``Federated`` and ``CanonicalUser`` (spelled canonically whatever case the
  document used). The bare wildcard ``"Principal": "*"`` is normalised to ``{"AWS": ("*",)}``,
  which IAM documents as equivalent; :meth:`Statement.principal_is_any` answers the question.
  ``None`` means the element is absent (identity policies have no principal).
* ``Condition`` becomes operator -> key -> tuple of strings. Condition keys are case-insensitive
  in IAM, so keys are lower-cased; operators keep their spelling (``conditions.py`` matches them
  case-insensitively). JSON booleans and numbers become their IAM string forms (``true``, ``42``).
  If one operator lists the same key twice in different case the values are merged.
* Malformed input raises :class:`PolicyError` (a ``ValueError`` and an
  :class:`iamkit.errors.BadInputError`) whose message is one line saying what is wrong and where
  (``statement 2 (Sid 'X'): ...``). The parser is strict about structure (Effect, exactly one of
  Action/NotAction, at most one of Resource/NotResource and Principal/NotPrincipal, string values,
  action syntax ``service:action`` or ``*``) and lenient about spelling (``allow`` is accepted as
  ``Allow``) so that exports with cosmetic quirks are not rejected.
* ``Resource`` is optional because trust policies (assume-role documents) have none.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from iamkit.errors import BadInputError

__all__ = [
    "PRINCIPAL_KINDS",
    "PolicyDocument",
    "PolicyError",
    "PolicyLike",
    "Statement",
    "parse_policy",
    "parse_policies",
]

PRINCIPAL_KINDS: tuple[str, ...] = ("AWS", "Service", "Federated", "CanonicalUser")
_KIND_BY_LOWER = {k.lower(): k for k in PRINCIPAL_KINDS}
_VALID_VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
_ACTION_RE = re.compile(r"^(\*|[A-Za-z0-9*?_.\-]+:[A-Za-z0-9*?_.\-]+)$")
_KNOWN_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)

Effect = Literal["Allow", "Deny"]
ConditionBlock: TypeAlias = Mapping[str, Mapping[str, tuple[str, ...]]]
PrincipalMap: TypeAlias = Mapping[str, tuple[str, ...]]


class PolicyError(BadInputError, ValueError):
    """A policy document is malformed. ``str(error)`` is a single line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True, slots=True)
class Statement:
    """One normalised policy statement. Sequences are tuples; mappings must not be mutated.

    Instances compare by value but are not hashable (they hold mappings).
    """

    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: PrincipalMap | None = None
    not_principals: PrincipalMap | None = None
    conditions: ConditionBlock = field(default_factory=dict)
    sid: str | None = None

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def has_conditions(self) -> bool:
        return bool(self.conditions)

    def principal_is_any(self) -> bool:
        """True when ``Principal`` is ``"*"`` or names ``"*"`` under any kind."""
        return self.principals is not None and any("*" in v for v in self.principals.values())

    def condition_keys(self) -> frozenset[str]:
        """All (lower-cased) condition keys used by this statement."""
        return frozenset(k for block in self.conditions.values() for k in block)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A parsed policy: its statements in document order, plus Version and Id if present."""

    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None

    def __iter__(self) -> Iterator[Statement]:
        return iter(self.statements)

    def __len__(self) -> int:
        return len(self.statements)


PolicyLike: TypeAlias = PolicyDocument | Mapping[str, Any] | str | bytes


def parse_policy(document: PolicyLike) -> PolicyDocument:
    """Parse one policy document from a mapping, JSON, URL-encoded JSON or bytes."""
    if isinstance(document, PolicyDocument):
        return document
    raw = decode_policy(document)
    if not isinstance(raw, Mapping):
        raise PolicyError(f"policy document must be a JSON object, got {_type_name(raw)}")
    version = raw.get("Version")
    if version is not None and (not isinstance(version, str) or version not in _VALID_VERSIONS):
        raise PolicyError(f"unsupported policy Version {version!r} (expected '2012-10-17' or '2008-10-17')")
    policy_id = raw.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyError(f"policy Id must be a string, got {_type_name(policy_id)}")
    if "Statement" not in raw:
        raise PolicyError("policy document has no Statement element")
    body = raw["Statement"]
    if isinstance(body, Mapping):
        body = [body]
    if not isinstance(body, list):
        raise PolicyError(f"Statement must be an object or a list of objects, got {_type_name(body)}")
    statements = tuple(_parse_statement(s, i) for i, s in enumerate(body, start=1))
    return PolicyDocument(statements=statements, version=version, id=policy_id)


def parse_policies(documents: PolicyLike | Iterable[PolicyLike] | None) -> tuple[PolicyDocument, ...]:
    """Parse one document or an iterable of documents; ``None`` gives an empty tuple."""
    if documents is None:
        return ()
    if isinstance(documents, PolicyDocument | Mapping | str | bytes):
        return (parse_policy(documents),)
    return tuple(parse_policy(d) for d in documents)


# -- internals -------------------------------------------------------------------------------


def _type_name(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def policy_dict(value: Any) -> dict[str, Any]:
    """A policy document as evidence holds it, as a dict for the model's tables: ``{}`` when absent
    (``None`` or empty) or when it decodes to something other than an object; decoded by
    :func:`decode_policy` otherwise (raises :class:`PolicyError` when it is not JSON)."""
    if value is None or (isinstance(value, str | bytes) and not value.strip()):
        return {}
    out = decode_policy(value)
    return dict(out) if isinstance(out, Mapping) else {}


def decode_policy(document: Mapping[str, Any] | str | bytes) -> Any:
    """The one decoder of policy documents (the model's tables and :func:`parse_policy` both use it): a
    mapping as is; bytes as UTF-8; JSON text; URL-encoded JSON text (text not starting with ``{`` that
    holds a ``%``; ``+`` means space when present). Raises :class:`PolicyError` otherwise."""
    if isinstance(document, Mapping):
        return document
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(f"policy document is not UTF-8 text: {exc.reason}") from None
    if not isinstance(document, str):
        raise PolicyError(f"policy document must be an object or JSON text, got {_type_name(document)}")
    text = document.strip()
    if not text:
        raise PolicyError("policy document is empty")
    if text[0] != "{" and "%" in text:
        # IAM's query API percent-encodes (RFC 3986: a literal '+' becomes %2B); a raw '+' therefore
        # means a tool form-encoded the text, with '+' for space
        text = (urllib.parse.unquote_plus(text) if "+" in text else urllib.parse.unquote(text)).strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"policy document is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None


def _where(index: int, sid: object) -> str:
    return f"statement {index}" + (f" (Sid {sid!r})" if isinstance(sid, str) and sid else "")


def _strings(value: Any, element: str, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise PolicyError(f"{where}: {element} must be a string or a list of strings, got {_type_name(value)}")
    out: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(f"{where}: {element} values must be strings, got {_type_name(item)}")
        out[item.strip()] = None
    if not out:
        raise PolicyError(f"{where}: {element} is an empty list")
    return tuple(out)


def _actions(value: Any, element: str, where: str) -> tuple[str, ...]:
    actions = _strings(value, element, where)
    for action in actions:
        if not _ACTION_RE.match(action):
            raise PolicyError(f"{where}: {element} {action!r} is not of the form 'service:action' or '*'")
    return actions


def _principals(value: Any, element: str, where: str) -> PrincipalMap:
    if isinstance(value, str):
        if value.strip() != "*":
            raise PolicyError(f"{where}: {element} must be '*' or an object such as {{\"AWS\": ...}}")
        return {"AWS": ("*",)}
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f"{where}: {element} must be '*' or a non-empty object, got {_type_name(value)}")
    out: dict[str, tuple[str, ...]] = {}
    for kind, values in value.items():
        canonical = _KIND_BY_LOWER.get(str(kind).lower())
        if canonical is None:
            raise PolicyError(
                f"{where}: unknown {element} kind {kind!r} (expected one of {', '.join(PRINCIPAL_KINDS)})"
            )
        merged = dict.fromkeys(out.get(canonical, ()))
        merged.update(dict.fromkeys(_strings(values, f"{element} {canonical}", where)))
        out[canonical] = tuple(merged)
    return out


def _condition_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    raise PolicyError(f"{where}: Condition values must be strings, numbers or booleans, got {_type_name(value)}")


def _conditions(value: Any, where: str) -> ConditionBlock:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: Condition must be an object, got {_type_name(value)}")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for operator, block in value.items():
        if not isinstance(operator, str) or not operator.strip():
            raise PolicyError(f"{where}: Condition operator must be a non-empty string")
        if not isinstance(block, Mapping):
            raise PolicyError(f"{where}: Condition operator {operator!r} must map to an object of keys")
        keys = out.setdefault(operator.strip(), {})
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            normalised = tuple(_condition_value(v, where) for v in items)
            lower = str(key).strip().lower()
            if not lower:
                raise PolicyError(f"{where}: Condition operator {operator!r} has an empty key")
            keys[lower] = tuple(dict.fromkeys(keys.get(lower, ()) + normalised))
    return out


def _parse_statement(raw: Any, index: int) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"statement {index}: must be an object, got {_type_name(raw)}")
    sid = raw.get("Sid")
    where = _where(index, sid)
    unknown = sorted(str(k) for k in raw if k not in _KNOWN_STATEMENT_KEYS)
    if unknown:
        raise PolicyError(f"{where}: unknown element {unknown[0]!r}")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}: Sid must be a string, got {_type_name(sid)}")

    effect_raw = raw.get("Effect")
    if not isinstance(effect_raw, str) or effect_raw.strip().lower() not in ("allow", "deny"):
        raise PolicyError(f"{where}: Effect must be 'Allow' or 'Deny', got {effect_raw!r}")
    effect: Effect = "Allow" if effect_raw.strip().lower() == "allow" else "Deny"

    for a, b in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
        if a in raw and b in raw:
            raise PolicyError(f"{where}: has both {a} and {b}")
    if "Action" not in raw and "NotAction" not in raw:
        raise PolicyError(f"{where}: has neither Action nor NotAction")

    def opt(name: str, parse: Any) -> Any:
        return parse(raw[name], name, where) if name in raw else None

    return Statement(
        effect=effect,
        actions=opt("Action", _actions) or (),
        not_actions=opt("NotAction", _actions) or (),
        resources=opt("Resource", _strings) or (),
        not_resources=opt("NotResource", _strings) or (),
        principals=opt("Principal", _principals),
        not_principals=opt("NotPrincipal", _principals),
        conditions=_conditions(raw["Condition"], where) if raw.get("Condition") is not None else {},
        sid=sid or None,
    )
