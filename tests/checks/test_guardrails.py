"""SCP guardrails evaluated per member account (``org.scp.guardrail.<name>`` and the summary)."""

from __future__ import annotations

import pytest

from iamkit.checks.guardrails import catalog
from iamkit.findings import Status
from tests.checks.helpers import ACCT, run, scp_org_bundle

MGMT = "123456789012"
OTHER = "444455556666"
FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
LEVELS = ["r-root", "ou-work", "ou-prod", ACCT]


def deny(sid: str, action, condition=None, *, not_action=False, resource="*") -> dict:  # noqa: ANN001
    st = {"Sid": sid, "Effect": "Deny", ("NotAction" if not_action else "Action"): action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def org_bundle(tmp_path, scps: dict[str, tuple[dict | str, list[str]]], *, full_on=tuple(LEVELS)):  # noqa: ANN001
    """Organization r-root > ou-work (Workloads) > ou-prod (Prod) > ACCT; MGMT under the root.
    ``scps``: name -> (document, target ids). FullAWSAccess sits on ``full_on`` (and MGMT)."""
    return scp_org_bundle(tmp_path, scps, full_on=full_on)


def guardrails(tmp_path, scps, account_id=ACCT, settings=None, **kw):  # noqa: ANN001, ANN201
    org = org_bundle(tmp_path, scps, **kw)
    found = run(tmp_path / "acct", {}, org=org, account_id=account_id, regions=["us-east-1"],
                settings=settings)
    return {("s_present" if f.check_id == "org.scp.guardrails_present" else f.check_id.rsplit(".", 1)[-1]): f
            for f in found if f.check_id.startswith("org.scp.guardrail")}


def test_catalog_names_every_guardrail_of_the_issue():
    assert [g.name for g in catalog()] == [
        "leave_organization", "protect_cloudtrail", "protect_guardduty", "protect_config", "protect_securityhub",
        "protect_access_analyzer", "deny_root_user", "region_restriction", "deny_iam_users",
        "protect_security_roles", "protect_block_public_access"]
    assert all(g.requests for g in catalog())


def test_only_full_access_fails_every_guardrail_naming_the_chain(tmp_path):
    got = guardrails(tmp_path, {})
    assert {n: f.status for n, f in got.items() if n != "s_present"} == {g.name: Status.FAIL for g in catalog()}
    leave = got["leave_organization"].detail
    assert "organizations:LeaveOrganization on * in us-east-1" in leave
    assert "root: FullAWSAccess; OU /Workloads: FullAWSAccess; OU /Workloads/Prod: FullAWSAccess; " \
           "account: FullAWSAccess" in leave
    summary = got["s_present"]
    assert summary.status == Status.FAIL and "0 of 11 catalogued guardrails are enforced" in summary.detail


def test_deny_at_an_ou_enforces_and_names_scp_level_and_statement(tmp_path):
    got = guardrails(tmp_path, {"NoLeave": (deny("DenyLeave", "organizations:LeaveOrganization"), ["ou-work"])})
    f = got["leave_organization"]
    assert f.status == Status.PASS
    assert "denied by SCP NoLeave at OU /Workloads (statement 'DenyLeave')" in f.detail
    assert f.resource_arn == f"arn:aws:iam::{ACCT}:root" and f.evidence


def test_deny_on_an_ou_outside_the_chain_does_not_count(tmp_path):
    got = guardrails(tmp_path, {"NoLeave": (deny("DenyLeave", "organizations:LeaveOrganization"), ["ou-other"])})
    assert got["leave_organization"].status == Status.FAIL


def test_partial_protection_fails_naming_the_allowed_request(tmp_path):
    got = guardrails(tmp_path, {"Trail": (deny("StopOnly", "cloudtrail:StopLogging"), ["r-root"])})
    f = got["protect_cloudtrail"]
    assert f.status == Status.FAIL
    assert "Not enforced: cloudtrail:DeleteTrail on arn:aws:cloudtrail:us-east-1:" in f.detail
    assert "Denied: cloudtrail:StopLogging" in f.detail and "SCP Trail at root (statement 'StopOnly')" in f.detail


def test_wildcard_action_deny_counts(tmp_path):
    got = guardrails(tmp_path, {"Trail": (deny("T", ["cloudtrail:Stop*", "cloudtrail:Delete*"]), [ACCT])})
    assert got["protect_cloudtrail"].status == Status.PASS
    assert "SCP Trail at account" in got["protect_cloudtrail"].detail


def test_region_restriction_with_notaction_and_boundaries(tmp_path):
    region_scp = deny("Regions", ["iam:*", "organizations:*", "sts:*", "support:*"],
                      {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}, not_action=True)
    got = guardrails(tmp_path / "a", {"Regions": (region_scp, ["ou-work"])})
    f = got["region_restriction"]
    assert f.status == Status.PASS and "in ap-southeast-2" in f.detail
    # the NotAction list also exempts ec2:*: RunInstances outside the allowed regions gets through
    leaky = deny("Regions", ["iam:*", "ec2:*"], {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}},
                 not_action=True)
    f = guardrails(tmp_path / "b", {"Regions": (leaky, ["ou-work"])})["region_restriction"]
    assert f.status == Status.FAIL and "ec2:RunInstances" in f.detail.split("Denied:")[0]
    # the allowed list of the auditor includes the SCP's allowed region: the probe region moves on
    f = guardrails(tmp_path / "c", {"Regions": (region_scp, ["ou-work"])},
                   settings={"guardrail_allowed_regions": ["us-east-1", "ap-southeast-2"]})["region_restriction"]
    assert f.status == Status.PASS and "in sa-east-1" in f.detail


def test_exemption_through_principal_arn_condition_is_named(tmp_path):
    cond = {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}}
    got = guardrails(tmp_path / "a", {"NoUsers": (deny("NoUsers", ["iam:CreateUser", "iam:CreateAccessKey"], cond),
                                                  ["ou-prod"])})
    f = got["deny_iam_users"]
    assert f.status == Status.PASS
    assert "Exempt principals (allowed through a condition on aws:PrincipalArn): arn:aws:iam::*:role/OrgAdmin" \
        in f.detail
    assert "[conditions: StringNotLike aws:PrincipalArn]" in f.detail
    # a second level denies without exemption: nobody is exempt
    got = guardrails(tmp_path / "b", {"NoUsers": (deny("NoUsers", ["iam:CreateUser", "iam:CreateAccessKey"], cond),
                                                  ["ou-prod"]),
                                      "NoUsersAtAll": (deny("All", "iam:Create*"), ["r-root"])})
    f = got["deny_iam_users"]
    assert f.status == Status.PASS and "Exempt principals" not in f.detail


def test_conditions_anded_across_operators(tmp_path):
    cond = {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"},
            "StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    scp = {"Trail": (deny("T", ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], cond), ["r-root"])}
    assert guardrails(tmp_path / "a", scp)["protect_cloudtrail"].status == Status.PASS
    # home region eu-west-1: the region condition is false, so the Deny does not apply (AND, not OR)
    got = guardrails(tmp_path / "b", scp, settings={"guardrail_allowed_regions": ["eu-west-1"]})
    assert got["protect_cloudtrail"].status == Status.FAIL


def test_allow_list_scp_missing_a_level(tmp_path):
    allow_list = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "s3:*"],
                                                          "Resource": "*"}]}
    got = guardrails(tmp_path, {"AllowCompute": (allow_list, ["ou-work"])},
                     full_on=("r-root", "ou-prod", ACCT))
    f = got["protect_cloudtrail"]
    assert f.status == Status.PASS
    assert "no SCP allows it at OU /Workloads (AllowCompute)" in f.detail
    assert got["region_restriction"].status == Status.FAIL  # ec2:RunInstances is allowed at every level


def test_root_user_guardrail(tmp_path):
    root_deny = deny("DenyRoot", "*", {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}})
    assert guardrails(tmp_path / "a", {"R": (root_deny, ["r-root"])})["deny_root_user"].status == Status.PASS
    wrong = deny("DenyRoot", "*", {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:root"}})
    f = guardrails(tmp_path / "b", {"R": (wrong, ["r-root"])})["deny_root_user"]
    assert f.status == Status.FAIL and f"by arn:aws:iam::{ACCT}:root" in f.detail
    # a Deny that only ordinary principals meet does not cover root (PrincipalType condition)
    typed = deny("DenyRoles", "*", {"StringEquals": {"aws:PrincipalType": "AssumedRole"}})
    assert guardrails(tmp_path / "c", {"R": (typed, ["r-root"])})["deny_root_user"].status == Status.FAIL


def test_protected_roles_from_parameters(tmp_path):
    protect = deny("Protect", ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy",
                               "iam:PutRolePolicy"], resource="arn:aws:iam::*:role/OrganizationAccountAccessRole")
    got = guardrails(tmp_path / "a", {"P": (protect, ["r-root"])})
    assert got["protect_security_roles"].status == Status.PASS
    got = guardrails(tmp_path / "b", {"P": (protect, ["r-root"])},
                     settings={"guardrail_protected_roles": ["OrganizationAccountAccessRole", "SecurityAudit"]})
    f = got["protect_security_roles"]
    assert f.status == Status.FAIL and "role/SecurityAudit" in f.detail.split("Denied:")[0]


def test_unsupported_operator_is_an_error_not_a_pass(tmp_path):
    odd = deny("Odd", "organizations:LeaveOrganization", {"StringFancy": {"aws:PrincipalArn": "x"}})
    f = guardrails(tmp_path, {"Odd": (odd, ["r-root"])})["leave_organization"]
    assert f.status == Status.ERROR and "cannot decide" in f.detail


def test_malformed_scp_is_an_error(tmp_path):
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}
    f = guardrails(tmp_path, {"Bad": (bad, ["r-root"])})["leave_organization"]
    assert f.status == Status.ERROR and "malformed" in f.detail


def test_empty_level_is_missing_evidence(tmp_path):
    got = guardrails(tmp_path, {}, full_on=("r-root", "ou-work", ACCT))
    assert {f.status for f in got.values()} == {Status.ERROR}
    assert "no SCP attached at OU /Workloads/Prod" in got["leave_organization"].detail


def test_management_standalone_and_missing_org(tmp_path):
    got = guardrails(tmp_path / "m", {}, account_id=MGMT)
    assert {f.status for f in got.values()} == {Status.NOT_APPLICABLE}
    assert "SCPs never restrict it" in got["leave_organization"].detail
    standalone = [{"collector": "iam", "operation": "ListOrganizationsFeatures",
                   "code": "AWSOrganizationsNotInUseException", "message": "x",
                   "file": "iam/organizations_features.json"}]
    found = run(tmp_path / "s", {}, errors=standalone)
    assert {f.status for f in found if f.check_id.startswith("org.scp.guardrail")} == {Status.NOT_APPLICABLE}
    found = run(tmp_path / "u", {})
    assert {f.status for f in found if f.check_id.startswith("org.scp.guardrail")} == {Status.ERROR}


@pytest.mark.parametrize("enforced", [0, 10, 11])
def test_summary_passes_only_when_all_enforced(tmp_path, enforced):
    everything = [g for g in catalog()]
    docs = {}
    for g in everything[:enforced]:
        if g.principal == "root":
            docs[g.name] = (deny("R", "*", {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}), ["r-root"])
        else:
            docs[g.name] = (deny("D", sorted({r["action"] for r in g.requests})), ["r-root"])
    s = guardrails(tmp_path, docs)["s_present"]
    assert s.status == (Status.PASS if enforced == 11 else Status.FAIL)
    assert f"{enforced} of 11 catalogued guardrails are enforced" in s.detail


def test_guardrails_are_decided_by_the_policy_engine(tmp_path):
    """One evaluator for everything (iamkit.policy.engine, as `iamkit simulate`): a policy variable in an SCP's
    Resource is resolved from the request (IAM User Guide, "Policy variables"), so a Deny scoped to the
    requester's own account with ${aws:PrincipalAccount} protects the security roles; the same Deny naming
    another account does not."""
    from iamkit.checks.guardrails import DENIED, Request, decide

    own = deny("Protect", ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy",
                           "iam:PutRolePolicy"], resource="arn:aws:iam::${aws:PrincipalAccount}:role/*")
    got = guardrails(tmp_path / "own", {"Protect": (own, ["ou-work"])})
    assert got["protect_security_roles"].status == Status.PASS, got["protect_security_roles"].detail
    assert "SCP Protect at OU /Workloads (statement 'Protect')" in got["protect_security_roles"].detail
    other = deny("Protect", ["iam:*"], resource=f"arn:aws:iam::{OTHER}:role/*")
    assert guardrails(tmp_path / "other", {"Protect": (other, ["ou-work"])})[
        "protect_security_roles"].status == Status.FAIL
    # the engine's answer, reduced: a Deny on a key the request does not give is undecidable, never DENIED
    req = Request("s3:PutObject", "arn:aws:s3:::b/k", "us-east-1", f"arn:aws:iam::{ACCT}:role/x",
                  {"aws:PrincipalAccount": ACCT})
    cond = deny("Ip", "s3:*", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})  # AWS always sets it
    assert decide([[FULL, cond]], req).decision == "unsure"
    assert decide([[FULL, deny("All", "s3:*")]], req).decision == DENIED
