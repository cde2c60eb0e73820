"""Least-privilege checks (CIS 7.0 2.13-2.15, 2.20) and the admin-equivalence helpers other areas use.

Evidence: ``iam/authorization_details.json`` (GAAD: users, groups, roles, managed policies with their
default version, inline policies).

* ``iam.policy.full_admin_attached``: one finding per managed policy (an unattached one PASSes: CIS 2.14
  is about attached policies) and one per principal with inline policies. FAIL when the policy has an
  ``Allow * on *`` statement (the CIS "*:*" test) or is admin-equivalent by
  :func:`iamkit.policy.is_admin_equivalent` (``NotAction`` tricks such as ``Allow NotAction
  iam:ChangePassword``). A managed policy attached only to service-linked or IAM Identity Center roles is
  not flagged (AWS and Identity Center permission sets manage those attachments); the detail says so. An
  attached policy GAAD did not return is an ERROR.
* ``iam.user.direct_policies``: per user; FAIL when managed or inline policies are attached directly.
* ``iam.support_role``: per account; PASS when ``AWSSupportAccess`` is attached to a role (CIS asks for a
  support *role*; a user or group holding it is named in the FAIL).
* ``iam.cloudshell_full_access``: one finding on ``arn:aws:iam::aws:policy/AWSCloudShellFullAccess``: FAIL
  listing the principals holding it, PASS when nobody does.

:func:`principal_admin` is the per-principal admin-equivalence table (identity policies incl. the
groups of a user; permissions boundaries and SCPs are not applied): notebooks should call it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pandas as pd

from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import AUTHORIZATION_DETAILS, AccountModel
from iamkit.policy import PolicyError, allows_full_admin_statement, is_admin_equivalent, parse_policy
from iamkit.policy.actions import services as catalog_services
from iamkit.policy.evaluate import ADMIN_MAX_EXCLUDED_ACTIONS

#: AWS managed policies by ARN suffix (the partition comes from the account: arn:<partition>:iam::aws:policy/...)
SUPPORT_POLICY = ":iam::aws:policy/AWSSupportAccess"
CLOUDSHELL_POLICY = ":iam::aws:policy/AWSCloudShellFullAccess"
RESOURCE_TYPE = {"user": "AwsIamUser", "group": "AwsIamGroup", "role": "AwsIamRole"}


@lru_cache(maxsize=65536)
def _admin_of(key: str, text: str) -> tuple[bool, bool, str]:
    """(full '*:*' statement, admin-equivalent, parse error) of one document (JSON text)."""
    try:
        doc = json.loads(text)
        return allows_full_admin_statement(doc), _may_be_admin([text]) and is_admin_equivalent(doc), ""
    except PolicyError as exc:
        return False, False, str(exc)


def policy_verdicts(acct: AccountModel) -> pd.DataFrame:
    """Managed policies with ``full_star`` / ``admin_equivalent`` / ``error`` columns."""
    pol = acct.policies.copy()
    res = [_admin_of(a, json.dumps(d, sort_keys=True)) for a, d in zip(pol["arn"], pol["document"], strict=True)]
    pol["full_star"] = [r[0] for r in res]
    pol["admin_equivalent"] = [r[1] for r in res]
    pol["error"] = [r[2] for r in res]
    return pol


@lru_cache(maxsize=65536)
def _reach(text: str) -> tuple[bool, frozenset[str]]:
    """(could be admin on its own: an unconditional Allow with NotAction or Action '*'/'*:*', service
    prefixes its unconditional Allows name). Cheap necessary conditions for admin-equivalence."""
    doc = json.loads(text)  # texts are json.dumps of parsed documents
    sts = (doc.get("Statement") or []) if isinstance(doc, dict) else []
    sts = [sts] if isinstance(sts, dict) else sts
    broad, prefixes = False, set()
    for st in sts:
        if not isinstance(st, dict) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        if "NotAction" in st:
            broad = True
        acts = st.get("Action", [])
        for a in [acts] if isinstance(acts, str) else acts if isinstance(acts, list) else []:
            if not isinstance(a, str) or ":" not in a or any(c in a.split(":", 1)[0] for c in "*?"):
                broad = True
            else:
                prefixes.add(a.split(":", 1)[0].lower())
    return broad, frozenset(prefixes)


@lru_cache(maxsize=65536)
def _parse_error(text: str) -> str:
    """Why a document is not a valid policy ('' when it is)."""
    try:
        parse_policy(json.loads(text))
    except PolicyError as exc:
        return str(exc)
    return ""


def _may_be_admin(texts: list[str]) -> bool:
    """False only when the documents cannot be admin-equivalent: no broad Allow, no ``iam`` action (full
    IAM write is admin-equivalent) and too few service prefixes to leave at most
    ADMIN_MAX_EXCLUDED_ACTIONS actions out (every service has at least one action)."""
    reach = [_reach(t) for t in texts]
    if any(b for b, _ in reach):
        return True
    prefixes = frozenset().union(*(p for _, p in reach))
    return "iam" in prefixes or len(prefixes) >= len(catalog_services()) - ADMIN_MAX_EXCLUDED_ACTIONS


def _doc_key(doc: dict[str, Any]) -> tuple[str, str]:
    text = json.dumps(doc, sort_keys=True)
    return "inline:" + hashlib.sha1(text.encode()).hexdigest(), text


def principal_admin(acct: AccountModel) -> pd.DataFrame:
    """One row per user/group/role: principal_arn, principal_type, principal_name, is_admin, policies
    (names of the policies that apply, incl. a user's groups'), missing (attached policies GAAD lacks),
    error (why admin-equivalence could not be evaluated: a malformed policy, or attached policies GAAD
    lacks while the known ones do not already make it admin; empty when it could).

    Admin-equivalence is evaluated once per distinct set of policies, so the cost grows with the number
    of distinct permission sets, not with the number of principals."""
    docs: dict[str, str] = {}
    for arn, doc in zip(acct.policies["arn"], acct.policies["document"], strict=True):
        docs[arn] = json.dumps(doc, sort_keys=True)
    att = acct.attachments[["principal_arn", "principal_type", "principal_name", "policy_arn"]].rename(
        columns={"policy_arn": "key"})
    att["label"] = att["key"]
    inl = acct.inline_policies
    keys = []
    for doc in inl["document"]:
        k, text = _doc_key(doc)
        docs[k] = text
        keys.append(k)
    inl = pd.DataFrame({"principal_arn": inl["principal_arn"], "principal_type": inl["principal_type"],
                        "principal_name": inl["principal_name"], "key": keys,
                        "label": "inline:" + inl["policy_name"].astype(str)})
    direct = pd.concat([att, inl], ignore_index=True)
    # users inherit their groups' policies
    gm = acct.group_members
    inherited = gm.merge(direct[direct["principal_type"] == "group"][["principal_arn", "key", "label"]],
                         left_on="group_arn", right_on="principal_arn", how="inner")
    inherited = pd.DataFrame({"principal_arn": inherited["user_arn"], "principal_type": "user",
                              "principal_name": inherited["user_name"], "key": inherited["key"],
                              "label": inherited["group_name"] + "/" + inherited["label"]})
    allp = pd.concat([direct, inherited], ignore_index=True)
    principals = pd.concat([
        pd.DataFrame({"principal_arn": acct.users["arn"], "principal_type": "user",
                      "principal_name": acct.users["user_name"]}),
        pd.DataFrame({"principal_arn": acct.groups["arn"], "principal_type": "group",
                      "principal_name": acct.groups["group_name"]}),
        pd.DataFrame({"principal_arn": acct.roles["arn"], "principal_type": "role",
                      "principal_name": acct.roles["role_name"]}),
    ], ignore_index=True)
    grouped = allp.groupby("principal_arn").agg(keys=("key", lambda s: tuple(sorted(set(s)))),
                                                 policies=("label", lambda s: sorted(set(s))))
    out = principals.merge(grouped, left_on="principal_arn", right_index=True, how="left")
    out["keys"] = out["keys"].apply(lambda k: k if isinstance(k, tuple) else ())
    out["policies"] = out["policies"].apply(lambda k: k if isinstance(k, list) else [])
    verdict: dict[tuple[str, ...], tuple[bool, tuple[str, ...], str]] = {}
    for ks in set(out["keys"]):
        known = tuple(k for k in ks if k in docs)
        missing = tuple(k for k in ks if k not in docs)
        error = next((e for e in (_parse_error(docs[k]) for k in known) if e), "")
        # a malformed policy leaves the verdict unknown: recorded in ``error``, the checks say ERROR
        admin = (not error and bool(known) and _may_be_admin([docs[k] for k in known])
                 and is_admin_equivalent([json.loads(docs[k]) for k in known]))
        if error:
            error = f"a policy that applies to it is malformed ({error})"
        elif missing and not admin:  # the policies GAAD lacks could make it admin
            error = (f"attached managed polic{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)} not in "
                     f"{AUTHORIZATION_DETAILS}")
        verdict[ks] = (bool(admin), missing, error)
    out["is_admin"] = out["keys"].map(lambda k: verdict[k][0]).astype(bool)
    out["missing"] = out["keys"].map(lambda k: list(verdict[k][1]))
    out["error"] = out["keys"].map(lambda k: verdict[k][2])
    return out.drop(columns=["keys"]).reset_index(drop=True)


def _managed_role_arns(acct: AccountModel) -> set[str]:
    r = acct.roles
    return set(r.loc[r["is_service_linked"] | r["is_sso_provisioned"], "arn"])


@check("iam.policy.full_admin_attached")
def full_admin_attached(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    pol = policy_verdicts(acct).set_index("arn")
    att = acct.attachments
    aws_managed_roles = _managed_role_arns(acct)
    for parn in sorted(set(pol.index) - set(att["policy_arn"])):
        p = pol.loc[parn]
        grant = " although it grants full administrative access" if (p["full_star"] or p["admin_equivalent"]) else ""
        yield ctx.finding(Status.PASS, resource_arn=parn, resource_type="AwsIamPolicy",
                          evidence=[acct.ref(AUTHORIZATION_DETAILS, f"Policies[Arn={parn}]")],
                          detail=f"Policy {p['name']} is not attached to any user, group or role{grant}.")
    for parn, holders in att.groupby("policy_arn", sort=True):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"Policies[Arn={parn}]")]
        if parn not in pol.index:
            yield ctx.error(f"policy {parn} is attached (to {', '.join(holders['principal_name'][:5])}) but "
                            f"{AUTHORIZATION_DETAILS} does not contain its document", resource_arn=parn,
                            resource_type="AwsIamPolicy")
            continue
        p = pol.loc[parn]
        if p["error"]:
            yield ctx.error(f"policy document of {parn} is malformed ({p['error']})", resource_arn=parn,
                            resource_type="AwsIamPolicy")
            continue
        names = [f"{t} {n}" for t, n in zip(holders["principal_type"], holders["principal_name"], strict=True)]
        customer = holders[~holders["principal_arn"].isin(aws_managed_roles)]
        why = "an Allow '*' on '*' statement" if p["full_star"] else (
            "statements equivalent to full administrator access (e.g. Allow NotAction ..., or full IAM write, "
            "which can grant itself everything)" if p["admin_equivalent"]
            else "")
        if not why:
            yield ctx.finding(Status.PASS, resource_arn=parn, resource_type="AwsIamPolicy", evidence=ev,
                              detail=f"Policy {p['name']} does not grant full administrative access "
                                     f"(attached to {len(holders)} principal(s)).")
        elif customer.empty:
            yield ctx.finding(Status.PASS, resource_arn=parn, resource_type="AwsIamPolicy", evidence=ev,
                              detail=f"Policy {p['name']} has {why} but is attached only to service-linked or IAM "
                                     f"Identity Center roles ({', '.join(names[:10])}), which AWS and Identity Center "
                                     "permission sets manage; review the permission sets in Identity Center.")
        else:
            cn = [f"{t} {n}" for t, n in zip(customer["principal_type"], customer["principal_name"], strict=True)]
            yield ctx.finding(Status.FAIL, resource_arn=parn, resource_type="AwsIamPolicy", evidence=ev,
                              detail=f"Policy {p['name']} has {why} and is attached to {len(cn)} principal(s): "
                                     f"{', '.join(cn[:20])}{' ...' if len(cn) > 20 else ''}.")
    inl = acct.inline_policies
    if inl.empty:
        return
    inl = inl.assign(text=[json.dumps(d, sort_keys=True) for d in inl["document"]])
    for (parn, ptype, pname), grp in inl.groupby(["principal_arn", "principal_type", "principal_name"], sort=True):
        if parn in aws_managed_roles:
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=parn, resource_type=RESOURCE_TYPE[ptype],
                              detail=f"{ptype} {pname} is a service-linked or IAM Identity Center role; its inline "
                                     "policies are managed by AWS / the Identity Center permission set.")
            continue
        bad, errs = [], []
        for name, text in zip(grp["policy_name"], grp["text"], strict=True):
            full, admin, err = _admin_of("", text)
            if err:
                errs.append(f"{name} ({err})")
            elif full or admin:
                bad.append(name + (" (Allow * on *)" if full else " (admin-equivalent)"))
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"{ptype} {pname} inline policies")]
        if bad:
            yield ctx.finding(Status.FAIL, resource_arn=parn, resource_type=RESOURCE_TYPE[ptype], evidence=ev,
                              detail=f"Inline policies of {ptype} {pname} grant full administrative access: "
                                     f"{', '.join(bad)}.")
        elif errs:
            yield ctx.error(f"inline policies of {ptype} {pname} are malformed: {'; '.join(errs)}",
                            resource_arn=parn, resource_type=RESOURCE_TYPE[ptype])
        else:
            yield ctx.finding(Status.PASS, resource_arn=parn, resource_type=RESOURCE_TYPE[ptype], evidence=ev,
                              detail=f"No inline policy of {ptype} {pname} grants full administrative access "
                                     f"({len(grp)} inline polic{'y' if len(grp) == 1 else 'ies'}).")


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
