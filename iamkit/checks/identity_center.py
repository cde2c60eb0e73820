"""IAM Identity Center checks (iamkit best practice; area ``cross_account``): who can do what where.

What each check reads, what one finding is about and when it says which status:
``identity_center.metadata.yaml`` beside this module (rendered in docs/checks.md).

* Without the organization bundle: NOT_APPLICABLE for a standalone account, else ERROR (evidence
  missing); a denied Identity Center call is an ERROR with the manifest's reason; no instance in the
  collected region is NOT_APPLICABLE ("no Identity Center instance").
* Per account (the account the assignment targets): ``sso.permission_set.admin`` and
  ``sso.permission_set.privilege_escalation`` per permission set assigned there (resource: the
  permission set ARN), ``sso.assignment.direct_user`` and ``sso.group.empty_or_orphaned`` per
  assigned principal (resource: its Identity Store ARN); ``sso.assignment.management_account`` in
  the management account only. An account no assignment reaches is NOT_APPLICABLE.
* Per permission set, reported in the instance's own account: ``sso.permission_set.session_duration``
  and ``sso.permission_set.inline_wildcards``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pandas as pd

from iamkit.checks.registry import CheckContext, CheckFn, check
from iamkit.evidence import SSO_ASSIGNMENTS, SSO_GROUPS, SSO_INSTANCES, SSO_PERMISSION_SETS, SSO_USERS
from iamkit.findings import Finding, Status
from iamkit.identity_center import LABELS, IdentityCenter, identity_center_of, permission_set_access, sso_roles
from iamkit.model import MissingEvidence
from iamkit.policy import PolicyError, parse_policy
from iamkit.reads import Memo

PS_TYPE = "AwsSsoPermissionSet"
_ACCESS = Memo()
PRINCIPAL_TYPE = {"USER": "AwsIdentityStoreUser", "GROUP": "AwsIdentityStoreGroup"}


def _instance(ctx: CheckContext) -> tuple[IdentityCenter] | Finding:
    """The Identity Center evidence, or the NOT_APPLICABLE finding that replaces every verdict."""
    acct = ctx.account
    if ctx.org is None:
        kind, why, _ = acct.membership()
        if kind == "standalone":
            return ctx.finding(Status.NOT_APPLICABLE, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                               detail=f"An organization instance of IAM Identity Center needs AWS Organizations; "
                                      f"{why}.")
        raise MissingEvidence(acct.bundle, "evidence/organization (organization bundle with identity_center/)")
    ic = identity_center_of(ctx.org)
    if not ic.has_instance:
        return ctx.finding(Status.NOT_APPLICABLE, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                           evidence=[ic.ref(SSO_INSTANCES, "Instances")],
                           detail=f"No Identity Center instance: ListInstances in {ic.region or '?'} answered "
                                  "none, so no person reaches this account through Identity Center.")
    return (ic,)


def _here(ctx: CheckContext, ic: IdentityCenter) -> pd.DataFrame:
    return ic.by_account.get(ctx.account.account_id, ic.assignments.iloc[0:0])


def _reached(ctx: CheckContext) -> tuple[IdentityCenter, pd.DataFrame] | Finding:
    """The Identity Center and this account's assignments, or the NOT_APPLICABLE finding when there is no
    instance or no assignment reaches the account."""
    got = _instance(ctx)
    if isinstance(got, Finding):
        return got
    ic = got[0]
    here = _here(ctx, ic)
    if not here.empty:
        return ic, here
    return ctx.finding(Status.NOT_APPLICABLE, resource_arn=ctx.account.root_arn(), resource_type="AwsAccount",
                       evidence=[ic.ref(SSO_ASSIGNMENTS, f"AccountId={ctx.account.account_id}")],
                       detail="No Identity Center assignment reaches this account.")


def _gated(check_id: str, gate: Callable[[CheckContext], tuple[Any, ...] | Finding]) -> Callable[[Any], CheckFn]:
    """Register ``fn(ctx, *gate(ctx))`` as ``check_id``; when the gate answers with a finding (NOT_APPLICABLE: no
    instance, no assignment here), that finding is the check's only one."""

    def deco(fn: Callable[..., Iterator[Finding]]) -> CheckFn:
        @functools.wraps(fn)
        def run(ctx: CheckContext) -> Iterator[Finding]:
            got = gate(ctx)
            if isinstance(got, Finding):
                yield got
                return
            yield from fn(ctx, *got)

        return check(check_id)(run)

    return deco


def _people(ic: IdentityCenter, account_id: str, ps_arn: str) -> list[str]:
    return ic.holders.get((account_id, ps_arn), [])


def _n(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _names(items: list[str], limit: int = 10) -> str:
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _role_note(ctx: CheckContext, ic: IdentityCenter, ps_arn: str) -> str:
    roles = sso_roles(ctx.account, ic)
    found = roles.loc[roles["permission_set_arn"] == ps_arn, "role_arn"].tolist()
    return f" IAM role in this account: {found[0]}." if found else \
        " No AWSReservedSSO_ role of it is in this account's IAM evidence (not provisioned yet?)."


def _access_rows(ctx: CheckContext, ic: IdentityCenter) -> Iterator[tuple[dict[str, Any], Any, list[str], str]]:
    """(permission set row, Access, people, evidence locator) per permission set assigned in this account."""
    by_arn = {r["arn"]: r for r in ic.permission_sets.to_dict("records")}
    acct_id = ctx.account.account_id
    for ps_arn in sorted(set(_here(ctx, ic)["permission_set_arn"])):
        ps = by_arn.get(ps_arn)
        if ps is None:
            raise MissingEvidence(ic.bundle, f"{SSO_PERMISSION_SETS} (assigned permission set {ps_arn} not listed)")
        # the admin and escalation checks share one evaluation per account
        access = _ACCESS.get(ctx.account, ps_arn, partial(permission_set_access, ps, acct_id, ctx.account, ctx.org))
        yield ps, access, _people(ic, acct_id, ps_arn), f"PermissionSetArn={ps_arn}"


def _per_set(ctx: CheckContext, ic: IdentityCenter,
             judge: Callable[[dict[str, Any], Any, list[str], dict[str, Any]], Finding]) -> Iterator[Finding]:
    """``judge(permission set row, Access, people, finding keywords)`` per permission set assigned in this account;
    ERROR for a set whose policy documents are unknown."""
    for ps, acc, people, loc in _access_rows(ctx, ic):
        if acc.level == "unknown":
            yield ctx.error(acc.reason, resource_arn=ps["arn"], resource_type=PS_TYPE)
            continue
        yield judge(ps, acc, people, {"resource_arn": ps["arn"], "resource_type": PS_TYPE,
                                      "evidence": [ic.ref(SSO_PERMISSION_SETS, loc), ic.ref(SSO_ASSIGNMENTS, loc)]})


@_gated("sso.permission_set.admin", _reached)
def permission_set_admin(ctx: CheckContext, ic: IdentityCenter, _here_rows: pd.DataFrame) -> Iterator[Finding]:
    def judge(ps: dict[str, Any], acc: Any, people: list[str], kw: dict[str, Any]) -> Finding:
        others = [a for a in ic.accounts_of.get(ps["arn"], []) if a != ctx.account.account_id]
        also = f" It is also assigned in {len(others)} other account(s): {_names(others)}." if others else ""
        who = f"held by {_n(len(people))} ({_names(people)})" if people else "held by nobody (no members)"
        if acc.level == "admin":
            return ctx.finding(Status.FAIL, **kw,
                               detail=f"Permission set {ps['name']} is administrator in this account ({acc.reason}), "
                                      f"{who}.{also}{_role_note(ctx, ic, ps['arn'])}")
        return ctx.finding(Status.PASS, **kw, detail=f"Permission set {ps['name']} is not administrator in this "
                                                     f"account ({LABELS[acc.level]}; {acc.reason}), {who}.")

    yield from _per_set(ctx, ic, judge)


@_gated("sso.permission_set.privilege_escalation", _reached)
def permission_set_escalation(ctx: CheckContext, ic: IdentityCenter, _here_rows: pd.DataFrame) -> Iterator[Finding]:
    def judge(ps: dict[str, Any], acc: Any, people: list[str], kw: dict[str, Any]) -> Finding:
        if acc.level == "admin":
            return ctx.finding(Status.NOT_APPLICABLE, **kw,
                               detail=f"Permission set {ps['name']} is already administrator in this account "
                                      "(see sso.permission_set.admin).")
        if acc.level == "escalate":
            return ctx.finding(Status.FAIL, **kw,
                               detail=f"Permission set {ps['name']} holds every action of {len(acc.methods)} "
                                      f"privilege-escalation path(s) in this account: {_names(list(acc.methods), 5)} "
                                      f"({acc.reason}); potential, resources and prerequisites not checked; "
                                      f"held by {_n(len(people))} ({_names(people)}).")
        return ctx.finding(Status.PASS, **kw,
                           detail=f"Permission set {ps['name']} holds no catalogued escalation path in this account "
                                  f"({LABELS[acc.level]}; {acc.reason}).")

    yield from _per_set(ctx, ic, judge)


def _principals(ic: IdentityCenter, rows: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    yield from rows.groupby("principal_arn", sort=True)


def _label(g: pd.DataFrame) -> str:
    r = g.iloc[0]
    kind = "group" if r["principal_type"] == "GROUP" else "user"
    return f"{kind} {r['principal_name']}" if not r["orphaned"] else f"deleted {kind} {r['principal_id']}"


@_gated("sso.assignment.management_account", _instance)
def management_account(ctx: CheckContext, ic: IdentityCenter) -> Iterator[Finding]:
    mgmt = ctx.org.management_account_id
    if not mgmt:
        raise MissingEvidence(ctx.org.bundle, "organizations/organization.json (management account id)")
    if ctx.account.account_id != mgmt:
        return
    here = _here(ctx, ic)
    ev = [ic.ref(SSO_ASSIGNMENTS, f"AccountId={mgmt}"), ic.ref(SSO_GROUPS), ic.ref(SSO_USERS)]
    if here.empty:
        yield ctx.finding(Status.PASS, resource_arn=ctx.account.root_arn(), resource_type="AwsAccount", evidence=ev,
                          detail="No Identity Center assignment reaches the management account.")
        return
    allowed = set(ctx.settings.sso_break_glass_groups)
    for arn, g in _principals(ic, here):
        r = g.iloc[0]
        sets = sorted(set(g["permission_set_name"].astype(str)))
        people = sorted(set(ic.people.loc[(ic.people["account_id"] == mgmt) & ic.people["permission_set_arn"].isin(
            g["permission_set_arn"]) & (ic.people["via"] == ("direct" if r["principal_type"] == "USER" else
                                                             f"group {r['principal_name']}")), "user_name"]))
        what = f"{_label(g)} ({_n(len(people))}: {_names(people)})" if r["principal_type"] == "GROUP" else _label(g)
        ok = r["principal_type"] == "GROUP" and not r["orphaned"] and r["principal_name"] in allowed
        status = Status.PASS if ok else Status.FAIL
        why = "the named break-glass group (parameters: sso_break_glass_groups)" if ok else (
            f"not a break-glass group ({_names(sorted(allowed)) or 'none named in sso_break_glass_groups'})")
        yield ctx.finding(status, resource_arn=arn, resource_type=PRINCIPAL_TYPE.get(r["principal_type"], "Other"),
                          evidence=ev, detail=f"{what[0].upper()}{what[1:]} has access to the management account "
                                              f"through {_names(sets)}: {why}.")


@_gated("sso.assignment.direct_user", _reached)
def direct_user(ctx: CheckContext, ic: IdentityCenter, here: pd.DataFrame) -> Iterator[Finding]:
    users = here[here["principal_type"] == "USER"]
    ev = [ic.ref(SSO_ASSIGNMENTS, f"AccountId={ctx.account.account_id}")]
    if users.empty:
        yield ctx.finding(Status.PASS, resource_arn=ctx.account.root_arn(), resource_type="AwsAccount", evidence=ev,
                          detail=f"All {len(here)} Identity Center assignments to this account are made to groups.")
        return
    for arn, g in _principals(ic, users):
        sets = sorted(set(g["permission_set_name"].astype(str)))
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIdentityStoreUser", evidence=ev,
                          detail=f"{_label(g)[0].upper()}{_label(g)[1:]} is assigned to this account directly, not "
                                 f"through a group: {_names(sets)}.")


@_gated("sso.group.empty_or_orphaned", _reached)
def empty_or_orphaned(ctx: CheckContext, ic: IdentityCenter, here: pd.DataFrame) -> Iterator[Finding]:
    ev = [ic.ref(SSO_ASSIGNMENTS, f"AccountId={ctx.account.account_id}"), ic.ref(SSO_GROUPS), ic.ref(SSO_USERS)]
    for arn, g in _principals(ic, here):
        r = g.iloc[0]
        sets = _names(sorted(set(g["permission_set_name"].astype(str))))
        rtype = PRINCIPAL_TYPE.get(r["principal_type"], "Other")
        if r["orphaned"]:
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type=rtype, evidence=ev,
                              detail=f"The assignment of {sets} names {r['principal_type'].lower()} "
                                     f"{r['principal_id']}, which no longer exists in the Identity Store.")
        elif r["principal_type"] == "GROUP":
            status = Status.FAIL if int(r["members"]) == 0 else Status.PASS
            yield ctx.finding(status, resource_arn=arn, resource_type=rtype, evidence=ev,
                              detail=f"Group {r['principal_name']} ({int(r['members'])} member(s)) is assigned {sets}"
                                     + (" but has no members." if status is Status.FAIL else "."))


def _home_sets(ctx: CheckContext) -> Iterator[tuple[IdentityCenter, dict[str, Any]]]:
    """(Identity Center, permission set row) per permission set, in the instance's own account only."""
    got = _instance(ctx)
    if isinstance(got, Finding) or ctx.account.account_id != got[0].home_account_id:
        return
    for ps in got[0].permission_sets.to_dict("records"):
        yield got[0], ps


@check("sso.permission_set.session_duration")
def session_duration(ctx: CheckContext) -> Iterator[Finding]:
    limit = ctx.thresholds.sso_max_session_hours
    for ic, ps in _home_sets(ctx):
        ev = [ic.ref(SSO_PERMISSION_SETS, f"PermissionSetArn={ps['arn']}.SessionDuration")]
        hours = ps["session_hours"]
        if hours is None or pd.isna(hours):
            yield ctx.error(f"session duration {ps['session_duration']!r} of {ps['name']} is not an ISO-8601 "
                            "duration", resource_arn=ps["arn"], resource_type=PS_TYPE)
            continue
        over = hours > limit
        yield ctx.finding(Status.FAIL if over else Status.PASS, resource_arn=ps["arn"], resource_type=PS_TYPE,
                          evidence=ev, detail=f"Permission set {ps['name']} allows sessions of "
                                              f"{ps['session_duration']} ({hours:g} h), "
                                              f"{'more than' if over else 'within'} the limit of {limit:g} h.")


def wildcard_statements(doc: dict[str, Any]) -> list[str]:
    """Allow statements that grant a whole service or everything (``*``, ``svc:*``, any ``NotAction``) on
    every resource (``Resource`` ``*`` or any ``NotResource``), as ``Sid``/index: action summary."""
    out = []
    for i, st in enumerate(parse_policy(doc).statements):
        if not st.is_allow:
            continue
        broad = [a for a in st.actions if a == "*" or a.endswith(":*")]
        every = "*" in st.resources or bool(st.not_resources)
        if every and (broad or st.not_actions):
            what = ", ".join(broad) if broad else f"NotAction {', '.join(st.not_actions)}"
            out.append(f"{st.sid or f'statement {i}'}: {what}")
    return out


@check("sso.permission_set.inline_wildcards")
def inline_wildcards(ctx: CheckContext) -> Iterator[Finding]:
    for ic, ps in _home_sets(ctx):
        ev = [ic.ref(SSO_PERMISSION_SETS, f"PermissionSetArn={ps['arn']}.InlinePolicy")]
        kw = {"resource_arn": ps["arn"], "resource_type": PS_TYPE}
        if ps["inline_error"]:
            yield ctx.error(f"{ps['name']}: {ps['inline_error']}", **kw)
            continue
        if not ps["inline"]:
            yield ctx.finding(Status.PASS, **kw, evidence=ev,
                              detail=f"Permission set {ps['name']} has no inline policy.")
            continue
        try:
            bad = wildcard_statements(ps["inline"])
        except PolicyError as exc:
            yield ctx.error(f"inline policy of {ps['name']} is malformed ({exc})", **kw)
            continue
        yield ctx.finding(Status.FAIL if bad else Status.PASS, **kw, evidence=ev,
                          detail=f"The inline policy of {ps['name']} " + (
                              f"allows wildcard actions on every resource: {'; '.join(bad)}." if bad
                              else "names no whole-service or '*' action on every resource."))
