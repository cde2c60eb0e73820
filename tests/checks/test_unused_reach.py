"""Unused roles (``iam.role.unused``), Access Analyzer unused access, and cross-account reach to admin roles."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from iamkit.checks import assess
from iamkit.evidence import Bundle, iso
from iamkit.findings import Status
from iamkit.settings import load_settings
from tests.checks.helpers import ACCT, NOW, allow, gaad, role, run, write_bundle

GAAD = "iam/authorization_details.json"
OUTSIDE = "444455556666"
ORG_ACCT = "555566667777"
MGMT = "123456789012"


def trust(principal, **cond) -> dict:  # noqa: ANN001
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if cond:
        st["Condition"] = cond
    return st


def at(hours_ago: float) -> str:
    return iso(NOW - timedelta(hours=hours_ago))


def used_role(name: str, *, last_hours: float | None, created_hours: float | None = 24 * 400, path: str = "/"):  # noqa: ANN201
    r = role(name, trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), path=path)
    r["CreateDate"] = at(created_hours) if created_hours is not None else None
    r["RoleLastUsed"] = {"LastUsedDate": at(last_hours), "Region": "us-east-1"} if last_hours is not None else {}
    return r


# ---------------------------------------------------------------- iam.role.unused
@pytest.mark.parametrize(("hours", "status", "days"), [
    (89 * 24, "PASS", 89), (90 * 24 - 1, "PASS", 89), (90 * 24, "FAIL", 90), (91 * 24, "FAIL", 91)])
def test_role_unused_boundaries_on_last_use(tmp_path, hours, status, days):
    f = run(tmp_path, {GAAD: gaad(roles=[used_role("r", last_hours=hours)])}, "iam.role.unused")[0]
    assert f.status.value == status
    assert f"({days} days before collection)" in f.detail
    if status == "FAIL":
        assert f"unused for {days} days, at or above the 90-day limit" in f.detail


@pytest.mark.parametrize(("created_days", "status"), [(89, "PASS"), (90, "FAIL"), (91, "FAIL")])
def test_role_never_used_judged_from_creation(tmp_path, created_days, status):
    f = run(tmp_path, {GAAD: gaad(roles=[used_role("r", last_hours=None, created_hours=created_days * 24)])},
            "iam.role.unused")[0]
    assert f.status.value == status
    assert "never used" in f.detail and f"created {'only ' if status == 'PASS' else ''}{created_days} days ago" \
        in f.detail
    if status == "PASS":
        assert "too new to judge" in f.detail


def test_role_unused_parameter_and_special_roles(tmp_path):
    roles = [used_role("r", last_hours=30 * 24),
             used_role("AWSServiceRoleForSupport", last_hours=None, path="/aws-service-role/support.amazonaws.com/"),
             used_role("nodate", last_hours=None, created_hours=None)]
    got = {f.resource_arn.rsplit("/", 1)[-1]: f for f in run(tmp_path, {GAAD: gaad(roles=roles)}, "iam.role.unused",
                                                           settings={"thresholds": {"unused_role_days": 30}})}
    assert got["r"].status == Status.FAIL and "30-day limit" in got["r"].detail
    assert got["AWSServiceRoleForSupport"].status == Status.NOT_APPLICABLE
    assert got["nodate"].status == Status.ERROR


def test_role_unused_without_gaad_is_an_error(tmp_path):
    assert {f.status for f in run(tmp_path, {}, "iam.role.unused")} == {Status.ERROR}


# ---------------------------------------------------------------- accessanalyzer.unused_access
def _aa(analyzers, findings=None) -> dict:  # noqa: ANN001
    return {"analyzers": analyzers, "findings": findings or {}}


UNUSED = {"name": "unused", "arn": "arn:aws:access-analyzer:us-east-1:1:analyzer/unused",
          "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}
EXTERNAL = {"name": "ext", "arn": "arn:aws:access-analyzer:us-east-1:1:analyzer/ext", "type": "ACCOUNT",
            "status": "ACTIVE"}


def test_unused_access_findings_per_principal(tmp_path):
    role_arn, user_arn = f"arn:aws:iam::{ACCT}:role/old", f"arn:aws:iam::{ACCT}:user/bob"
    items = [{"id": "1", "resource": role_arn, "resourceType": "AWS::IAM::Role", "findingType": "UnusedIAMRole",
              "status": "ACTIVE", "resourceOwnerAccount": ACCT},
             {"id": "2", "resource": role_arn, "resourceType": "AWS::IAM::Role", "findingType": "UnusedPermission",
              "status": "ACTIVE", "resourceOwnerAccount": ACCT},
             {"id": "3", "resource": user_arn, "resourceType": "AWS::IAM::User",
              "findingType": "UnusedIAMUserAccessKey", "status": "ACTIVE", "resourceOwnerAccount": ACCT},
             {"id": "4", "resource": "arn:aws:iam::999999999999:role/x", "resourceType": "AWS::IAM::Role",
              "findingType": "UnusedIAMRole", "status": "ACTIVE", "resourceOwnerAccount": "999999999999"},
             {"id": "5", "resource": f"arn:aws:iam::{ACCT}:role/gone", "resourceType": "AWS::IAM::Role",
              "findingType": "UnusedIAMRole", "status": "RESOLVED", "resourceOwnerAccount": ACCT}]
    files = {"access_analyzer/us-east-1.json": _aa([EXTERNAL, UNUSED], {UNUSED["arn"]: items})}
    got = {f.resource_arn: f for f in run(tmp_path, files, "accessanalyzer.unused_access")}
    assert set(got) == {role_arn, user_arn}
    assert got[role_arn].status == Status.FAIL and "UnusedIAMRole, UnusedPermission (2 active findings" \
        in got[role_arn].detail
    assert got[role_arn].resource_type == "AwsIamRole" and got[user_arn].resource_type == "AwsIamUser"
    # unused-access findings are not external-access findings
    active = run(tmp_path / "b", files, "accessanalyzer.active_findings")
    assert [(f.status, f.resource_arn) for f in active] == [(Status.PASS, f"arn:aws:iam::{ACCT}:root")]


def test_unused_access_analyzer_without_findings_passes(tmp_path):
    files = {"access_analyzer/us-east-1.json": _aa([UNUSED])}
    f = run(tmp_path, files, "accessanalyzer.unused_access")
    assert [x.status for x in f] == [Status.PASS] and f[0].region == "us-east-1"


def test_no_unused_analyzer_is_not_a_pass(tmp_path):
    files = {"access_analyzer/us-east-1.json": _aa([EXTERNAL])}
    f = run(tmp_path / "a", files, "accessanalyzer.unused_access")
    assert [x.status for x in f] == [Status.NOT_APPLICABLE] and "No IAM Access Analyzer unused-access" in f[0].detail
    inactive = {**UNUSED, "status": "CREATING"}
    f = run(tmp_path / "b", {"access_analyzer/us-east-1.json": _aa([inactive])}, "accessanalyzer.unused_access")
    assert [x.status for x in f] == [Status.NOT_APPLICABLE]
    f = run(tmp_path / "c", {}, "accessanalyzer.unused_access")  # evidence missing everywhere
    assert [x.status for x in f] == [Status.ERROR]
    f = run(tmp_path / "d", files, "accessanalyzer.unused_access", regions=["us-east-1", "eu-west-1"])
    assert [x.status for x in f] == [Status.ERROR] and "eu-west-1 is missing" in f[0].detail


# ---------------------------------------------------------------- cross-account reach
ADMIN_DOC = allow("*", "*")


def _org(tmp_path, members):  # noqa: ANN001, ANN202
    files = {
        "organizations/organization.json": {"Organization": {"Id": "o-abc123", "MasterAccountId": MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "PolicyTypes": []}]},
        "organizations/ous.json": [],
        "organizations/accounts.json": {"Accounts": [{"Id": a, "Status": "ACTIVE", "ParentId": "r-root"}
                                                     for a in [MGMT, *members]]},
        "organizations/policies.json": [], "organizations/targets.json": {}}
    return Bundle(write_bundle(tmp_path / "org" / "organization", files, account_id=MGMT, scope="organization",
                               extra={"organization_id": "o-abc123", "management_account_id": MGMT}))


def _reach(tmp_path, accounts: dict[str, list[dict]], members=(ACCT, ORG_ACCT)):  # noqa: ANN001, ANN202
    bundles = [Bundle(write_bundle(tmp_path / "ev" / a, {GAAD: gaad(roles=roles)}, account_id=a))
               for a, roles in accounts.items()]
    found = assess(bundles, load_settings(), _org(tmp_path, members))
    return {f.resource_arn: f for f in found if f.check_id == "iam.role.external_admin_reach"}


def test_external_reaches_admin_through_a_chain(tmp_path):
    entry = role("entry", trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, StringEquals={"sts:ExternalId": "x"}),
                 inline={"hop": allow("sts:AssumeRole", f"arn:aws:iam::{ORG_ACCT}:role/admin")})
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), account=ORG_ACCT, inline={"all": ADMIN_DOC})
    got = _reach(tmp_path, {ACCT: [entry], ORG_ACCT: [admin]})
    f = got[f"arn:aws:iam::{ORG_ACCT}:role/admin"]
    assert f.status == Status.FAIL and f.account_id == ORG_ACCT
    assert "through a chain of 1 role assumption(s)" in f.detail
    entered = (f"arn:aws:iam::{OUTSIDE}:root [conditions: StringEquals sts:externalid=x] -> "
               f"arn:aws:iam::{ACCT}:role/entry")
    assert entered in f.detail and f"-> assumes it arn:aws:iam::{ORG_ACCT}:role/admin" in f.detail


def test_chain_cut_when_the_hop_is_not_allowed(tmp_path):
    entry = role("entry", trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}),
                 inline={"hop": allow("sts:AssumeRole", f"arn:aws:iam::{ORG_ACCT}:role/other")})
    denied = role("entry2", trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}),
                  inline={"hop": allow("sts:AssumeRole", "*"),
                          "no": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:*",
                                                                         "Resource": "*"}]}})
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), account=ORG_ACCT, inline={"all": ADMIN_DOC})
    got = _reach(tmp_path, {ACCT: [entry, denied], ORG_ACCT: [admin]})
    assert got[f"arn:aws:iam::{ORG_ACCT}:role/admin"].status == Status.PASS


def test_direct_external_trust_and_org_restricted_any(tmp_path):
    direct = role("direct-admin", trust({"AWS": "*"}), inline={"all": ADMIN_DOC})
    org_only = role("org-admin", trust({"AWS": "*"}, StringEquals={"aws:PrincipalOrgID": "o-abc123"}),
                    inline={"all": ADMIN_DOC})
    other_org = role("other-org-admin", trust({"AWS": "*"}, StringEquals={"aws:PrincipalOrgID": "o-zzz"}),
                     inline={"all": ADMIN_DOC})
    got = _reach(tmp_path / "a", {ACCT: [org_only], MGMT: []}, members=(ACCT,))  # every account has evidence
    assert got[f"arn:aws:iam::{ACCT}:role/org-admin"].status == Status.PASS
    got = _reach(tmp_path / "c", {ACCT: [other_org]})  # restricted to another organization: external
    assert got[f"arn:aws:iam::{ACCT}:role/other-org-admin"].status == Status.FAIL
    assert "directly" in got[f"arn:aws:iam::{ACCT}:role/other-org-admin"].detail
    # once an outsider holds an admin role of the organization, the org-restricted one is one hop away
    got = _reach(tmp_path / "b", {ACCT: [direct, org_only]})
    assert got[f"arn:aws:iam::{ACCT}:role/direct-admin"].status == Status.FAIL
    f = got[f"arn:aws:iam::{ACCT}:role/org-admin"]
    assert f.status == Status.FAIL and "through a chain of 1 role assumption(s)" in f.detail


def test_reach_from_an_org_account_without_evidence_is_an_error(tmp_path):
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{ORG_ACCT}:root"}), inline={"all": ADMIN_DOC})
    got = _reach(tmp_path, {ACCT: [admin]})
    f = got[f"arn:aws:iam::{ACCT}:role/admin"]
    assert f.status == Status.ERROR and f"account {ORG_ACCT}" in f.detail


def test_no_admin_roles_one_pass(tmp_path):
    got = _reach(tmp_path, {ACCT: [role("reader", trust({"AWS": "*"}), inline={"r": allow("s3:GetObject")})]})
    assert [f.status for f in got.values()] == [Status.PASS]
    assert f"arn:aws:iam::{ACCT}:root" in got


def test_reach_table_lists_who_outside_can_assume(tmp_path):
    from iamkit.checks import account_model, org_model
    from iamkit.checks.reach import reach_table
    from iamkit.checks.registry import CheckContext

    r = role("mixed", [trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}), trust({"Service": "config.amazonaws.com"}),
                       trust({"AWS": f"arn:aws:iam::{ACCT}:root"})])
    b = Bundle(write_bundle(tmp_path / "ev" / ACCT, {GAAD: gaad(roles=[r])}))
    s = load_settings()
    org = org_model(_org(tmp_path, [ACCT]), [b])
    t = reach_table(CheckContext(account_model(b, s, org), s, org))
    assert sorted(zip(t["principal"], t["scope"], strict=True)) == [
        (f"arn:aws:iam::{OUTSIDE}:root", "external"), ("config.amazonaws.com", "service")]
    assert t["externally_reachable"].all() and not t["admin"].any()


def test_notaction_allow_counts_as_a_hop_and_a_boundary_cuts_it(tmp_path):
    entry = role("entry", trust({"AWS": "*"}), inline={"broad": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]}})
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), inline={"all": ADMIN_DOC})
    got = _reach(tmp_path / "a", {ACCT: [entry, admin], MGMT: []}, members=(ACCT,))
    assert got[f"arn:aws:iam::{ACCT}:role/admin"].status == Status.FAIL
    # a permissions boundary without sts:AssumeRole stops the hop
    bounded = dict(entry, PermissionsBoundary={"PermissionsBoundaryType": "Policy",
                                               "PermissionsBoundaryArn": f"arn:aws:iam::{ACCT}:policy/s3only"})
    from tests.checks.helpers import managed
    b = Bundle(write_bundle(tmp_path / "b" / "ev" / ACCT, {GAAD: gaad(
        roles=[bounded, admin], policies=[managed(f"arn:aws:iam::{ACCT}:policy/s3only", allow("s3:*"), 1)])}))
    m = Bundle(write_bundle(tmp_path / "b" / "ev" / MGMT, {GAAD: gaad()}, account_id=MGMT))
    found = assess([b, m], load_settings(), _org(tmp_path / "b", [ACCT]))
    f = next(x for x in found if x.check_id == "iam.role.external_admin_reach"
             and x.resource_arn == f"arn:aws:iam::{ACCT}:role/admin")
    assert f.status == Status.PASS


def test_an_unreadable_trust_policy_makes_reach_an_error_not_a_pass(tmp_path):
    """A role whose trust policy cannot be parsed may be the way in: the admin role's reach is undecidable."""
    broken = role("broken", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]},
                  inline={"hop": allow("sts:AssumeRole", f"arn:aws:iam::{ORG_ACCT}:role/admin")})
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), account=ORG_ACCT, inline={"all": ADMIN_DOC})
    got = _reach(tmp_path, {ACCT: [broken], ORG_ACCT: [admin]})
    f = got[f"arn:aws:iam::{ORG_ACCT}:role/admin"]
    assert f.status == Status.ERROR and "broken" in f.detail


# ---------------------------------------------------------------- SCPs and RCPs in reach chains
FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                    "Resource": "*"}]}


def _org_policies(tmp_path, members, scps=(), rcps=()):  # noqa: ANN001, ANN202
    """An organization with SCPs and RCPs enabled, the AWS-managed full-access policy of each type at the root
    and every account (as AWS attaches them), and extra (name, document, target) policies."""
    accounts = [MGMT, *members]
    pols = [("p-full", "FullAWSAccess", "SERVICE_CONTROL_POLICY", FULL, ["r-root", *accounts]),
            ("p-rcpfull", "RCPFullAWSAccess", "RESOURCE_CONTROL_POLICY", RCP_FULL, ["r-root", *accounts])]
    pols += [(f"p-scp{i}", n, "SERVICE_CONTROL_POLICY", d, [t]) for i, (n, d, t) in enumerate(scps)]
    pols += [(f"p-rcp{i}", n, "RESOURCE_CONTROL_POLICY", d, [t]) for i, (n, d, t) in enumerate(rcps)]
    files = {
        "organizations/organization.json": {"Organization": {"Id": "o-abc123", "MasterAccountId": MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
            {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": [],
        "organizations/accounts.json": {"Accounts": [{"Id": a, "Status": "ACTIVE", "ParentId": "r-root"}
                                                     for a in accounts]},
        "organizations/policies.json": [
            {"PolicySummary": {"Id": i, "Name": n, "Type": t, "AwsManaged": i in ("p-full", "p-rcpfull")},
             "Content": json.dumps(d)} for i, n, t, d, _ in pols],
        "organizations/targets.json": {i: [{"TargetId": x, "Type": "ACCOUNT" if x.isdigit() else "ROOT"}
                                           for x in ts] for i, _, _, _, ts in pols}}
    return Bundle(write_bundle(tmp_path / "org" / "organization", files, account_id=MGMT, scope="organization",
                               extra={"organization_id": "o-abc123", "management_account_id": MGMT}))


def _reach_org(tmp_path, accounts, scps=(), rcps=()):  # noqa: ANN001, ANN202
    bundles = [Bundle(write_bundle(tmp_path / "ev" / a, {GAAD: gaad(roles=roles)}, account_id=a))
               for a, roles in {MGMT: [], **accounts}.items()]
    org = _org_policies(tmp_path, [a for a in accounts if a != MGMT], scps, rcps)
    found = assess(bundles, load_settings(), org)
    return {f.resource_arn: f for f in found if f.check_id == "iam.role.external_admin_reach"}


def _chain_roles():  # noqa: ANN202
    entry = role("entry", trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}),
                 inline={"hop": allow("sts:AssumeRole", f"arn:aws:iam::{ORG_ACCT}:role/admin")})
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), account=ORG_ACCT, inline={"all": ADMIN_DOC})
    return {ACCT: [entry], ORG_ACCT: [admin]}


ADMIN_ARN = f"arn:aws:iam::{ORG_ACCT}:role/admin"


def test_an_scp_denying_assume_role_in_the_source_account_cuts_the_chain(tmp_path):
    """SCPs restrict the principals of their account (Organizations, SCP evaluation): a Deny of sts:AssumeRole
    on account A stops A's roles from assuming B's; the same Deny on B (the target's account) does not, since
    SCPs never restrict principals of other accounts."""
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]}
    assert _reach_org(tmp_path / "open", _chain_roles())[ADMIN_ARN].status == Status.FAIL
    got = _reach_org(tmp_path / "a", _chain_roles(), scps=[("NoAssume", deny, ACCT)])
    assert got[ADMIN_ARN].status == Status.PASS
    got = _reach_org(tmp_path / "b", _chain_roles(), scps=[("NoAssume", deny, ORG_ACCT)])
    assert got[ADMIN_ARN].status == Status.FAIL


def test_an_rcp_of_the_target_account_cuts_the_hop(tmp_path):
    """RCPs restrict access to their account's resources, whoever asks: an RCP on B denying sts:AssumeRole to
    principals of other accounts cuts the hop from A; one allowing A's account leaves it."""
    def only(account: str) -> dict:
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                                                        "Resource": "*", "Condition": {"StringNotEquals": {
                                                            "aws:PrincipalAccount": [account]}}}]}
    got = _reach_org(tmp_path / "a", _chain_roles(), rcps=[("OwnOnly", only(ORG_ACCT), ORG_ACCT)])
    assert got[ADMIN_ARN].status == Status.PASS
    got = _reach_org(tmp_path / "b", _chain_roles(), rcps=[("FromAcct", only(ACCT), ORG_ACCT)])
    assert got[ADMIN_ARN].status == Status.FAIL


def test_an_rcp_keeping_outsiders_out_stops_the_entry(tmp_path):
    """A role trusting anyone (Principal *) is no way in when the account's RCP denies sts:AssumeRole to
    principals outside the organization (aws:PrincipalOrgID is absent for them: ...IfExists denies)."""
    direct = role("direct-admin", trust({"AWS": "*"}), inline={"all": ADMIN_DOC})
    org_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sts:*",
                                                        "Resource": "*", "Condition": {"StringNotEqualsIfExists": {
                                                            "aws:PrincipalOrgID": "o-abc123"}}}]}
    arn = f"arn:aws:iam::{ACCT}:role/direct-admin"
    assert _reach_org(tmp_path / "open", {ACCT: [direct]})[arn].status == Status.FAIL
    assert _reach_org(tmp_path / "rcp", {ACCT: [direct]}, rcps=[("OrgOnly", org_only, ACCT)])[arn].status == Status.PASS


def test_unreadable_scps_decide_hops_without_them_never_error_or_hide(tmp_path):
    """Without organizations/policies.json (ListPolicies denied) the SCP/RCP chains cannot be read: hops are
    decided without them, so the chain is still reported (over-report, never hide a path) and no ERROR."""
    files = {
        "organizations/organization.json": {"Organization": {"Id": "o-abc123", "MasterAccountId": MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": [],
        "organizations/accounts.json": {"Accounts": [{"Id": a, "Status": "ACTIVE", "ParentId": "r-root"}
                                                     for a in (MGMT, ACCT, ORG_ACCT)]}}
    org = Bundle(write_bundle(tmp_path / "org" / "organization", files, account_id=MGMT, scope="organization",
                              extra={"organization_id": "o-abc123", "management_account_id": MGMT},
                              errors=[{"collector": "organizations", "operation": "ListPolicies", "region": "global",
                                       "code": "AccessDenied", "message": "denied",
                                       "file": "organizations/policies.json"}]))
    bundles = [Bundle(write_bundle(tmp_path / "ev" / a, {GAAD: gaad(roles=roles)}, account_id=a))
               for a, roles in {MGMT: [], **_chain_roles()}.items()]
    got = {f.resource_arn: f for f in assess(bundles, load_settings(), org)
           if f.check_id == "iam.role.external_admin_reach"}
    assert got[ADMIN_ARN].status == Status.FAIL, got[ADMIN_ARN].detail


def test_the_saved_graph_is_the_built_graph_and_a_stale_one_is_ignored(tmp_path, monkeypatch):
    """The assessment saves the organization-wide graph once; notebook 03 loads it instead of building it
    again, and only when it was built from the same bundles (same collection times)."""
    from iamkit.checks import reach
    from iamkit.checks.registry import CheckContext
    from iamkit.model import AccountModel, OrgModel

    entry = role("entry", trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, StringEquals={"sts:ExternalId": "x"}),
                 inline={"hop": allow("sts:AssumeRole", f"arn:aws:iam::{ORG_ACCT}:role/admin")})
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), account=ORG_ACCT, inline={"all": ADMIN_DOC})
    bundles = [Bundle(write_bundle(tmp_path / "ev" / a, {GAAD: gaad(roles=roles)}, account_id=a))
               for a, roles in {ACCT: [entry], ORG_ACCT: [admin]}.items()]
    org_bundle = _org(tmp_path, (ACCT, ORG_ACCT))

    def ctx() -> CheckContext:  # a new organization model: nothing cached yet
        org = OrgModel(org_bundle)
        org.account_bundles.update({b.account_id: b for b in bundles})
        return CheckContext(account=AccountModel(bundles[0], org=org), settings=load_settings(), org=org)

    built = reach.graph(first := ctx())
    assert f"arn:aws:iam::{ORG_ACCT}:role/admin" in built.reached
    reach.save_graph(first, tmp_path / reach.GRAPH_FILE)
    monkeypatch.setattr(reach, "_build", lambda *_: pytest.fail("the saved graph is built again"))
    assert reach.load_graph(second := ctx(), tmp_path / reach.GRAPH_FILE)
    assert reach.graph(second) == built
    assert reach.reach_table(second).equals(reach.reach_table(first))
    doc = json.loads((tmp_path / reach.GRAPH_FILE).read_text())
    doc["built_from"][ORG_ACCT] = "2020-01-01T00:00:00+00:00"  # re-collected since: another graph
    (tmp_path / reach.GRAPH_FILE).write_text(json.dumps(doc))
    assert not reach.load_graph(ctx(), tmp_path / reach.GRAPH_FILE)
    assert not reach.load_graph(ctx(), tmp_path / "absent.json")
