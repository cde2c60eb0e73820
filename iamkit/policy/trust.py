"""Analyse role trust policies (``AssumeRolePolicyDocument``): who may assume the role, and how
the trust is restricted.

:func:`analyze_trust_policy` returns one :class:`TrustEntry` per (Allow statement, trusted
principal) for every Allow statement whose actions cover ``sts:AssumeRole``,
``sts:AssumeRoleWithWebIdentity``, ``sts:AssumeRoleWithSAML`` or ``sts:TagSession`` (directly,
by wildcard such as ``sts:*``/``*``, or through ``NotAction``).

Principal kinds:

* ``any``: ``"Principal": "*"``, ``{"AWS": "*"}`` or another kind with ``*``, an ARN whose account
  is a wildcard, and ``Allow`` + ``NotPrincipal`` (everyone except the listed principals).
* ``account``: a 12-digit account id or ``arn:<partition>:iam::<id>:root``.
* ``principal``: a user/role/assumed-role/federated-user ARN (account id extracted), or a unique
  id such as ``AROA...`` that IAM shows when the trusted principal was deleted (account unknown).
* ``service``: an AWS service principal such as ``ec2.amazonaws.com``.
* ``federated``: an OIDC provider ARN (``provider`` is the ARN, ``provider_host`` its host path,
  e.g. ``token.actions.githubusercontent.com``), a SAML provider ARN, or a bare identity-provider
  host such as ``cognito-identity.amazonaws.com``.
* ``canonical_user``: an S3 canonical user id (not expected in a trust policy; kept, not dropped).

Restrictions (``restricted_by``) are the condition keys from :data:`RESTRICTING_KEYS`, plus for
an OIDC/web-identity provider ``<provider-host>:sub``/``:aud`` (and ``:amr`` for Cognito), that
appear under a *positive* operator (``StringEquals``, ``StringLike``, ``ArnLike``, ...,
``ForAnyValue:...``) with no broad wildcard among their values. AWS evaluates a Condition block as
an AND across operators and keys and an OR across the values of one key: so one ``*`` among the
values of one (operator, key) voids that pair, but another operator on the same key that names a
narrow value still restricts (``StringEquals o-abc`` AND ``StringLike *`` is restricted to o-abc).
Not counted, because they do not constrain who assumes the role: negated operators
(``StringNotEquals`` ...) in an Allow, ``...IfExists`` and ``ForAllValues:`` (both are true when
the key is absent), and ``Null``.

A **Deny** statement restricts too when it covers the entry's actions, applies to every principal
(``"*"``) and has exactly one condition, a negated operator (``StringNotEquals``, ``StringNotLike``,
``ArnNotEquals``, ``ArnNotLike``, also ``...IfExists``) on one key with narrow values: "deny unless
aws:PrincipalOrgID is o-abc" leaves only the organization (the key absent also denies). A Deny with
several conditions denies only when all hold, which restricts nobody in general: not counted.

``identity_restricted`` is what makes a trust of *any* principal acceptable: a restriction on a key
that binds the caller's identity (:data:`IDENTITY_KEYS`: aws:PrincipalOrgID/OrgPaths,
aws:PrincipalAccount, aws:PrincipalArn, aws:userid, aws:username, and for requests made by a service
aws:SourceAccount/SourceArn/SourceOrgID/SourceOrgPaths). ``sts:ExternalId`` is *not* one: AWS
documents that the external id is not a secret, so anyone who learns it could assume a role that
trusts ``*`` with only an external id (it still counts for the external-id check of known accounts).

Confused deputy: AWS recommends ``aws:SourceArn``/``aws:SourceAccount`` (or
``aws:SourceOrgID``/``aws:SourceOrgPaths``) in the trust policy of a role that a service assumes on
your behalf, because the service may act for other customers (the "cross-service confused deputy"
pages of e.g. CloudTrail, Config, Personalize, IoT, EC2 Auto Scaling). That applies to service
principals in general; :data:`SERVICES_WITHOUT_SOURCE_CONTEXT` lists the exceptions: compute
services that assume the role to hand credentials to *your own* workload (an instance profile, a
Lambda execution role, an ECS task role, an App Runner instance role). There the role can only be
attached by someone allowed ``iam:PassRole`` in your account, so it is not a cross-customer
confused-deputy case (the control that matters is who may pass the role). Whether these
services put the source keys into their AssumeRole request is not documented consistently, so
requiring them can break the workload. Unsure, hence left out (treated as needing the keys): EKS
cluster and pod roles and other compute-like services. Service-linked roles (path ``/aws-service-role/``)
cannot be edited and should be skipped by callers. :func:`lacks_confused_deputy_protection`
applies the rule to one entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from iamkit.policy import actions as catalog
from iamkit.policy.conditions import parse_operator
from iamkit.policy.document import ConditionBlock, PolicyLike, Statement, parse_policy

__all__ = [
    "ASSUME_ACTIONS",
    "RESTRICTING_KEYS",
    "SERVICES_WITHOUT_SOURCE_CONTEXT",
    "SOURCE_CONTEXT_KEYS",
    "TrustEntry",
    "analyze_trust_policy",
    "classify_principal",
    "IDENTITY_KEYS",
    "is_broad_wildcard",
    "lacks_confused_deputy_protection",
]

ASSUME_ACTIONS: tuple[str, ...] = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
)

RESTRICTING_KEYS: tuple[str, ...] = (
    "sts:ExternalId",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:userid",
    "aws:username",
)
#: keys whose narrow values bind the caller's identity (see the module docstring)
IDENTITY_KEYS: frozenset[str] = frozenset(set(RESTRICTING_KEYS) - {"sts:ExternalId"})
_CANONICAL_KEY = {k.lower(): k for k in RESTRICTING_KEYS}

SOURCE_CONTEXT_KEYS: frozenset[str] = frozenset(
    {"aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths"}
)

SERVICES_WITHOUT_SOURCE_CONTEXT: frozenset[str] = frozenset(
    {
        "ec2.amazonaws.com",  # instance profiles
        "lambda.amazonaws.com",  # function execution roles
        "edgelambda.amazonaws.com",  # Lambda@Edge execution roles
        "ecs-tasks.amazonaws.com",  # ECS task and task-execution roles
        "tasks.apprunner.amazonaws.com",  # App Runner instance roles
    }
)

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ARN_RE = re.compile(r"^arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<res>.*)$")


@dataclass(frozen=True, slots=True)
class TrustEntry:
    """One trusted principal of one Allow statement in a trust policy."""

    statement_index: int  # 0-based position in the document
    sid: str | None
    principal_kind: str  # any | account | principal | service | federated | canonical_user
    principal: str  # the value as written ("*", an ARN, a service name, a provider ARN/host)
    account_id: str | None  # for account/principal, and provider ARNs
    service: str | None  # for service principals
    provider: str | None  # for federated principals: the provider ARN or host as written
    provider_host: str | None  # host path used in condition keys: "token.actions.githubusercontent.com"
    actions: tuple[str, ...]  # which of ASSUME_ACTIONS the statement allows
    conditions: ConditionBlock = field(default_factory=dict)  # operator -> key (lower) -> values
    restricted_by: tuple[str, ...] = ()  # effective restricting keys, e.g. ("sts:ExternalId",)
    sub_restricted: bool = False
    aud_restricted: bool = False
    sub_patterns: tuple[str, ...] = ()  # values of "<host>:sub" under positive operators
    identity_restricted: bool = False  # a restriction binds the caller's identity (see IDENTITY_KEYS)

    @property
    def condition_summary(self) -> str:
        """``StringEquals aws:sourceaccount=111122223333; ...`` (empty when unconditional)."""
        return "; ".join(
            f"{op} {key}={','.join(values)}" for op, block in self.conditions.items() for key, values in block.items()
        )


def classify_principal(kind: str, value: str) -> tuple[str, str | None, str | None, str | None]:
    """Return ``(principal_kind, account_id, provider_host, service)`` for one principal value."""
    value = value.strip()
    if value == "*":
        return "any", None, None, None
    if kind == "Service":
        return "service", None, None, value
    if kind == "CanonicalUser":
        return "canonical_user", None, None, None
    arn = _ARN_RE.match(value)
    if kind == "Federated":
        if arn is None:
            return "federated", None, value, None
        account = arn["account"] if _ACCOUNT_RE.match(arn["account"]) else None
        resource = arn["res"]
        host = resource.split("/", 1)[1] if resource.startswith("oidc-provider/") and "/" in resource else None
        return "federated", account, host, None
    # AWS principals
    if _ACCOUNT_RE.match(value):
        return "account", value, None, None
    if arn is None:  # a unique id (AROA..., AIDA...) left by a deleted principal, or a malformed value
        return "principal", None, None, None
    account = arn["account"]
    if "*" in account or "?" in account:
        return "any", None, None, None
    account_id = account if _ACCOUNT_RE.match(account) else None
    if arn["res"] == "root":
        return "account", account_id, None, None
    return "principal", account_id, None, None


_GITHUB_SUB_RE = re.compile(r"^repo:(?P<owner>[^/]*)(/(?P<rest>.*))?$")


def is_broad_wildcard(value: str, key: str | None = None) -> bool:
    """True when a condition value with wildcards restricts (almost) nothing.

    ``*``, ``*:*``, ``repo:*`` and ``repo:*/x:*`` (GitHub ``sub`` with a wildcard owner) are broad;
    ``repo:my-org/*`` or ``repo:my-org/app:ref:refs/heads/main`` are not. An EKS subject
    ``system:serviceaccount:<namespace>:<name>`` with a wildcard namespace (``system:serviceaccount:*:*``)
    is broad: any pod of any namespace of the cluster. ``aws:userid``/``aws:username`` starting with a
    wildcard (``*:alice``: any role session named alice) are broad. ARNs are broad when the
    account is wildcarded, or when there is no account (S3) and the resource starts with a
    wildcard. Account ids and organization ids with any wildcard are broad. A value without
    wildcards is never broad.
    """
    v = value.strip()
    if "*" not in v and "?" not in v:
        return False
    if re.sub(r"[*?:/._\-]", "", v) == "":
        return True
    k = (key or "").lower()
    if k.endswith(("sourceaccount", "principalaccount", "principalorgid", "sourceorgid", "externalid")):
        return True
    if k.endswith(("principalorgpaths", "sourceorgpaths")):
        return not re.match(r"^o-[a-z0-9]+/", v)
    if k.endswith(("aws:userid", "aws:username")):
        return v[0] in "*?"
    if v.lower().startswith("system:serviceaccount:"):
        namespace = v.split(":")[2] if v.count(":") >= 2 else ""
        return namespace == "" or "*" in namespace or "?" in namespace
    if v.lower().startswith("repo:"):
        m = _GITHUB_SUB_RE.match(v)
        return m is None or "*" in m["owner"] or "?" in m["owner"] or m["rest"] is None and "*" in v
    if v.lower().startswith("arn:"):
        parts = v.split(":", 5)
        if len(parts) < 6:
            return True
        account, resource = parts[4], parts[5]
        if "*" in account or "?" in account:
            return True
        return account == "" and resource[:1] in ("*", "?")
    return v[0] in "*?" and len(re.sub(r"[*?]", "", v)) < 3


def _assume_actions(st: Statement) -> tuple[str, ...]:
    if st.actions:
        return tuple(a for a in ASSUME_ACTIONS if any(catalog.matches(p, a) for p in st.actions))
    return tuple(a for a in ASSUME_ACTIONS if not any(catalog.matches(p, a) for p in st.not_actions))


_NEGATED_DENY_OPERATORS = frozenset({"stringnotequals", "stringnotequalsignorecase", "stringnotlike",
                                     "arnnotequals", "arnnotlike"})

Positive = dict[str, list[list[str]]]  # lower-cased key -> one value list per (operator, key) pair


def _restricting_values(conditions: ConditionBlock) -> Positive:
    """Lower-cased key -> the value lists of each positive operator on it (see module docstring)."""
    out: Positive = {}
    for operator, block in conditions.items():
        parsed = parse_operator(operator)
        if parsed is None:  # an operator iamkit does not know restricts nothing it can vouch for
            continue
        qualifier, name, if_exists = parsed
        if name == "null" or if_exists or qualifier == "forallvalues" or "not" in name:
            continue
        for key, values in block.items():
            out.setdefault(key, []).append(list(values))
    return out


def _restricts(key: str, lists: list[list[str]]) -> bool:
    """Operators on one key are ANDed: one narrow (operator, key) pair restricts."""
    return any(values and not any(is_broad_wildcard(v, key) for v in values) for values in lists)


def _deny_restrictions(statements: tuple[Statement, ...]) -> list[tuple[tuple[str, ...], str, list[str]]]:
    """(denied assume actions, lower-cased key, values) of each Deny that leaves only the principals
    matching one narrow condition (module docstring)."""
    out = []
    for st in statements:
        if st.is_allow or st.not_principals is not None or not st.principal_is_any():
            continue
        if len(st.conditions) != 1:
            continue
        operator, block = next(iter(st.conditions.items()))
        parsed = parse_operator(operator)
        if parsed is None or parsed[0] is not None or parsed[1] not in _NEGATED_DENY_OPERATORS or len(block) != 1:
            continue
        key, values = next(iter(block.items()))
        actions = _assume_actions(st)
        if actions and values and not any(is_broad_wildcard(v, key) for v in values):
            out.append((actions, key, list(values)))
    return out


def _entry(
    index: int, st: Statement, kind: str, value: str, actions: tuple[str, ...], positive: Positive
) -> TrustEntry:
    principal_kind, account_id, host, service = classify_principal(kind, value)
    provider = value if principal_kind == "federated" else None
    restricted: list[str] = [_CANONICAL_KEY[k] for k in _CANONICAL_KEY if k in positive and _restricts(k, positive[k])]
    sub_restricted = aud_restricted = False
    sub_patterns: tuple[str, ...] = ()
    if principal_kind == "federated" and host is not None:
        sub_key, aud_key, amr_key = (f"{host.lower()}:{s}" for s in ("sub", "aud", "amr"))
        sub_patterns = tuple(v for values in positive.get(sub_key, ()) for v in values)
        sub_restricted = _restricts(sub_key, positive.get(sub_key, []))
        aud_restricted = _restricts(aud_key, positive.get(aud_key, []))
        restricted += [k for k, ok in ((sub_key, sub_restricted), (aud_key, aud_restricted)) if ok]
        if _restricts(amr_key, positive.get(amr_key, [])):
            restricted.append(amr_key)
    return TrustEntry(
        statement_index=index,
        sid=st.sid,
        principal_kind=principal_kind,
        principal=value,
        account_id=account_id,
        service=service,
        provider=provider,
        provider_host=host,
        actions=actions,
        conditions=st.conditions,
        restricted_by=tuple(restricted),
        sub_restricted=sub_restricted,
        aud_restricted=aud_restricted,
        sub_patterns=sub_patterns,
        identity_restricted=bool(IDENTITY_KEYS.intersection(restricted)),
    )


def _with_denies(entry: TrustEntry, denies: list[tuple[tuple[str, ...], str, list[str]]]) -> TrustEntry:
    """``entry`` with the restrictions of the Deny statements that cover all of its actions."""
    added = []
    for actions, key, _values in denies:
        if not set(entry.actions) <= set(actions):
            continue
        canonical = _CANONICAL_KEY.get(key)
        if entry.provider_host is not None and key in (f"{entry.provider_host.lower()}:sub",):
            entry = replace(entry, sub_restricted=True)
            canonical = key
        elif entry.provider_host is not None and key == f"{entry.provider_host.lower()}:aud":
            entry = replace(entry, aud_restricted=True)
            canonical = key
        if canonical is not None and canonical not in entry.restricted_by and canonical not in added:
            added.append(canonical)
    if not added:
        return entry
    restricted = (*entry.restricted_by, *added)
    return replace(entry, restricted_by=restricted, identity_restricted=bool(IDENTITY_KEYS.intersection(restricted)))


def analyze_trust_policy(document: PolicyLike) -> list[TrustEntry]:
    """One :class:`TrustEntry` per trusted principal of each assume-capable Allow statement."""
    doc = parse_policy(document)
    denies = _deny_restrictions(doc.statements)
    entries: list[TrustEntry] = []
    for index, st in enumerate(doc.statements):
        if not st.is_allow:
            continue
        actions = _assume_actions(st)
        if not actions:
            continue
        positive = _restricting_values(st.conditions)
        if st.not_principals is not None:
            excluded = ",".join(v for values in st.not_principals.values() for v in values)
            entry = _entry(index, st, "AWS", "*", actions, positive)
            entries.append(replace(entry, principal=f"NotPrincipal:{excluded}"))
            continue
        principals: Mapping[str, tuple[str, ...]] = st.principals or {}
        for kind, values in principals.items():
            for value in values:
                entries.append(_entry(index, st, kind, value, actions, positive))
    return [_with_denies(e, denies) for e in entries] if denies else entries


def lacks_confused_deputy_protection(entry: TrustEntry) -> bool:
    """A service principal outside :data:`SERVICES_WITHOUT_SOURCE_CONTEXT` with no
    ``aws:SourceAccount``/``aws:SourceArn``/``aws:SourceOrgID``/``aws:SourceOrgPaths`` restriction."""
    if entry.principal_kind != "service" or entry.service is None:
        return False
    if entry.service.lower() in SERVICES_WITHOUT_SOURCE_CONTEXT:
        return False
    return not SOURCE_CONTEXT_KEYS.intersection(entry.restricted_by)
