from __future__ import annotations

from iamkit.findings import Status
from tests.checks.helpers import (
    ACCT,
    allow,
    by_resource,
    cred_report,
    cred_row,
    gaad,
    group,
    managed,
    role,
    run,
    user,
    write_bundle,
    write_org_bundle,
)

_org_bundle = write_org_bundle

R = f"arn:aws:iam::{ACCT}:role/"
GAAD = "iam/authorization_details.json"
ORG_ACCT, VENDOR, PARTNER, STRANGER = "444455556666", "999988887777", "222233334444", "777766665555"


def trust(principal, condition=None, action="sts:AssumeRole"):  # noqa: ANN001, ANN201
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return st


ROLES = [
    role("public", trust({"AWS": "*"})),
    role("public-org", trust("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
    role("org", trust({"AWS": f"arn:aws:iam::{ORG_ACCT}:root"})),
    role("vendor", trust({"AWS": f"arn:aws:iam::{VENDOR}:root"})),
    role("vendor-xid", trust({"AWS": f"arn:aws:iam::{VENDOR}:root"}, {"StringEquals": {"sts:ExternalId": "x1"}})),
    role("partner", trust({"AWS": f"arn:aws:iam::{PARTNER}:role/deploy"})),
    role("stranger", trust({"AWS": STRANGER})),
    role("gha", trust({"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"},
                      {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
                      "sts:AssumeRoleWithWebIdentity")),
    role("gha-ok", trust({"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"},
                         {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}},
                         "sts:AssumeRoleWithWebIdentity")),
    role("cfg", trust({"Service": "config.amazonaws.com"})),
    role("cfg-ok", trust({"Service": "config.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": ACCT}})),
    role("ec2", trust({"Service": "ec2.amazonaws.com"})),
    role("AWSServiceRoleForSupport", trust({"Service": "support.amazonaws.com"}), path="/aws-service-role/"),
    role("AWSReservedSSO_Admin_0123", trust({"Federated": f"arn:aws:iam::{ACCT}:saml-provider/AWSSSO_x"}, None,
                                            "sts:AssumeRoleWithSAML"), path="/aws-reserved/sso.amazonaws.com/"),
]
SETTINGS = {"trusted_account_ids": [PARTNER], "known_vendor_accounts": {VENDOR: "Acme SaaS"}}


def test_role_trust_checks(tmp_path):
    org = _org_bundle(tmp_path)
    found = run(tmp_path / "a", {GAAD: gaad(roles=ROLES)}, org=org, settings=SETTINGS)
    status = {(f.check_id, f.resource_arn.rsplit("/", 1)[-1]): f.status.value for f in found
              if f.check_id.startswith(("iam.role.trust", "iam.role.oidc", "iam.role.service"))}
    fails = sorted(k for k, v in status.items() if v == "FAIL")
    assert fails == sorted([
        ("iam.role.trust_any_principal", "public"),
        ("iam.role.trust_external_without_external_id", "vendor"),
        ("iam.role.trust_external_without_external_id", "stranger"),
        ("iam.role.trust_unknown_account", "stranger"),
        ("iam.role.oidc_trust_unrestricted", "gha"),
        ("iam.role.service_trust_confused_deputy", "cfg"),
    ])
    for check in ("iam.role.trust_any_principal", "iam.role.service_trust_confused_deputy"):
        assert status[(check, "AWSServiceRoleForSupport")] == "NOT_APPLICABLE"
        assert status[(check, "AWSReservedSSO_Admin_0123")] == "NOT_APPLICABLE"
    assert status[("iam.role.trust_unknown_account", "org")] == "PASS"       # organization account
    assert status[("iam.role.trust_unknown_account", "vendor")] == "PASS"    # known vendor
    assert status[("iam.role.trust_external_without_external_id", "partner")] == "PASS"  # trusted list
    assert status[("iam.role.service_trust_confused_deputy", "ec2")] == "PASS"
    vendor = next(f for f in found if f.check_id == "iam.role.trust_external_without_external_id"
                  and f.resource_arn == R + "vendor")
    assert "Acme SaaS" in vendor.detail and vendor.evidence[0].sha256


def test_org_account_is_unknown_without_org_bundle(tmp_path):
    found = run(tmp_path, {GAAD: gaad(roles=ROLES)}, "iam.role.trust_unknown_account")
    assert by_resource(found)[R + "org"] == "FAIL"


def test_malformed_trust_policy_is_an_error_for_that_role_only(tmp_path):
    bad = role("bad", [])
    bad["AssumeRolePolicyDocument"] = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}
    got = by_resource(run(tmp_path, {GAAD: gaad(roles=[bad, ROLES[2]])}, "iam.role.trust_any_principal"))
    assert got == {R + "bad": "ERROR", R + "org": "PASS"}


def test_access_analyzer(tmp_path):
    regions = ["us-east-1", "eu-west-1", "ap-south-1"]
    aa = {"analyzers": [{"name": "ext", "arn": "arn:aws:access-analyzer:us-east-1:1:analyzer/ext", "type": "ACCOUNT",
                         "status": "ACTIVE"}],
          "findings": {"arn:aws:access-analyzer:us-east-1:1:analyzer/ext": [
              {"id": "f1", "resource": "arn:aws:s3:::public-bucket", "resourceType": "AWS::S3::Bucket",
               "isPublic": True, "status": "ACTIVE", "principal": {"AWS": "*"}, "action": ["s3:GetObject"]}]}}
    unused_only = {"analyzers": [{"name": "unused", "arn": "x", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}],
                   "findings": {}}
    files = {"regions.json": regions, "access_analyzer/us-east-1.json": aa,
             "access_analyzer/eu-west-1.json": unused_only}
    errors = [{"collector": "access_analyzer", "operation": "ListAnalyzers", "code": "AccessDenied", "message": "no",
               "region": "ap-south-1", "file": "access_analyzer/ap-south-1.json"}]
    found = run(tmp_path, files, errors=errors, regions=regions)
    enabled = {f.region: f.status.value for f in found if f.check_id == "accessanalyzer.enabled_all_regions"}
    assert enabled == {"us-east-1": "PASS", "eu-west-1": "FAIL", "ap-south-1": "ERROR"}
    active = {(f.region, f.resource_arn): f.status.value for f in found
              if f.check_id == "accessanalyzer.active_findings"}
    assert active == {("us-east-1", "arn:aws:s3:::public-bucket"): "FAIL",
                      ("eu-west-1", f"arn:aws:iam::{ACCT}:root"): "NOT_APPLICABLE",
                      ("ap-south-1", f"arn:aws:iam::{ACCT}:root"): "ERROR"}
    err = next(f for f in found if f.check_id == "accessanalyzer.enabled_all_regions" and f.region == "ap-south-1")
    assert "ListAnalyzers failed in ap-south-1: AccessDenied" in err.detail


# ---------------------------------------------------------------- scp
def _scp(found):  # noqa: ANN001, ANN202
    return {f.check_id: f for f in found if f.check_id.startswith("org.")}


def test_scp_chain_guardrails(tmp_path):
    got = _scp(run(tmp_path / "a", {}, org=_org_bundle(tmp_path / "o1")))
    assert got["org.account.member"].status == Status.PASS
    assert got["org.scp.enabled"].status == Status.PASS
    g = got["org.scp.guardrails_present"]  # the summary of the evaluated guardrails (tests/checks/test_guardrails.py)
    assert g.status == Status.FAIL and "1 of 11 catalogued guardrails are enforced" in g.detail
    assert "OU /Workloads: FullAWSAccess, deny-leave" in g.detail and "enforced: leave_organization" in g.detail
    assert got["org.scp.guardrail.leave_organization"].status == Status.PASS
    got = _scp(run(tmp_path / "b", {}, org=_org_bundle(tmp_path / "o2", guard=False)))
    assert got["org.scp.guardrails_present"].status == Status.FAIL
    assert "0 of 11 catalogued guardrails" in got["org.scp.guardrails_present"].detail
    got = _scp(run(tmp_path / "c", {}, org=_org_bundle(tmp_path / "o3", scps=False)))
    assert got["org.scp.enabled"].status == Status.FAIL
    assert got["org.scp.guardrails_present"].status == Status.FAIL


def test_scp_management_account_and_standalone(tmp_path):
    got = _scp(run(tmp_path / "m", {}, org=_org_bundle(tmp_path / "o"), account_id="123456789012"))
    assert got["org.scp.guardrails_present"].status == Status.NOT_APPLICABLE
    standalone = [{"collector": "iam", "operation": "ListOrganizationsFeatures",
                   "code": "AWSOrganizationsNotInUseException", "message": "x",
                   "file": "iam/organizations_features.json"}]
    got = _scp(run(tmp_path / "s", {}, errors=standalone))
    assert got["org.account.member"].status == Status.FAIL
    assert got["org.scp.enabled"].status == Status.NOT_APPLICABLE
    assert got["org.scp.guardrails_present"].status == Status.NOT_APPLICABLE
    got = _scp(run(tmp_path / "u", {}))  # nothing known about the organization
    assert {k: f.status for k, f in got.items() if not k.startswith("org.scp.guardrail.")} == {
                                                     "org.account.member": Status.ERROR,
                                                     "org.scp.enabled": Status.ERROR,
                                                     "org.scp.guardrails_present": Status.ERROR,
                                                     "org.root.centralized_management": Status.ERROR}


# ---------------------------------------------------------------- privilege
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
SUPPORT = "arn:aws:iam::aws:policy/AWSSupportAccess"
SHELL = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"


def test_full_admin_attached(tmp_path):
    trick = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["iam:ChangePassword"],
                                                      "Resource": "*"}]}
    poweruser = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*",
                                                                                          "account:*"],
                                                          "Resource": "*"}]}
    trick_arn, power_arn, sso_only = (f"arn:aws:iam::{ACCT}:policy/{n}" for n in ("trick", "power", "sso-admin"))
    files = {GAAD: gaad(
        users=[user("alice", attached=[trick_arn]), user("bob", inline={"all": allow()}),
               user("carol", inline={"read": allow("s3:Get*")})],
        groups=[group("admins", attached=[ADMIN])],
        roles=[role("dev", trust({"Service": "ec2.amazonaws.com"}),
                    attached=[power_arn, "arn:aws:iam::aws:policy/Gone"]),
               role("AWSReservedSSO_Admin_1", trust({"Service": "sso.amazonaws.com"}),
                    path="/aws-reserved/sso.amazonaws.com/", attached=[sso_only])],
        policies=[managed(ADMIN, allow()), managed(trick_arn, trick), managed(power_arn, poweruser),
                  managed(sso_only, allow())])}
    unused = f"arn:aws:iam::{ACCT}:policy/unused-admin"
    files[GAAD]["Policies"].append(managed(unused, allow(), 0))
    got = by_resource(run(tmp_path, files, "iam.policy.full_admin_attached"))
    assert got == {ADMIN: "FAIL", trick_arn: "FAIL", power_arn: "PASS", sso_only: "PASS", unused: "PASS",
                   "arn:aws:iam::aws:policy/Gone": "ERROR",
                   f"arn:aws:iam::{ACCT}:user/bob": "FAIL", f"arn:aws:iam::{ACCT}:user/carol": "PASS"}


def test_direct_policies_support_cloudshell(tmp_path):
    files = {GAAD: gaad(users=[user("alice", groups=["g"]), user("bob", attached=[SHELL]),
                               user("carol", inline={"x": allow("s3:GetObject")})],
                        groups=[group("g", attached=[SUPPORT])])}
    found = run(tmp_path / "a", files)
    direct = by_resource([f for f in found if f.check_id == "iam.user.direct_policies"])
    U = f"arn:aws:iam::{ACCT}:user/"
    assert direct == {U + "alice": "PASS", U + "bob": "FAIL", U + "carol": "FAIL"}
    [shell] = [f for f in found if f.check_id == "iam.cloudshell_full_access"]
    assert (shell.resource_arn, shell.status, shell.resource_type) == (SHELL, Status.FAIL, "AwsIamPolicy")
    assert "user bob" in shell.detail
    [support] = [f for f in found if f.check_id == "iam.support_role"]
    # CIS asks for a support ROLE: the group g holding AWSSupportAccess does not satisfy it
    assert support.status == Status.FAIL and "group g" in support.detail
    found = run(tmp_path / "b", {GAAD: gaad(users=[user("alice")])})
    assert {f.check_id: f.status for f in found if f.check_id in ("iam.support_role", "iam.cloudshell_full_access")} \
        == {"iam.support_role": Status.FAIL, "iam.cloudshell_full_access": Status.PASS}


def test_privilege_checks_error_without_gaad(tmp_path):
    found = run(tmp_path, {"iam/credential_report.csv": cred_report(cred_row("<root_account>"))},
                errors=[{"collector": "iam", "operation": "GetAccountAuthorizationDetails", "code": "Throttling",
                         "message": "rate exceeded", "file": GAAD}])
    gaad_checks = {f.check_id: f for f in found if f.area in ("privilege", "cross_account")
                   and f.check_id.startswith("iam.") and f.check_id != "iam.identity.federation"}
    # every check that reads GAAD, by name: the loop below cannot pass on an empty selection
    assert set(gaad_checks) == {
        "iam.policy.full_admin_attached", "iam.user.direct_policies", "iam.support_role", "iam.cloudshell_full_access",
        "iam.role.trust_any_principal", "iam.role.trust_external_without_external_id",
        "iam.role.trust_unknown_account", "iam.role.oidc_trust_unrestricted",
        "iam.role.service_trust_confused_deputy", "iam.principal.privilege_escalation", "iam.role.unused",
        "iam.role.external_admin_reach"}
    for f in gaad_checks.values():
        assert f.status == Status.ERROR, f
        assert "GetAccountAuthorizationDetails failed" in f.detail


def test_analyzer_regions_unknown_or_restricted(tmp_path):
    aa = {"analyzers": [{"name": "ext", "arn": "a", "type": "ACCOUNT", "status": "ACTIVE"}], "findings": {}}
    found = [f for f in run(tmp_path / "a", {"access_analyzer/us-east-1.json": aa})
             if f.check_id == "accessanalyzer.enabled_all_regions"]
    assert {(f.region, f.status.value) for f in found} == {("global", "ERROR"), ("us-east-1", "PASS")}
    found = [f for f in run(tmp_path / "b", {"access_analyzer/us-east-1.json": aa,
                                             "regions.json": {"Regions": [{"RegionName": "us-east-1"},
                                                                          {"RegionName": "eu-north-1"}]}})
             if f.check_id == "accessanalyzer.enabled_all_regions"]
    err = next(f for f in found if f.region == "global")
    assert err.status == Status.ERROR and "eu-north-1" in err.detail


def test_trust_any_principal_needs_an_identity_binding_condition(tmp_path):
    """sts:ExternalId is not a secret (AWS): * with only an external id FAILs; a Deny-unless-org PASSes."""
    roles = [
        role("xid-only", trust({"AWS": "*"}, {"StringEquals": {"sts:ExternalId": "x-123"}})),
        role("anded", trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"},
                                           "StringLike": {"aws:PrincipalOrgID": "*"}})),
        role("deny-unless-org", [trust({"AWS": "*"}),
                                 {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                                  "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]),
    ]
    got = by_resource(run(tmp_path, {GAAD: gaad(roles=roles)}, "iam.role.trust_any_principal"))
    assert got == {R + "xid-only": "FAIL", R + "anded": "PASS", R + "deny-unless-org": "PASS"}


def test_oidc_wildcard_subjects_fail(tmp_path):
    eks = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
    gh = "token.actions.githubusercontent.com"
    roles = [
        role("eks-any", trust({"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/{eks}"},
                              {"StringLike": {f"{eks}:sub": "system:serviceaccount:*:*"}},
                              "sts:AssumeRoleWithWebIdentity")),
        role("eks-ns", trust({"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/{eks}"},
                             {"StringLike": {f"{eks}:sub": "system:serviceaccount:prod:*"}},
                             "sts:AssumeRoleWithWebIdentity")),
        role("gh-any", trust({"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/{gh}"},
                             {"StringLike": {f"{gh}:sub": "repo:*"}}, "sts:AssumeRoleWithWebIdentity")),
    ]
    got = by_resource(run(tmp_path, {GAAD: gaad(roles=roles)}, "iam.role.oidc_trust_unrestricted"))
    assert got == {R + "eks-any": "FAIL", R + "eks-ns": "PASS", R + "gh-any": "FAIL"}


def test_support_role_needs_a_role(tmp_path):
    files = {GAAD: gaad(users=[user("alice", attached=[SUPPORT])],
                        roles=[role("Support", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), attached=[SUPPORT])])}
    [f] = [f for f in run(tmp_path / "r", files) if f.check_id == "iam.support_role"]
    assert f.status == Status.PASS and "Support" in f.detail
    [f] = [f for f in run(tmp_path / "u", {GAAD: gaad(users=[user("alice", attached=[SUPPORT])])})
           if f.check_id == "iam.support_role"]
    assert f.status == Status.FAIL and "user alice" in f.detail


def test_admin_with_a_small_service_denied_or_full_iam_is_privileged(tmp_path):
    """AdministratorAccess + Deny aws-portal:* is still admin; iam:* can grant itself everything."""
    no_billing = f"arn:aws:iam::{ACCT}:policy/no-billing"
    deny_billing = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "aws-portal:*",
                                                            "Resource": "*"}]}
    files = {GAAD: gaad(users=[user("alice", attached=[ADMIN, no_billing]), user("bob", inline={"iam": allow("iam:*")}),
                               user("carol", inline={"s3": allow("s3:*")})],
                        policies=[managed(ADMIN, allow()), managed(no_billing, deny_billing)]),
             "iam/credential_report.csv": cred_report(cred_row("<root_account>"), cred_row("alice", password=True),
                                                      cred_row("bob", password=True), cred_row("carol", password=True))}
    got = by_resource(run(tmp_path, files, "iam.user.privileged_without_mfa"))
    assert got == {f"arn:aws:iam::{ACCT}:user/alice": "FAIL", f"arn:aws:iam::{ACCT}:user/bob": "FAIL"}


# ---------------------------------------------------------------- organization evidence gaps (issue 11)
def _org_files_with(tmp_path, name, **changes):  # noqa: ANN001, ANN202
    """The organization bundle of _org_bundle with some files replaced."""
    import json

    from iamkit.evidence import Bundle

    base = Bundle(_org_bundle(tmp_path / f"{name}-base"))
    files = {rel: base.json(rel) for rel in base.manifest["files"]}
    files.update({f"organizations/{k}.json": v for k, v in changes.items()})
    assert json.dumps(files)  # still JSON
    return write_bundle(tmp_path / name / "organization", files, account_id="123456789012", scope="organization",
                        extra={"organization_id": "o-abc123", "management_account_id": "123456789012"})


def test_scp_attached_but_absent_from_policies_is_an_error(tmp_path):
    org = _org_files_with(tmp_path, "o", targets={
        "p-FullAWSAccess": [{"TargetId": "r-root", "Type": "ROOT"}],
        "p-deny1": [{"TargetId": "ou-work", "Type": "ORGANIZATIONAL_UNIT"}],
        "p-gone": [{"TargetId": "ou-prod", "Type": "ORGANIZATIONAL_UNIT"}]})
    got = _scp(run(tmp_path / "a", {}, org=org))
    g = got["org.scp.guardrails_present"]
    assert g.status == Status.ERROR and "p-gone" in g.detail and "policies.json" in g.detail


def test_ou_absent_from_ous_is_an_error(tmp_path):
    org = _org_files_with(tmp_path, "o", ous=[{"Id": "ou-prod", "Name": "Prod", "ParentId": "ou-work"}])
    g = _scp(run(tmp_path / "a", {}, org=org))["org.scp.guardrails_present"]
    assert g.status == Status.ERROR and "ou-work" in g.detail and "ous.json" in g.detail


def test_policy_type_without_status_is_an_error(tmp_path):
    org = _org_files_with(tmp_path, "o", roots={"Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [
        {"Type": "SERVICE_CONTROL_POLICY"}]}]})
    got = _scp(run(tmp_path / "a", {}, org=org))
    assert got["org.scp.enabled"].status == Status.ERROR and "Status" in got["org.scp.enabled"].detail
    assert got["org.scp.guardrails_present"].status == Status.ERROR


def test_account_under_unknown_ou_has_no_path(tmp_path):
    from iamkit.evidence import Bundle
    from iamkit.model import OrgModel

    org = OrgModel(Bundle(_org_files_with(tmp_path, "o", ous=[{"Id": "ou-work", "Name": "Workloads",
                                                                 "ParentId": "r-root"}])))
    paths = dict(zip(org.accounts["id"], org.accounts["ou_path"], strict=True))
    assert paths["123456789012"] == "/" and paths[ORG_ACCT] == "/Workloads"
    assert not isinstance(paths[ACCT], str)  # unknown, never "/"


def test_admin_verdict_with_a_policy_gaad_lacks_is_an_error(tmp_path):
    gone = "arn:aws:iam::aws:policy/NotInGaad"
    files = {GAAD: gaad(users=[user("dora", attached=[gone]), user("eve", attached=[gone, ADMIN])],
                        policies=[managed(ADMIN, allow())]),
             "iam/credential_report.csv": cred_report(cred_row("<root_account>"), cred_row("dora", password=True),
                                                      cred_row("eve", password=True))}
    got = {f.resource_arn.rsplit("/", 1)[-1]: f for f in run(tmp_path, files, "iam.user.privileged_without_mfa")}
    assert got["dora"].status == Status.ERROR and "NotInGaad" in got["dora"].detail
    # admin through the policy GAAD has, but the missing one could hold a Deny that cuts it (a Deny in another
    # policy wins): the verdict is unknown, so ERROR naming it, never a guess
    assert got["eve"].status == Status.ERROR and "NotInGaad" in got["eve"].detail
