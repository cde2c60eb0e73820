"""Least-privilege checks (CIS 7.0 2.13-2.15, 2.20) and the admin-equivalence helpers other areas use.

Evidence: ``iam/authorization_details.json`` (GAAD: users, groups, roles, managed policies with their
default version, inline policies).

* ``iam.policy.full_admin_attached``: one finding per managed policy (an unattached one PASSes: CIS 2.14
  is about attached policies) and one per principal with inline policies. FAIL when the policy has an
  ``Allow * on *`` statement (the CIS "*:*" test) or, evaluated on its own by the policy evaluator, makes its
  holder an administrator (:func:`iamkit.admins.policy_grants_admin`: every IAM write on ``*``, so
  ``NotAction`` tricks such as ``Allow NotAction iam:ChangePassword`` count and ``Allow NotAction iam:*``
  does not). The FAIL names the holders and splits them by the evaluator's effective-administrator verdict
  (:func:`principal_admin`): those it makes administrators, and those whose admin is cut by a Deny in another
  policy, by a permissions boundary or by the SCP chain of the account (with the deciding statement). The
  verdict stays on the policy, as CIS 2.14 and FSBP IAM.1 judge the attached document. A managed policy
  attached only to service-linked or IAM Identity Center roles is not flagged (AWS and Identity Center
  permission sets manage those attachments); the detail says so. An attached policy GAAD did not return is an ERROR.
* ``iam.user.direct_policies``: per user; FAIL when managed or inline policies are attached directly.
* ``iam.support_role``: per account; PASS when ``AWSSupportAccess`` is attached to a role (CIS asks for a
  support *role*; a user or group holding it is named in the FAIL).
* ``iam.cloudshell_full_access``: one finding on ``arn:aws:iam::aws:policy/AWSCloudShellFullAccess``: FAIL
  listing the principals holding it, PASS when nobody does.

:func:`principal_admin` is the per-principal effective-administrator table (:mod:`iamkit.admins`: the
evaluator on a user's or role's own identity policies, incl. its groups', and its permissions boundary, then the
SCP chain of its account, which must leave it writing its own permissions): notebooks should call it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from iamkit.admins import admin_verdicts, policy_grants_admin
from iamkit.authz import EvidenceIndex
from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import AUTHORIZATION_DETAILS, AccountModel
from iamkit.policy import PolicyError, allows_full_admin_statement

#: AWS managed policies by ARN suffix (the partition comes from the account: arn:<partition>:iam::aws:policy/...)
SUPPORT_POLICY = ":iam::aws:policy/AWSSupportAccess"
CLOUDSHELL_POLICY = ":iam::aws:policy/AWSCloudShellFullAccess"
RESOURCE_TYPE = {"user": "AwsIamUser", "group": "AwsIamGroup", "role": "AwsIamRole"}


def _doc_verdict(doc: Any, account_id: str) -> tuple[bool, bool, str]:
    """(a literal CIS Allow '*' on '*' statement, administrator on its own by the evaluator, parse error)."""
    try:
        return allows_full_admin_statement(doc), policy_grants_admin(doc, account_id), ""
    except PolicyError as exc:
        return False, False, str(exc).splitlines()[0]


def policy_verdicts(acct: AccountModel) -> pd.DataFrame:
    """Managed policies with ``full_star`` / ``admin_equivalent`` (on its own: :func:`policy_grants_admin`) /
    ``error`` columns."""
    pol = acct.policies.copy()
    res = [_doc_verdict(d, acct.account_id) for d in pol["document"]]
    pol["full_star"] = [r[0] for r in res]
    pol["admin_equivalent"] = [r[1] for r in res]
    pol["error"] = [r[2] for r in res]
    return pol


def principal_admin(acct: AccountModel, org: Any = None) -> pd.DataFrame:
    """One row per user and role: principal_arn, principal_type, principal_name, is_admin (the evaluator's
    effective administrator, :mod:`iamkit.admins`: its own policies and boundary allow every IAM write, and the
    SCP chain of ``org`` (the check context's organization model; None: SCPs not in evidence) leaves it writing
    its own permissions), how ("direct" / "group <name>"), policies (those whose statements allow the admin
    probes), boundary, cut_by (why a principal whose Allows name every probe is not one: the Deny, the boundary
    or the SCP), error (why it could not be decided: a missing or malformed policy, an unreadable SCP chain),
    scp (what the SCP chain did: "not in evidence", "do not apply (...)", "leave it ...", "cut ...")."""
    rows = [v.as_dict() for v in admin_verdicts(EvidenceIndex([acct.bundle], org), acct.account_id).values()]
    t = pd.DataFrame(rows, columns=["arn", "type", "name", "admin", "how", "grants", "boundary", "cut_by", "error",
                                    "scp"])
    return t.rename(columns={"arn": "principal_arn", "type": "principal_type", "name": "principal_name",
                             "admin": "is_admin", "grants": "policies"}).astype({"is_admin": bool})


def _managed_role_arns(acct: AccountModel) -> set[str]:
    r = acct.roles
    return set(r.loc[r["is_service_linked"] | r["is_sso_provisioned"], "arn"])


def _why(full_star: bool, admin: bool) -> str:
    return "an Allow '*' on '*' statement" if full_star else (
        "statements that, evaluated, allow every IAM write on '*' (e.g. Allow NotAction ... or iam:*: it can grant "
        "its holder anything)" if admin else "")


def _holders_text(acct: AccountModel, holders: pd.DataFrame, org: Any) -> str:
    """Who holds the policy, split by the evaluator's verdict: effective administrators, and holders whose
    admin is cut (a Deny in another policy, a permissions boundary, the SCP chain) with why. Groups count through
    members."""
    admins = principal_admin(acct, org).set_index("principal_arn")
    gm = acct.group_members
    arns = [a for t, a in zip(holders["principal_type"], holders["principal_arn"], strict=True) if t != "group"]
    arns += list(gm.loc[gm["group_arn"].isin(holders["principal_arn"]), "user_arn"])
    yes = [a.rsplit("/", 1)[-1] for a in dict.fromkeys(arns) if a in admins.index and admins.at[a, "is_admin"]]
    cut = [f"{a.rsplit('/', 1)[-1]} ({admins.at[a, 'cut_by'] or admins.at[a, 'error'] or 'other policies'})"
           for a in dict.fromkeys(arns) if a in admins.index and not admins.at[a, "is_admin"]]
    out = f" Effective administrators through it: {', '.join(yes[:20]) or 'none'}{' ...' if len(yes) > 20 else ''}."
    return out + (f" Not administrators despite it: {'; '.join(cut[:10])}." if cut else "")


def _managed_findings(ctx: CheckContext, pol: pd.DataFrame, aws_managed_roles: set[str]) -> Iterator[Finding]:
    acct = ctx.account
    att = acct.attachments
    for parn in sorted(set(pol.index) - set(att["policy_arn"])):
        p = pol.loc[parn]
        grant = " although it grants full administrative access" if (p["full_star"] or p["admin_equivalent"]) else ""
        yield ctx.finding(Status.PASS, resource_arn=parn, resource_type="AwsIamPolicy",
                          evidence=[acct.ref(AUTHORIZATION_DETAILS, f"Policies[Arn={parn}]")],
                          detail=f"Policy {p['name']} is not attached to any user, group or role{grant}.")
    for parn, holders in att.groupby("policy_arn", sort=True):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"Policies[Arn={parn}]")]
        if parn not in pol.index or pol.loc[parn, "error"]:
            why = (f"{AUTHORIZATION_DETAILS} does not contain its document" if parn not in pol.index
                   else f"its document is malformed ({pol.loc[parn, 'error']})")
            yield ctx.error(f"policy {parn} is attached (to {', '.join(holders['principal_name'][:5])}) but {why}",
                            resource_arn=parn, resource_type="AwsIamPolicy")
            continue
        p = pol.loc[parn]
        names = [f"{t} {n}" for t, n in zip(holders["principal_type"], holders["principal_name"], strict=True)]
        customer = holders[~holders["principal_arn"].isin(aws_managed_roles)]
        why = _why(bool(p["full_star"]), bool(p["admin_equivalent"]))
        if not why or customer.empty:
            yield ctx.finding(Status.PASS, resource_arn=parn, resource_type="AwsIamPolicy", evidence=ev, detail=(
                f"Policy {p['name']} does not grant full administrative access (attached to {len(holders)} "
                "principal(s))." if not why else
                f"Policy {p['name']} has {why} but is attached only to service-linked or IAM Identity Center roles "
                f"({', '.join(names[:10])}), which AWS and Identity Center permission sets manage; review the "
                "permission sets in Identity Center."))
            continue
        cn = [f"{t} {n}" for t, n in zip(customer["principal_type"], customer["principal_name"], strict=True)]
        yield ctx.finding(Status.FAIL, resource_arn=parn, resource_type="AwsIamPolicy", evidence=ev,
                          detail=f"Policy {p['name']} has {why} and is attached to {len(cn)} principal(s): "
                                 f"{', '.join(cn[:20])}{' ...' if len(cn) > 20 else ''}."
                                 + _holders_text(acct, customer, ctx.org))


def _inline_findings(ctx: CheckContext, aws_managed_roles: set[str]) -> Iterator[Finding]:
    acct = ctx.account
    inl = acct.inline_policies
    for (parn, ptype, pname), grp in inl.groupby(["principal_arn", "principal_type", "principal_name"], sort=True):
        if parn in aws_managed_roles:
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=parn, resource_type=RESOURCE_TYPE[ptype],
                              detail=f"{ptype} {pname} is a service-linked or IAM Identity Center role; its inline "
                                     "policies are managed by AWS / the Identity Center permission set.")
            continue
        verdicts = [(name, _doc_verdict(doc, acct.account_id)) for name, doc in
                    zip(grp["policy_name"], grp["document"], strict=True)]
        bad = [name + (" (Allow * on *)" if full else " (admin-equivalent)") for name, (full, admin, err) in verdicts
               if not err and (full or admin)]
        errs = [f"{name} ({err})" for name, (_, _, err) in verdicts if err]
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"{ptype} {pname} inline policies")]
        kind = RESOURCE_TYPE[ptype]
        if bad:
            holder = pd.DataFrame({"principal_type": [ptype], "principal_arn": [parn]})
            yield ctx.finding(Status.FAIL, resource_arn=parn, resource_type=kind, evidence=ev,
                              detail=f"Inline policies of {ptype} {pname} grant full administrative access: "
                                     f"{', '.join(bad)}." + _holders_text(acct, holder, ctx.org))
        elif errs:
            yield ctx.error(f"inline policies of {ptype} {pname} are malformed: {'; '.join(errs)}",
                            resource_arn=parn, resource_type=kind)
        else:
            yield ctx.finding(Status.PASS, resource_arn=parn, resource_type=kind, evidence=ev,
                              detail=f"No inline policy of {ptype} {pname} grants full administrative access "
                                     f"({len(grp)} inline polic{'y' if len(grp) == 1 else 'ies'}).")


@check("iam.policy.full_admin_attached")
def full_admin_attached(ctx: CheckContext) -> Iterator[Finding]:
    aws_managed_roles = _managed_role_arns(ctx.account)
    yield from _managed_findings(ctx, policy_verdicts(ctx.account).set_index("arn"), aws_managed_roles)
    yield from _inline_findings(ctx, aws_managed_roles)


@check("iam.user.direct_policies")
def user_direct_policies(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    u = acct.users
    n_att = u["attached_policy_arns"].map(len)
    n_inl = u["inline_policy_names"].map(len)
    for arn, name, att, inl, a, i in zip(u["arn"], u["user_name"], u["attached_policy_arns"],
                                         u["inline_policy_names"], n_att, n_inl, strict=True):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"UserDetailList[UserName={name}]")]
        if a or i:
            parts = ([f"managed: {', '.join(p.rsplit('/', 1)[-1] for p in att)}"] if a else []) + (
                [f"inline: {', '.join(inl)}"] if i else [])
            yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"User {name} has policies attached directly ({'; '.join(parts)}).")
        else:
            yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamUser", evidence=ev,
                              detail=f"User {name} has no directly attached policies.")


@check("iam.support_role")
def support_role(ctx: CheckContext) -> Iterator[Finding]:
    """CIS: "Ensure a support ROLE has been created to manage incidents with AWS Support": PASS only when
    AWSSupportAccess is attached to a role; users or groups holding it are named in the FAIL."""
    acct = ctx.account
    att = acct.attachments
    holders = att[att["policy_arn"].str.endswith(SUPPORT_POLICY)]
    roles = holders[holders["principal_type"] == "role"]
    others = holders[holders["principal_type"] != "role"]
    ev = [acct.ref(AUTHORIZATION_DETAILS, "AttachedManagedPolicies[PolicyName=AWSSupportAccess]")]
    if roles.empty:
        also = (" It is attached only to " + ", ".join(f"{t} {n}" for t, n in zip(
            others["principal_type"], others["principal_name"], strict=True))
                + "; CIS asks for a role that people assume." if not others.empty else "")
        yield ctx.finding(Status.FAIL, resource_arn=acct.root_arn(), resource_type="AwsAccount", evidence=ev,
                          detail=f"No role has the AWS managed policy AWSSupportAccess attached.{also}")
    else:
        yield ctx.finding(Status.PASS, resource_arn=acct.root_arn(), resource_type="AwsAccount", evidence=ev,
                          detail=f"AWSSupportAccess is attached to role(s) {', '.join(roles['principal_name'])}.")


@check("iam.cloudshell_full_access")
def cloudshell_full_access(ctx: CheckContext) -> Iterator[Finding]:
    """One finding on the policy ARN (as Prowler and Security Hub IAM.27 report it): FAIL listing the
    holders, PASS when no user, group or role has it."""
    acct = ctx.account
    att = acct.attachments
    holders = att[att["policy_arn"].str.endswith(CLOUDSHELL_POLICY)]
    arn = holders["policy_arn"].iloc[0] if not holders.empty else f"arn:{acct.partition}{CLOUDSHELL_POLICY}"
    ev = [acct.ref(AUTHORIZATION_DETAILS, "AttachedManagedPolicies[PolicyName=AWSCloudShellFullAccess]")]
    if holders.empty:
        yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsIamPolicy", evidence=ev,
                          detail="No user, group or role has AWSCloudShellFullAccess attached.")
        return
    names = [f"{t} {n}" for t, n in zip(holders["principal_type"], holders["principal_name"], strict=True)]
    yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsIamPolicy", evidence=ev,
                      detail=f"AWSCloudShellFullAccess is attached to {len(names)} principal(s): "
                             f"{', '.join(names[:20])}{' ...' if len(names) > 20 else ''}.")
