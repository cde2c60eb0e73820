"""Evaluate an IAM ``Condition`` block against a request context.

Semantics follow the IAM User Guide ("Condition operators", "Single-valued vs. multivalued context
keys"); decisions where the guide leaves room are listed here.

* A block is true when every operator is true; an operator is true when every key under it is
  true; a key is true when the context value matches *any* of the policy values (for negated
  operators such as ``StringNotEquals``: matches *none* of them).
* Context keys are matched case-insensitively (the context mapping may use any case); values are
  compared case-sensitively except for ``...IgnoreCase``, ``Bool`` and ARN service/partition parts.
* A context value may be a scalar or a list (a multivalued key such as ``aws:TagKeys``). Without a
  set prefix, a positive operator is true when any context value matches; a negated operator is
  true when no context value matches.
* Missing key: positive operators are false, negated operators true; ``...IfExists`` is true;
  ``ForAnyValue:`` is false; ``ForAllValues:`` is true (an empty list counts as missing for the
  set prefixes). ``Null`` tests presence (``"true"``: the key is absent or null).
* ``ForAnyValue:`` = at least one context value satisfies the operator; ``ForAllValues:`` = every
  context value does (for a negated operator, "satisfies" means it matches none of the values).
* Policy variables ``${aws:username}`` etc. in policy values are substituted from the context
  (``${key, 'default'}`` supported; ``${*}``, ``${?}``, ``${$}`` are literal characters). A value
  whose variable cannot be resolved matches nothing.
* ``StringLike``/``ArnLike`` support ``*`` and ``?``. ``ArnEquals`` behaves as ``ArnLike`` (as in
  IAM); ARNs are compared component by component, the resource part being matched whole.
* Dates accept ISO 8601 (``2024-01-31``, ``2024-01-31T10:00:00Z``) or epoch seconds; naive
  datetimes are taken as UTC.
* An operator this module does not know raises :class:`UnsupportedConditionError` (a
  :class:`~iamkit.policy.document.PolicyError`), so callers can report "cannot decide" instead of
  guessing; malformed numbers, dates or addresses in the *policy* make that value match nothing,
  as IAM does.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from iamkit.policy.document import ConditionBlock, PolicyError

__all__ = [
    "OPERATORS",
    "UnsupportedConditionError",
    "evaluate_conditions",
    "key_result",
    "variables_in",
    "normalize_context",
    "parse_operator",
    "split_operator",
]


class UnsupportedConditionError(PolicyError):
    """The Condition block uses an operator this evaluator does not implement."""


Matcher = Callable[[str, Any], bool]  # (policy value, context value) -> matches


# -- value matchers ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, flags | re.DOTALL)


def _as_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _string_equals(p: str, v: Any) -> bool:
    return p == _as_str(v)


def _string_equals_ic(p: str, v: Any) -> bool:
    return p.casefold() == _as_str(v).casefold()


def _string_like(p: str, v: Any) -> bool:
    return _glob(p).fullmatch(_as_str(v)) is not None


_NUMBER_RE = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_ISO_DATE_RE = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?([zZ]|[+-]\d{2}:?\d{2})?)?")


def _number(value: Any) -> float | None:
    """The number ``value`` denotes, or None when it is not a number (a Numeric condition then does
    not match, as in AWS)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value):
        return float(value)
    return None


def _numeric(compare: Callable[[float, float], bool]) -> Matcher:
    def match(p: str, v: Any) -> bool:
        a, b = _number(v), _number(p)
        return a is not None and b is not None and compare(a, b)

    return match


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        if not _ISO_DATE_RE.fullmatch(text):
            return None  # not a date: a Date condition does not match, as in AWS
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:  # shaped like a date but not one (e.g. 2024-02-30)
            raise PolicyError(f"condition value {value!r} is not a calendar date ({exc})") from None
    else:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _dates(compare: Callable[[datetime, datetime], bool]) -> Matcher:
    def match(p: str, v: Any) -> bool:
        a, b = _date(v), _date(p)
        return a is not None and b is not None and compare(a, b)

    return match


def _bool(p: str, v: Any) -> bool:
    return p.strip().lower() == _as_str(v).strip().lower()


def _binary(p: str, v: Any) -> bool:
    return p.strip() == _as_str(v).strip()


def _ip(p: str, v: Any) -> bool:
    try:
        network = ipaddress.ip_network(p.strip(), strict=False)
        address = ipaddress.ip_address(_as_str(v).strip())
    except ValueError:
        return False
    return address.version == network.version and address in network


def _arn_like(p: str, v: Any) -> bool:
    want = p.split(":", 5)
    have = _as_str(v).split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return _glob(p).fullmatch(_as_str(v)) is not None  # "*" or a non-ARN value
    for i, (w, h) in enumerate(zip(want, have, strict=True)):
        flags = re.IGNORECASE if i < 3 else 0  # "arn", partition, service are case-insensitive
        if _glob(w, flags).fullmatch(h) is None:
            return False
    return True


# name (lower case) -> (matcher, negated)
OPERATORS: dict[str, tuple[Matcher, bool]] = {
    "stringequals": (_string_equals, False),
    "stringnotequals": (_string_equals, True),
    "stringequalsignorecase": (_string_equals_ic, False),
    "stringnotequalsignorecase": (_string_equals_ic, True),
    "stringlike": (_string_like, False),
    "stringnotlike": (_string_like, True),
    "numericequals": (_numeric(lambda a, b: a == b), False),
    "numericnotequals": (_numeric(lambda a, b: a == b), True),
    "numericlessthan": (_numeric(lambda a, b: a < b), False),
    "numericlessthanequals": (_numeric(lambda a, b: a <= b), False),
    "numericgreaterthan": (_numeric(lambda a, b: a > b), False),
    "numericgreaterthanequals": (_numeric(lambda a, b: a >= b), False),
    "dateequals": (_dates(lambda a, b: a == b), False),
    "datenotequals": (_dates(lambda a, b: a == b), True),
    "datelessthan": (_dates(lambda a, b: a < b), False),
    "datelessthanequals": (_dates(lambda a, b: a <= b), False),
    "dategreaterthan": (_dates(lambda a, b: a > b), False),
    "dategreaterthanequals": (_dates(lambda a, b: a >= b), False),
    "bool": (_bool, False),
    "binaryequals": (_binary, False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
    "arnequals": (_arn_like, False),
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
}


def parse_operator(operator: str) -> tuple[str | None, str, bool] | None:
    """``ForAnyValue:StringLikeIfExists`` -> ``("foranyvalue", "stringlike", True)``; None for an
    operator (or set-operator prefix) this module does not know."""
    name = operator.strip()
    qualifier: str | None = None
    prefix, sep, rest = name.partition(":")
    if sep:
        qualifier = prefix.lower()
        if qualifier not in ("foranyvalue", "forallvalues"):
            return None
        name = rest
    lower = name.lower()
    if_exists = lower.endswith("ifexists")
    if if_exists:
        lower = lower[: -len("ifexists")]
    if lower != "null" and lower not in OPERATORS:
        return None
    return qualifier, lower, if_exists


def split_operator(operator: str) -> tuple[str | None, str, bool]:
    """Like :func:`parse_operator`, raising :class:`UnsupportedConditionError` for an unknown operator."""
    parsed = parse_operator(operator)
    if parsed is None:
        raise UnsupportedConditionError(f"unsupported condition operator {operator!r}")
    return parsed


# -- context ----------------------------------------------------------------------------------

_MISSING = object()
_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")


def normalize_context(context: Mapping[str, Any] | None) -> dict[str, tuple[Any, ...] | None]:
    """Lower-case the keys; make every value a tuple (``None`` stays ``None`` = null)."""
    out: dict[str, tuple[Any, ...] | None] = {}
    for key, value in (context or {}).items():
        if value is None:
            out[key.lower()] = None
        elif isinstance(value, list | tuple | set | frozenset):
            out[key.lower()] = tuple(value)
        else:
            out[key.lower()] = (value,)
    return out


def variables_in(value: str) -> tuple[str, ...]:
    """The (lower-cased) context keys a policy value refers to as ``${key}`` or ``${key, 'default'}``
    (keys with a default and the literal escapes ``${*}``, ``${?}``, ``${$}`` are left out)."""
    out = []
    for inner in _VARIABLE_RE.findall(value):
        key, sep, _ = inner.strip().partition(",")
        if inner.strip() not in ("*", "?", "$") and not sep:
            out.append(key.strip().lower())
    return tuple(out)


def _substitute(value: str, context: Mapping[str, tuple[Any, ...] | None]) -> str | None:
    if "${" not in value:
        return value
    failed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal failed
        inner = match.group(1).strip()
        if inner in ("*", "?", "$"):
            return inner
        key, _, default = inner.partition(",")
        found = context.get(key.strip().lower())
        if found and len(found) == 1:
            return _as_str(found[0])
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        failed = True
        return ""

    result = _VARIABLE_RE.sub(replace, value)
    return None if failed else result


# -- evaluation -------------------------------------------------------------------------------


def _value_matches(matcher: Matcher, policy_values: Sequence[str | None], context_value: Any) -> bool:
    return any(p is not None and matcher(p, context_value) for p in policy_values)


def _key_result(
    operator: str,
    policy_values: tuple[str, ...],
    present: tuple[Any, ...] | None | object,
    context: Mapping[str, tuple[Any, ...] | None],
) -> bool:
    return key_result(split_operator(operator), policy_values, present, context)


def key_result(
    parsed: tuple[str | None, str, bool],
    policy_values: tuple[str, ...],
    present: tuple[Any, ...] | None | object,
    context: Mapping[str, tuple[Any, ...] | None],
) -> bool:
    """One key of one operator (``parsed`` from :func:`parse_operator`) against the context value
    ``present`` (a tuple, ``None`` for null, or absent)."""
    qualifier, name, if_exists = parsed
    if name == "null":
        is_null = present is _MISSING or present is None or present == ()
        return any(_bool(p, is_null) for p in policy_values)
    matcher, negated = OPERATORS[name]
    values: tuple[Any, ...] = present if isinstance(present, tuple) else ()
    resolved = [_substitute(p, context) for p in policy_values]

    def satisfied(v: Any) -> bool:
        hit = _value_matches(matcher, resolved, v)
        return not hit if negated else hit

    if not values:  # missing, null or empty
        if if_exists:
            return True
        if qualifier == "foranyvalue":
            return False
        if qualifier == "forallvalues":
            return True
        return negated
    if qualifier == "forallvalues":
        return all(satisfied(v) for v in values)
    if qualifier == "foranyvalue":
        return any(satisfied(v) for v in values)
    hit_any = any(_value_matches(matcher, resolved, v) for v in values)
    return not hit_any if negated else hit_any


def evaluate_conditions(
    conditions: ConditionBlock | Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]
) -> bool:
    """True when every operator/key of the block is satisfied by ``context``.

    ``conditions`` is a parsed ``Statement.conditions`` (or a raw Condition object; its keys are
    lower-cased and single values wrapped here). Raises :class:`UnsupportedConditionError` for an
    operator it does not know, before looking at any value.
    """
    for operator in conditions:
        split_operator(operator)
    ctx = normalize_context(context)
    for operator, block in conditions.items():
        for key, raw_values in block.items():
            values = raw_values if isinstance(raw_values, tuple | list) else (raw_values,)
            policy_values = tuple(_as_str(v) for v in values)
            present = ctx.get(key.lower(), _MISSING)
            if not _key_result(operator, policy_values, present, ctx):
                return False
    return True
