"""What the organization model lifts from the run's account bundles (management account's
ListOrganizationsFeatures answer, organization analyzers), and SCPs that are FullAWSAccess in disguise."""

from __future__ import annotations

from iamkit.checks import assess_account, org_model
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.settings import load_settings
from tests.checks.helpers import ACCT, cred_report, cred_row, run, write_bundle, write_org_bundle

MGMT = "123456789012"
MEMBER_ERR = [{"collector": "iam", "operation": "ListOrganizationsFeatures", "code":
               "AccountNotManagementOrDelegatedAdministratorException", "message": "member",
               "file": "iam/organizations_features.json"}]


def _member(tmp_path, **files):  # noqa: ANN001, ANN202
    return Bundle(write_bundle(tmp_path / "e" / ACCT, {
        "iam/credential_report.csv": cred_report(cred_row("<root_account>", pw_used=None)), **files},
        errors=MEMBER_ERR))


def _central(findings):  # noqa: ANN001, ANN202
    [f] = [f for f in findings if f.check_id == "org.root.centralized_management"]
    return f


def test_member_uses_the_management_accounts_features(tmp_path):
    member = _member(tmp_path)
    mgmt = Bundle(write_bundle(tmp_path / "e" / MGMT, {"iam/organizations_features.json": {
        "OrganizationId": "o-abc123", "EnabledFeatures": ["RootCredentialsManagement"]}}, account_id=MGMT))
    org = org_model(Bundle(write_org_bundle(tmp_path / "o")), [mgmt, member])
    assert org.features == ["RootCredentialsManagement"]
    assert org.features_ref["file"] == f"{MGMT}/iam/organizations_features.json"
    f = _central(assess_account(member, load_settings(), org))
    assert f.status == Status.PASS and "management account" in f.detail
    # another member's answer is not the organization's
    other = Bundle(write_bundle(tmp_path / "x" / "444455556666", {"iam/organizations_features.json": {
        "EnabledFeatures": ["RootCredentialsManagement"]}}, account_id="444455556666"))
    assert org_model(Bundle(write_org_bundle(tmp_path / "o2")), [other, member]).features is None


def test_member_without_any_feature_answer_is_an_error(tmp_path):
    member = _member(tmp_path)
    org = org_model(Bundle(write_org_bundle(tmp_path / "o")), [member])
    f = _central(assess_account(member, load_settings(), org))
    assert f.status == Status.ERROR and "unknown" in f.detail


def test_features_from_the_organization_bundle(tmp_path):
    member = _member(tmp_path)
    org_path = write_org_bundle(tmp_path / "o")
    ob = Bundle(org_path)
    files = {rel: ob.json(rel) for rel in ob.manifest["files"]}
    files["organizations/organizations_features.json"] = {"EnabledFeatures": []}
    org_path = write_bundle(tmp_path / "o3" / "organization", files, account_id=MGMT, scope="organization",
                            extra={"organization_id": "o-abc123", "management_account_id": MGMT})
    org = org_model(Bundle(org_path), [member])
    assert org.features == []
    f = _central(assess_account(member, load_settings(), org))
    assert f.status == Status.FAIL and "does not manage root access centrally" in f.detail


def test_organization_analyzers_are_lifted_once_and_only_active_organization_ones(tmp_path):
    aa = {"analyzers": [
        {"name": "org", "arn": "arn:aws:access-analyzer:us-east-1:444455556666:analyzer/org", "type": "ORGANIZATION",
         "status": "ACTIVE"},
        {"name": "old", "arn": "arn:aws:access-analyzer:us-east-1:444455556666:analyzer/old", "type": "ORGANIZATION",
         "status": "DISABLED"},
        {"name": "acct", "arn": "arn:aws:access-analyzer:us-east-1:444455556666:analyzer/acct", "type": "ACCOUNT",
         "status": "ACTIVE"}], "findings": {}}
    admin = Bundle(write_bundle(tmp_path / "e" / "444455556666", {"access_analyzer/us-east-1.json": aa},
                                account_id="444455556666"))
    member = Bundle(write_bundle(tmp_path / "e" / ACCT, {"access_analyzer/us-east-1.json": {"analyzers": [],
                                                                                            "findings": {}},
                                                         "regions.json": ["us-east-1"]}))
    org = org_model(Bundle(write_org_bundle(tmp_path / "o")), [admin, admin, member])
    assert org.org_analyzers == {"us-east-1": ["arn:aws:access-analyzer:us-east-1:444455556666:analyzer/org"]}
    [f] = [f for f in assess_account(member, load_settings(), org)
           if f.check_id == "accessanalyzer.enabled_all_regions"]
    assert f.status == Status.FAIL and "organization analyzer" in f.detail and "analyzer/org" in f.detail


def _with_scp(tmp_path, name, document, aws_managed=False):  # noqa: ANN001, ANN202
    import json

    tmp_path = tmp_path / ("aws" if aws_managed else "customer")
    ob = Bundle(write_org_bundle(tmp_path / f"{name}-base", guard=False))
    files = {rel: ob.json(rel) for rel in ob.manifest["files"]}
    files["organizations/policies.json"].append({"PolicySummary": {
        "Id": "p-x", "Name": name, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": aws_managed},
        "Content": json.dumps(document)})
    files["organizations/targets.json"]["p-x"] = [{"TargetId": "ou-prod", "Type": "ORGANIZATIONAL_UNIT"}]
    return write_bundle(tmp_path / name / "organization", files, account_id=MGMT, scope="organization",
                        extra={"organization_id": "o-abc123", "management_account_id": MGMT})


def _guardrail(tmp_path, name, document, aws_managed=False):  # noqa: ANN001, ANN202
    [f] = run(tmp_path / f"a-{name}-{aws_managed}", {}, "org.scp.guardrails_present",
              org=_with_scp(tmp_path, name, document, aws_managed))
    return f


def test_allow_everything_under_another_name_is_not_a_guardrail(tmp_path):
    allow_all = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["*"], "Resource": "*"}}
    assert _guardrail(tmp_path, "AllowAll", allow_all).status == Status.FAIL
    # a statement without Resource is refused by the evaluator (as IAM refuses it): the guardrail cannot be
    # decided through that SCP, so ERROR naming it, never PASS
    no_resource = {"Statement": [{"Effect": "Allow", "Action": "*"}]}
    f = _guardrail(tmp_path, "AllowAll2", no_resource)
    assert f.status == Status.ERROR and "could not be evaluated" in f.detail


def test_a_restricting_scp_is_a_guardrail(tmp_path):
    """SCPs are evaluated (IAM User Guide, SCP evaluation): a Deny takes actions away at any level; an
    allow-list beside FullAWSAccess at the same level takes nothing away, since an action allowed by any SCP
    of a level passes that level."""
    f = _guardrail(tmp_path, "DenyAll", {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    assert f.status == Status.PASS, f.detail
    for name, doc in (
        ("Conditional", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                        "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}),
        ("SomeActions", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        ("OneResource", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::x"}]}),
        ("Empty", {"Statement": []}),
    ):
        f = _guardrail(tmp_path, name, doc)
        assert f.status == Status.FAIL, (name, f.detail)


def _leave_org(tmp_path, name, document, aws_managed=False):  # noqa: ANN001, ANN202
    [f] = run(tmp_path / f"l-{name}-{aws_managed}", {}, "org.scp.guardrail.leave_organization",
              org=_with_scp(tmp_path, name, document, aws_managed))
    return f


def test_the_content_of_an_scp_decides_not_its_name(tmp_path):
    deny_leave = {"Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
    deny_other = {"Statement": [{"Effect": "Deny", "Action": "x:y", "Resource": "*"}]}
    for aws_managed in (True, False):
        assert _leave_org(tmp_path, "FullAWSAccess", deny_leave, aws_managed).status == Status.PASS
        assert _leave_org(tmp_path / "o", "FullAWSAccess", deny_other, aws_managed).status == Status.FAIL
    assert _guardrail(tmp_path, "FullAWSAccess", deny_other, aws_managed=True).status == Status.FAIL


def test_no_org_bundle_is_a_named_missing_evidence(tmp_path):
    files = {"iam/organizations_features.json": {"OrganizationId": "o-abc123", "EnabledFeatures": []}}
    [f] = run(tmp_path, files, "org.scp.enabled")
    assert f.status == Status.ERROR and "organization bundle" in f.detail
