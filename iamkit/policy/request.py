"""The request AWS authorizes: who (principal), what (action), on what (resource), and its context.

Decisions (IAM User Guide, "Policy evaluation logic" > "Processing the request context", and "AWS
global condition context keys"):

* A principal is an IAM user, an IAM role (a session of it whose name is not known), an assumed-role
  session (``arn:aws:sts::<acct>:assumed-role/<role>/<session>``), a federated-user session, the account
  root user, a service principal (``lambda.amazonaws.com``), a web-identity or SAML provider
  (``{"Federated": ...}``), a canonical user (``{"CanonicalUser": ...}``), or ``anonymous``.
* The context is completed with the keys AWS always sets for that principal (``aws:PrincipalArn``,
  ``aws:PrincipalAccount``, ``aws:PrincipalType``, ``aws:username`` for users, ``aws:userid`` for
  anonymous, ``aws:PrincipalIsAWSService``, ``aws:PrincipalServiceName``, ``aws:SecureTransport``
  (``true``: SDK calls use HTTPS), ``aws:ViaAWSService`` (``false``), ``aws:CurrentTime``/``aws:EpochTime``,
  ``aws:RequestedRegion`` from the resource ARN, ``aws:ResourceAccount``), unless the request gives them.
  The role ARN of a session is taken from ``aws:PrincipalArn`` when given (only it carries the role's path).
* A key the request does not give is *absent* when it is a global key AWS sets only sometimes (MFA,
  tags, VPC endpoint, source ARN, ...), or when the request says so with ``null``. It is *unknown*
  (:data:`~iamkit.policy.matching.UNKNOWN`, so a condition on it cannot be decided) when AWS always sets
  it (``aws:SourceIp``, ``aws:userid``, the org keys of a principal in an organization, ...) or when it is a
  service-specific key (``s3:prefix``, ``sts:ExternalId``, ...) or a key this module does not know.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from iamkit.policy.document import PolicyError
from iamkit.policy.matching import UNKNOWN

__all__ = ["Context", "Principal", "parse_principal", "build_context"]

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$")
_SERVICE_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$", re.IGNORECASE)

#: global keys AWS sets in every request of a principal (absent from a request -> unknown)
ALWAYS_SET = frozenset({
    "aws:sourceip", "aws:requestedregion", "aws:userid", "aws:principalorgid", "aws:principalorgpaths",
    "aws:resourceorgid", "aws:resourceorgpaths", "aws:resourceaccount", "aws:useragent", "aws:principalarn",
    "aws:principalaccount", "aws:principaltype", "aws:currenttime", "aws:epochtime", "aws:securetransport",
})
#: global keys AWS sets only in some requests (absent from a request -> absent)
SOMETIMES_SET = frozenset({
    "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:sourcevpc", "aws:sourcevpce",
    "aws:vpcsourceip", "aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:viaawsservice",
    "aws:tagkeys", "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths",
    "aws:federatedprovider", "aws:tokenissuetime", "aws:referer", "aws:sourceidentity", "aws:rolesessionname",
    "aws:principalisawsservice", "aws:principalservicename", "aws:principalservicenameslist", "aws:username",
    "aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4", "aws:sourcevpcarn", "aws:vpceaccount",
    "aws:vpceorgid", "aws:vpceorgpaths", "aws:isMcpServiceAction".lower(), "aws:assumedroot",
})
_SOMETIMES_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes the request. ``forms``: AWS principal values naming it -> category (see matching.py)."""

    kind: str  # user | role | session | federated_user | root | service | federated | canonical | anonymous
    value: str  # as given (ARN, service name, provider, canonical id, "anonymous")
    account: str | None = None
    principal_arn: str | None = None
    principal_type: str | None = None  # aws:PrincipalType
    name: str | None = None  # user name, role name, service name, provider, canonical id
    forms: Mapping[str, str] = field(default_factory=dict)
    service_linked: bool = False
    partition: str = "aws"

    @property
    def is_aws_identity(self) -> bool:
        """An IAM identity of an account (identity policies, SCPs and boundaries apply to it)."""
        return self.kind in ("user", "role", "session", "federated_user", "root")

    @property
    def is_session(self) -> bool:
        return self.kind in ("role", "session", "federated_user")


def parse_principal(value: Any, principal_arn: str | None = None) -> Principal:
    """Parse the request's principal (a string, or ``{"Service"|"Federated"|"CanonicalUser"|"AWS": value}``)."""
    if isinstance(value, Mapping) and len(value) == 1:
        kind, item = next(iter(value.items()))
        if not isinstance(item, str) or not item.strip():
            raise PolicyError(f"principal {kind} must be a non-empty string")
        low = str(kind).lower()
        if low == "service":
            return Principal("service", item, name=item.lower())
        if low == "federated":
            return Principal("federated", item, name=item, principal_type="WebIdentityUser")
        if low == "canonicaluser":
            return Principal("canonical", item, name=item)
        if low == "aws":
            return parse_principal(item, principal_arn)
        raise PolicyError(f"unknown principal kind {kind!r} (expected Service, Federated, CanonicalUser or AWS)")
    if not isinstance(value, str) or not value.strip():
        raise PolicyError("principal must be an ARN, a service principal, 'anonymous' or a one-key object")
    return _parse_text(value, principal_arn)


@functools.lru_cache(maxsize=65536)
def _parse_text(value: str, principal_arn: str | None) -> Principal:
    text = value.strip()
    if text.lower() in ("anonymous", "*"):
        return Principal("anonymous", "anonymous", principal_type="Anonymous")
    if _ACCOUNT_RE.match(text):
        text = f"arn:aws:iam::{text}:root"
    if _SERVICE_RE.match(text):
        return Principal("service", text, name=text.lower())
    m = _ARN_RE.match(text)
    if not m:
        raise PolicyError(f"principal {text!r} is not a user, role, session or root ARN, a service principal "
                          "or 'anonymous'")
    partition, service, account, rest = m.groups()
    return _arn_principal(text, partition, service, account, rest, principal_arn)


def _arn_principal(arn: str, partition: str, service: str, account: str, rest: str,
                   principal_arn: str | None) -> Principal:
    root = f"arn:{partition}:iam::{account}:root"
    kind, _, path_name = rest.partition("/")
    name = path_name.rsplit("/", 1)[-1] if path_name else None
    common: dict[str, Any] = {"account": account, "partition": partition, "name": name}
    if service == "iam" and rest == "root":
        return Principal("root", arn, principal_arn=arn, principal_type="Account", forms={root: "account"},
                         account=account, partition=partition)
    if service == "iam" and kind == "user" and name:
        return Principal("user", arn, principal_arn=arn, principal_type="User",
                         forms={arn: "direct", root: "account"}, **common)
    if service == "iam" and kind == "role" and name:
        return Principal("role", arn, principal_arn=arn, principal_type="AssumedRole",
                         forms={arn: "parent", root: "account"},
                         service_linked=path_name.startswith("aws-service-role/"), **common)
    if service == "sts" and kind == "assumed-role" and path_name.count("/") == 1:
        role_name, session = path_name.split("/")
        role_arn = principal_arn or f"arn:{partition}:iam::{account}:role/{role_name}"
        return Principal("session", arn, account=account, partition=partition, name=role_name,
                         principal_arn=role_arn, principal_type="AssumedRole",
                         forms={arn: "direct", role_arn: "parent", root: "account"},
                         service_linked="/aws-service-role/" in role_arn)
    if service == "sts" and kind == "federated-user" and name:
        return Principal("federated_user", arn, principal_arn=arn, principal_type="FederatedUser",
                         forms={arn: "direct", root: "account"}, **common)
    if service == "iam" and kind in ("saml-provider", "oidc-provider"):
        return Principal("federated", arn, name=arn, principal_type="SAMLUser" if kind == "saml-provider"
                         else "WebIdentityUser")
    raise PolicyError(f"principal {arn!r} is not a user, role, assumed-role session, federated user or root ARN")


# -- context --------------------------------------------------------------------------------------


class Context:
    """The request context: lower-cased key -> tuple of values, or None (absent); see module docstring."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, tuple[Any, ...] | None]) -> None:
        self.values = values

    def get(self, key: str) -> Any:
        """tuple | None (absent) | UNKNOWN for a lower-cased key."""
        values = self.values
        if key in values:
            return values[key]
        if key in SOMETIMES_SET or key.startswith(_SOMETIMES_PREFIXES):
            return None
        return UNKNOWN


def _arn_region(resource: str) -> str | None:
    parts = resource.split(":", 5)
    return parts[3] if len(parts) == 6 and parts[0] == "arn" and parts[3] else None


def build_context(principal: Principal, given: Mapping[str, tuple[Any, ...] | None], *, resource: str,
                  resource_account: str | None, now: datetime, in_org: bool, resource_in_org: bool) -> Context:
    """The completed context: what AWS sets for ``principal``, overridden by what the request ``given``."""
    ctx: dict[str, tuple[Any, ...] | None] = {
        "aws:securetransport": ("true",),
        "aws:currenttime": (now.isoformat().replace("+00:00", "Z"),),
        "aws:epochtime": (str(int(now.timestamp())),),
        "aws:principalisawsservice": ("true" if principal.kind == "service" else "false",),
    }
    if principal.kind != "service":
        ctx["aws:viaawsservice"] = ("false",)
    if principal.principal_arn:
        ctx["aws:principalarn"] = (principal.principal_arn,)
    if principal.account:
        ctx["aws:principalaccount"] = (principal.account,)
    if principal.principal_type:
        ctx["aws:principaltype"] = (principal.principal_type,)
    if principal.kind == "user" and principal.name:
        ctx["aws:username"] = (principal.name,)
    if principal.kind == "service" and principal.name:
        ctx["aws:principalservicename"] = (principal.name,)
        ctx["aws:sourceip"] = None  # AWS sets no source IP for calls a service makes as a service principal
    if principal.kind in ("anonymous", "service", "federated", "canonical"):
        for key in ("aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths"):
            ctx.setdefault(key, None)
        if principal.kind == "anonymous":
            ctx["aws:userid"] = ("anonymous",)
    if not in_org:
        ctx["aws:principalorgid"] = ctx["aws:principalorgpaths"] = None
    if not resource_in_org:
        ctx["aws:resourceorgid"] = ctx["aws:resourceorgpaths"] = None
    if resource_account:
        ctx["aws:resourceaccount"] = (resource_account,)
    region = _arn_region(resource)
    if region:
        ctx["aws:requestedregion"] = (region,)
    ctx.update(given)
    return Context(ctx)
