"""Organization guardrails (CIS 7.0 2.1.2; Security Hub Account.2).

What each check reads, what one finding is about and when it says which status:
``scp.metadata.yaml`` beside this module (rendered in docs/checks.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from iamkit.checks import guardrails
from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import MissingEvidence


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


@check("org.scp.guardrails_present")
def guardrails_present(ctx: CheckContext) -> Iterator[Finding]:
    yield guardrails.summary(ctx)
