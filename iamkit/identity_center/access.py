"""What a permission set can do in each account it reaches, and which IAM role it became there.

A permission set's policies in an account are: its AWS managed policies (by ARN), its inline policy,
its customer-managed policy *references* (name and path, resolved against that account's own
policies: the same reference means different documents in different accounts) and its permissions
boundary (an AWS managed ARN or a customer-managed reference). The account's SCP chain (root, OU...,
account; none for the management account, which SCPs never restrict) is applied on top.

Documents come from the evidence only: the account's GAAD (``iam/authorization_details.json``), which
lists customer managed policies and the AWS managed policies attached in that account (Identity
Center attaches the permission set's policies to the ``AWSReservedSSO_*`` role it provisions), else
the GAAD of another collected account (``pool``). A document found nowhere leaves the verdict
``unknown`` with the reason: it is never read as "no permissions".

Levels, worst first: ``admin``, decided by the same function as for IAM users and roles
(:func:`iamkit.admins.documents_admin`: the permission set's policies and boundary allow every IAM write on
``*``, and the account's SCP chain leaves the role it becomes there writing its own permissions; see
:mod:`iamkit.admins`), asked as the provisioned role ``AWSReservedSSO_<name>_<suffix>`` of the account's GAAD
(or a stand-in ARN of that form when the account's evidence lacks it); then, from the set of actions allowed
after boundary and SCPs (:func:`decide`), ``escalate`` (a catalogued escalation path's actions are all allowed:
:func:`iamkit.policy.escalation_paths_for`), ``write`` (some action that is not List/Read), ``read_only``,
``none``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from iamkit.admins import Judgement, documents_admin, scp_short
from iamkit.identity_center.tables import IdentityCenter
from iamkit.model import AUTHORIZATION_DETAILS, AccountModel
from iamkit.policy import PolicyError, access_level, effective_actions, escalation_paths_for

LEVELS = ("admin", "escalate", "write", "read_only", "none", "unknown")
LABELS = {"admin": "admin", "escalate": "can escalate", "write": "limited write", "read_only": "read-only",
          "none": "no access", "unknown": "unknown"}
#: AWS's catalog files a few reads (e.g. quicksight:DescribeDataSetPermissions) under Write or Permissions
#: management; an action named with a read verb counts as a read
_READ_VERB = re.compile(r"^[a-z0-9-]+:(Get|List|Describe|Search|Lookup|View|BatchGet|BatchDescribe|Query|Scan|Select)",
                        re.IGNORECASE)
SSO_ROLE = re.compile(r"^AWSReservedSSO_(?P<name>.+)_(?P<suffix>[0-9a-f]{16})$")


@dataclass(frozen=True)
class Access:
    level: str  # one of LEVELS
    methods: tuple[str, ...] = ()  # escalate: path ids and their actions; write: the write-level actions
    reason: str = ""  # why unknown; else a one-line summary of what was evaluated


# -- the levels below admin: the set of actions allowed --------------------------------------------------
def _allowed(docs: list[dict[str, Any]]) -> frozenset[str]:
    return effective_actions(docs, include_conditional=True, all_resources_only=False)


@lru_cache(maxsize=4096)
def _decide(identity: str, boundary: str, scps: str) -> tuple[str, tuple[str, ...]]:
    ident, bound, levels = json.loads(identity), json.loads(boundary), json.loads(scps)
    allowed = _allowed(ident)
    for docs in ([[bound]] if bound is not None else []) + (levels or []):
        allowed &= _allowed(docs)
    paths = escalation_paths_for(allowed)
    if paths:
        return "escalate", tuple(f"{p.id} ({p.name})" for p in paths)
    if not allowed:
        return "none", ()
    writes = sorted(a for a in allowed if access_level(a) not in ("List", "Read") and not _READ_VERB.match(a))
    return ("write", tuple(writes[:10]) + ((f"... {len(writes) - 10} more",) if len(writes) > 10 else ())) \
        if writes else ("read_only", ())


def decide(identity: list[dict[str, Any]], boundary: dict[str, Any] | None,
           scps: list[list[dict[str, Any]]] | None) -> tuple[str, tuple[str, ...]]:
    """(level, details) below ``admin`` (which :func:`iamkit.admins.documents_admin` decides first) of identity
    policies under an optional boundary and SCP levels (each level a list of documents; ``None``: no SCPs apply).
    Details are the escalation paths (``escalate``) or up to ten write-level actions (``write``). Raises
    PolicyError for a malformed document."""
    return _decide(json.dumps(identity, sort_keys=True), json.dumps(boundary, sort_keys=True),
                   json.dumps(scps, sort_keys=True))


def provisioned_role(ps_name: str, account_id: str, acct: AccountModel | None) -> str:
    """The ARN of the role IAM Identity Center provisions for permission set ``ps_name`` in the account: the
    ``AWSReservedSSO_<name>_<suffix>`` role of its GAAD, else a stand-in of that form (suffix zeros)."""
    if acct is not None and acct.bundle.has(AUTHORIZATION_DETAILS):
        roles = acct.roles[acct.roles["is_sso_provisioned"]]
        for arn, name in zip(roles["arn"], roles["role_name"], strict=True):
            m = SSO_ROLE.match(str(name))
            if m and m.group("name") == ps_name:
                return str(arn)
    partition = acct.partition if acct is not None else "aws"
    return f"arn:{partition}:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{ps_name}_{'0' * 16}"


# -- resolving documents ------------------------------------------------------------------------------
def policy_pool(accounts: Iterable[AccountModel]) -> dict[str, dict[str, Any]]:
    """AWS managed policy ARN -> document, from every account's GAAD that could be read."""
    pool: dict[str, dict[str, Any]] = {}
    for acct in accounts:
        if not acct.bundle.has(AUTHORIZATION_DETAILS):
            continue
        p = acct.policies
        for arn, doc in zip(p["arn"], p["document"], strict=True):
            if ":iam::aws:policy/" in str(arn) and doc:
                pool.setdefault(str(arn), doc)
    return pool


def _account_docs(acct: AccountModel | None) -> dict[str, dict[str, Any]]:
    if acct is None or not acct.bundle.has(AUTHORIZATION_DETAILS):
        return {}
    return {str(a): d for a, d in zip(acct.policies["arn"], acct.policies["document"], strict=True) if d}


def _ref_arn(account_id: str, ref: Mapping[str, Any] | tuple[str, str]) -> str:
    path, name = (ref if isinstance(ref, tuple) else (ref.get("Path") or "/", ref.get("Name")))
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def _boundary_arn(account_id: str, boundary: Mapping[str, Any] | None) -> str | None:
    if not boundary:
        return None
    if boundary.get("ManagedPolicyArn"):
        return str(boundary["ManagedPolicyArn"])
    return _ref_arn(account_id, boundary.get("CustomerManagedPolicyReference") or {})


def _scp_levels(org: Any, account_id: str) -> list[list[dict[str, Any]]] | None:
    if org is None or account_id == org.management_account_id:
        return None  # SCPs never restrict the management account
    if not org.policy_type_enabled("SERVICE_CONTROL_POLICY"):
        return None
    chain = org.scp_chain(account_id)
    return [[p["document"] for p in level] for level in chain] if chain else None


def permission_set_access(ps: Mapping[str, Any], account_id: str, acct: AccountModel | None, org: Any,
                          pool: Mapping[str, dict[str, Any]] | None = None) -> Access:
    """What permission set ``ps`` (a row of :attr:`IdentityCenter.permission_sets`) can do in ``account_id``."""
    if ps["inline_error"]:
        return Access("unknown", reason=f"{ps['name']}: {ps['inline_error']}")
    docs = _account_docs(acct)
    lookup = {**(pool or {}), **docs}
    wanted = list(ps["managed_arns"]) + [_ref_arn(account_id, r) for r in ps["customer_refs"]]
    boundary_arn = _boundary_arn(account_id, ps["boundary"])
    missing = [a for a in wanted + ([boundary_arn] if boundary_arn else []) if a not in lookup]
    if missing:
        where = "not collected" if acct is None else "not in its evidence"
        return Access("unknown", reason=f"the document of {', '.join(missing)} is unknown (account {account_id} "
                                        f"{where}); the permissions of {ps['name']} there cannot be judged")
    identity = [lookup[a] for a in wanted] + ([ps["inline"]] if ps["inline"] else [])
    if not identity:
        return Access("none", reason=f"{ps['name']} has no policy")
    boundary = lookup[boundary_arn] if boundary_arn else None
    judged = _admin(ps, account_id, acct, org, [lookup[a] for a in wanted], boundary, boundary_arn)
    if judged.error:
        return Access("unknown", reason=f"whether {ps['name']} is administrator in {account_id} is unknown: "
                                        f"{judged.error}")
    try:
        level, methods = ("admin", ()) if judged.admin else decide(identity, boundary, _scp_levels(org, account_id))
    except PolicyError as exc:
        return Access("unknown", reason=f"a policy of {ps['name']} is malformed ({exc})")
    parts = [f"{len(wanted)} managed/referenced polic{'y' if len(wanted) == 1 else 'ies'}"]
    parts += ["inline policy"] if ps["inline"] else []
    parts += [f"boundary {boundary_arn.rsplit('/', 1)[-1]}"] if boundary_arn else []
    scps = _scp_levels(org, account_id)
    parts += [f"SCP chain of {len(scps)} level(s)"] if scps else ["no SCPs"]
    unusual = scp_short(judged.scp) in ("protect it (guardrail)", "undecidable: counted admin", "do not cut")
    parts += [f"SCPs: {scp_short(judged.scp)}"] if judged.admin and unusual else []
    parts += ["not admin: the SCPs cut its IAM self-write"] if judged.cut_by.startswith("the SCP chain") else []
    return Access(level, methods, ", ".join(parts))


def _admin(ps: Mapping[str, Any], account_id: str, acct: AccountModel | None, org: Any, managed: list[dict[str, Any]],
           boundary: dict[str, Any] | None, boundary_arn: str | None) -> Judgement:
    """The administrator question (:func:`iamkit.admins.documents_admin`) for the permission set's role here."""
    named = [{"name": a.rsplit("/", 1)[-1], "document": d} for a, d in zip(
        list(ps["managed_arns"]) + [_ref_arn(account_id, r) for r in ps["customer_refs"]], managed, strict=True)]
    named += [{"name": f"inline policy of {ps['name']}", "document": ps["inline"]}] if ps["inline"] else []
    bound = {"name": str(boundary_arn).rsplit("/", 1)[-1], "document": boundary} if boundary is not None else None
    now = acct.now if acct is not None else org.now
    return documents_admin(provisioned_role(ps["name"], account_id, acct), named, bound, org, now)


def access_table(ic: IdentityCenter, accounts: Mapping[str, AccountModel], org: Any,
                 pool: Mapping[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """One row per (account, permission set) with an assignment: account_id, permission_set_arn,
    permission_set_name, level, label, methods, reason, people (distinct people holding it there)."""
    a = ic.assignments
    people = ic.people.groupby(["account_id", "permission_set_arn"])["user_id"].nunique()
    by_arn = {r["arn"]: r for r in ic.permission_sets.to_dict("records")}
    recs = []
    for (account_id, ps_arn), _ in a.groupby(["account_id", "permission_set_arn"], sort=True):
        ps = by_arn.get(ps_arn)
        if ps is None:
            acc = Access("unknown", reason=f"assigned permission set {ps_arn} is not in the permission set list")
            name = ps_arn
        else:
            acc, name = permission_set_access(ps, account_id, accounts.get(account_id), org, pool), ps["name"]
        recs.append({"account_id": account_id, "permission_set_arn": ps_arn, "permission_set_name": name,
                     "level": acc.level, "label": LABELS[acc.level], "methods": list(acc.methods),
                     "reason": acc.reason, "people": int(people.get((account_id, ps_arn), 0))})
    return pd.DataFrame.from_records(recs, columns=["account_id", "permission_set_arn", "permission_set_name", "level",
                                                    "label", "methods", "reason", "people"])


def sso_roles(acct: AccountModel, ic: IdentityCenter) -> pd.DataFrame:
    """The account's ``AWSReservedSSO_<name>_<suffix>`` roles linked to their permission set by name:
    role_arn, role_name, permission_set_name, permission_set_arn (None: no such permission set, a
    leftover of a deleted one), assigned (the permission set has an assignment in this account)."""
    roles = acct.roles[acct.roles["is_sso_provisioned"]]
    by_name = dict(zip(ic.permission_sets["name"], ic.permission_sets["arn"], strict=True))
    a = ic.assignments
    assigned = set(a.loc[a["account_id"] == acct.account_id, "permission_set_arn"])
    recs = []
    for arn, name in zip(roles["arn"], roles["role_name"], strict=True):
        m = SSO_ROLE.match(str(name))
        ps_name = m.group("name") if m else None
        ps_arn = by_name.get(ps_name) if ps_name else None
        recs.append({"role_arn": arn, "role_name": name, "permission_set_name": ps_name, "permission_set_arn": ps_arn,
                     "assigned": ps_arn in assigned})
    return pd.DataFrame.from_records(recs, columns=["role_arn", "role_name", "permission_set_name",
                                                    "permission_set_arn", "assigned"])
