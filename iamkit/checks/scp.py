"""Organization guardrails (CIS 7.0 2.1.2; Security Hub Account.2).

Evidence: the organization bundle (``evidence/organization/``: accounts, OU tree, SCPs and their
targets, enabled policy types) and, for an account without it, this account's
``ListOrganizationsFeatures`` answer (``AWSOrganizationsNotInUseException`` = standalone account).

``org.scp.guardrails_present`` walks the account's chain root -> OU... -> account and collects the
SCPs attached at every level; it FAILs when nothing but ``FullAWSAccess`` applies. SCPs do not apply to
the management account (AWS exempts it), so that account is NOT_APPLICABLE, as is a standalone account.
"""

from __future__ import annotations

from collections.abc import Iterator

from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import MissingEvidence

FULL_ACCESS_ID = "p-FullAWSAccess"


def _org_or_raise(ctx: CheckContext):  # noqa: ANN202
    if ctx.org is None:
        raise MissingEvidence(ctx.account.bundle, "evidence/organization (organization bundle)")
    return ctx.org


@check("org.account.member")
def account_member(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    kind, why, ev = acct.membership()
    status = Status.PASS if kind == "member" else Status.FAIL
    yield ctx.finding(status, resource_arn=acct.root_arn(), resource_type="AwsAccount", evidence=ev,
                      detail=f"The account {'belongs' if kind == 'member' else 'does not belong'} to an AWS "
                             f"Organization ({why}).")


@check("org.scp.enabled")
def scp_enabled(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    kind, why, _ = acct.membership()
    if kind == "standalone":
        yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                          detail=f"SCPs need AWS Organizations; {why}.")
        return
    org = _org_or_raise(ctx)
    enabled = org.policy_type_enabled("SERVICE_CONTROL_POLICY")
    ev = [org.ref("roots.json", "Roots[0].PolicyTypes")]
    yield ctx.finding(Status.PASS if enabled else Status.FAIL, resource_arn=acct.root_arn(),
                      resource_type="AwsAccount", evidence=ev,
                      detail=f"The SERVICE_CONTROL_POLICY policy type is {'enabled' if enabled else 'not enabled'} "
                             f"on the root of organization {org.organization_id or org.root_id}.")


def _is_full_access(p: dict) -> bool:
    if p.get("id") == FULL_ACCESS_ID or (p.get("aws_managed") and p.get("name") == "FullAWSAccess"):
        return True
    sts = (p.get("document") or {}).get("Statement") or []
    sts = [sts] if isinstance(sts, dict) else sts
    return bool(sts) and all(s.get("Effect") == "Allow" and s.get("Action") in ("*", ["*"])
                             and s.get("Resource", "*") in ("*", ["*"]) and not s.get("Condition") for s in sts)


@check("org.scp.guardrails_present")
def guardrails_present(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    arn = acct.root_arn()
    kind, why, _ = acct.membership()
    if kind == "standalone":
        yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=arn, resource_type="AwsAccount",
                          detail=f"SCPs need AWS Organizations; {why}.")
        return
    org = _org_or_raise(ctx)
    if acct.account_id == org.management_account_id:
        yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=arn, resource_type="AwsAccount",
                          evidence=[org.ref("organization.json", "MasterAccountId")],
                          detail="This is the management account: SCPs never restrict it, so guardrails must come "
                                 "from its own IAM policies and the people who may use it.")
        return
    ev = [org.ref("targets.json"), org.ref("policies.json"), org.ref("ous.json")]
    if not org.policy_type_enabled("SERVICE_CONTROL_POLICY"):
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail="SCPs are not enabled in the organization, so no guardrail applies to this account.")
        return
    chain = org.scp_chain(acct.account_id)
    if not chain:
        yield ctx.error(f"account {acct.account_id} is not in the organization's account list", resource_arn=arn)
        return
    targets = org.account_chain(acct.account_id)
    names = dict(zip(org.ous["id"], org.ous["path"], strict=True))
    levels, guards = [], []
    for target, pols in zip(targets, chain, strict=True):
        label = "root" if target == org.root_id else ("account" if target == acct.account_id
                                                       else f"OU {names.get(target, target)}")
        levels.append(f"{label}: {', '.join(p.get('name') or p['id'] for p in pols) or '(none)'}")
        guards += [p.get("name") or p["id"] for p in pols if not _is_full_access(p)]
    chain_txt = "; ".join(levels)
    if guards:
        yield ctx.finding(Status.PASS, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"SCP guardrails apply to the account: {', '.join(dict.fromkeys(guards))} "
                                 f"(chain {chain_txt}).")
    else:
        yield ctx.finding(Status.FAIL, resource_arn=arn, resource_type="AwsAccount", evidence=ev,
                          detail=f"Only FullAWSAccess applies to the account, so SCPs restrict nothing "
                                 f"(chain {chain_txt}).")
