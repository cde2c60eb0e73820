"""Privilege escalation per principal, decided through the policy evaluator (iamkit best practice).

Evidence: ``iam/authorization_details.json`` (GAAD) and, when present, the organization bundle (SCP chain).

* ``iam.principal.privilege_escalation``: one finding per IAM user and role of the account. FAIL when the
  principal can use a catalogued escalation method (:mod:`iamkit.policy.escalation`: pathfinding.cloud's
  paths plus iamkit's own), naming each method with the action, the resource and the statement that
  allows each step, or when it can become (sts:AssumeRole, or a role passed to a service) a principal that
  escalates or is an administrator, naming the shortest chain. NOT_APPLICABLE for administrators (their own
  policies allow every IAM write and the SCP chain leaves them writing their own permissions, see
  :mod:`iamkit.admins`: there is nothing above them to reach; ``iam.policy.full_admin_attached`` covers them)
  and service-linked roles (only their service can use them). PASS otherwise. Every request is decided with the
  principal's identity policies, groups, permissions boundary and SCP chain, so a Deny in another policy, a
  boundary or an SCP removes a method; a condition the evidence cannot decide is assumed to hold and the detail
  says so. ERROR per principal when one of its policies is missing from the evidence or malformed (or the SCP
  chain cannot be read), or when, with no method or chain of its own, it can become a role whose permissions
  cannot be judged: the other principals keep their verdicts.
"""

from __future__ import annotations

from collections.abc import Iterator

from iamkit.authz import EvidenceIndex
from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import AUTHORIZATION_DETAILS
from iamkit.principals import PrincipalReport, analyze_account

RESOURCE_TYPE = {"user": "AwsIamUser", "role": "AwsIamRole"}


def _detail(r: PrincipalReport) -> str:
    name = r.arn.rsplit("/", 1)[-1]
    if r.methods:
        listed = "; ".join(m.describe() for m in r.methods[:5])
        more = f" (and {len(r.methods) - 5} more)" if len(r.methods) > 5 else ""
        assumed = sorted({c for m in r.methods for c in m.assumed_conditions})
        cond = f" Assumed to hold (not decidable from the evidence): {', '.join(assumed[:5])}." if assumed else ""
        return (f"{r.type.capitalize()} {name} can escalate its privileges by {len(r.methods)} method(s): "
                f"{listed}{more}.{cond}")
    chain = " -> ".join(c.rsplit("/", 1)[-1] for c in r.chain)
    return f"{r.type.capitalize()} {name} can become {chain}, which escalates or is an administrator."


@check("iam.principal.privilege_escalation")
def privilege_escalation(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    acct.require(AUTHORIZATION_DETAILS)
    for r in sorted(analyze_account(EvidenceIndex([acct.bundle], ctx.org), acct.account_id), key=lambda x: x.arn):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"{'UserDetailList' if r.type == 'user' else 'RoleDetailList'}"
                                              f"[Arn={r.arn}]")]
        kind = RESOURCE_TYPE[r.type]
        name = r.arn.rsplit("/", 1)[-1]
        if r.service_linked:
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=r.arn, resource_type=kind, evidence=ev,
                              detail=f"Service-linked role {name}: only its AWS service can use it.")
        elif ":role/aws-reserved/sso.amazonaws.com/" in r.arn:
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=r.arn, resource_type=kind, evidence=ev,
                              detail=f"IAM Identity Center role {name}: its permission set is judged, in every "
                                     "account it reaches, by sso.permission_set.privilege_escalation.")
        elif r.error:
            yield ctx.error(f"whether {r.type} {name} can escalate is unknown: {r.error}", resource_arn=r.arn,
                            resource_type=kind)
        elif r.admin:
            yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=r.arn, resource_type=kind, evidence=ev,
                              detail=f"{r.type.capitalize()} {name} is already an administrator (its own policies "
                                     "and boundary allow every IAM write; SCPs: " + (r.scp or "none") + "); "
                                     "nothing to escalate to.")
        elif r.methods or r.chain:
            yield ctx.finding(Status.FAIL, resource_arn=r.arn, resource_type=kind, evidence=ev, detail=_detail(r))
        else:
            yield ctx.finding(Status.PASS, resource_arn=r.arn, resource_type=kind, evidence=ev,
                              detail=f"{r.type.capitalize()} {name} can use none of the catalogued escalation "
                                     "methods and can become no principal that does.")
