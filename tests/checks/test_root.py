from __future__ import annotations

from iamkit.checks import assess_account
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.settings import load_settings
from tests.checks.helpers import ACCT, cred_report, cred_row, run
from tests.conftest import CRED_HEADER, root_row

ROOT = f"arn:aws:iam::{ACCT}:root"
CR = "iam/credential_report.csv"


def _root_mfa(bundle_path):
    findings = assess_account(Bundle(bundle_path), load_settings())
    return [f for f in findings if f.check_id == "iam.root.mfa_enabled"]


def test_root_mfa_pass(make_bundle):
    path = make_bundle({"iam/credential_report.csv": CRED_HEADER + "\n" + root_row(mfa="true") + "\n",
                        "iam/account_summary.json": {"SummaryMap": {"AccountMFAEnabled": 1}}})
    [f] = _root_mfa(path)
    assert f.status == Status.PASS
    assert f.resource_arn == "arn:aws:iam::111122223333:root"
    assert f.evidence[0].file == "111122223333/iam/credential_report.csv"
    assert f.evidence[0].sha256 == Bundle(path).sha256("iam/credential_report.csv")
    assert "CIS-AWS-7.0:2.5" in f.controls


def test_root_mfa_fail(make_bundle):
    path = make_bundle({"iam/credential_report.csv": CRED_HEADER + "\n" + root_row(mfa="false") + "\n"})
    [f] = _root_mfa(path)
    assert f.status == Status.FAIL
    assert "mfa_active=false" in f.detail
    assert f.remediation


def test_root_mfa_error_when_credential_report_missing(make_bundle):
    path = make_bundle({}, errors=[{"collector": "iam", "operation": "GetCredentialReport", "code": "AccessDenied",
                                    "message": "not authorized", "file": "iam/credential_report.csv"}])
    [f] = _root_mfa(path)
    assert f.status == Status.ERROR
    assert "AccessDenied" in f.detail and "iam/credential_report.csv" in f.detail


def test_root_mfa_error_when_root_row_absent(make_bundle):
    path = make_bundle({"iam/credential_report.csv": CRED_HEADER + "\n"})
    [f] = _root_mfa(path)
    assert f.status == Status.ERROR


def test_tampered_evidence_is_an_error_not_a_pass(make_bundle):
    path = make_bundle({"iam/credential_report.csv": CRED_HEADER + "\n" + root_row(mfa="false") + "\n"})
    csv = path / "iam/credential_report.csv"
    csv.write_text(csv.read_text().replace(",false,false,", ",true,false,", 1))
    [f] = _root_mfa(path)
    assert f.status == Status.ERROR
    assert "sha256" in f.detail


def test_root_mfa_not_applicable_without_credentials_under_central_management(tmp_path):
    files = {CR: cred_report(cred_row("<root_account>", pw_used=None, mfa=False)),
             "iam/organizations_features.json": {"OrganizationId": "o-abc",
                                                 "EnabledFeatures": ["RootCredentialsManagement"]}}
    for check in ("iam.root.mfa_enabled", "iam.root.hardware_mfa"):
        [f] = run(tmp_path / check, files, check)
        assert f.status == Status.NOT_APPLICABLE, f.detail
        assert "centrally" in f.detail


def test_root_without_password_but_no_central_management_still_fails(tmp_path):
    files = {CR: cred_report(cred_row("<root_account>", pw_used=None, mfa=False)),
             "iam/organizations_features.json": {"OrganizationId": "o-abc", "EnabledFeatures": []}}
    [f] = run(tmp_path, files, "iam.root.mfa_enabled")
    assert f.status == Status.FAIL


def test_root_access_keys(tmp_path):
    [f] = run(tmp_path / "a", {CR: cred_report(cred_row("<root_account>", keys=[{"active": False, "rotated": 500}]))},
              "iam.root.access_keys_absent")
    assert f.status == Status.FAIL and "access key 1 (inactive)" in f.detail
    [f] = run(tmp_path / "b", {CR: cred_report(cred_row("<root_account>"))}, "iam.root.access_keys_absent")
    assert f.status == Status.PASS
    # the account summary alone is enough evidence
    [f] = run(tmp_path / "c", {"iam/account_summary.json": {"SummaryMap": {"AccountAccessKeysPresent": 1}}},
              "iam.root.access_keys_absent")
    assert f.status == Status.FAIL
    [f] = run(tmp_path / "d", {}, "iam.root.access_keys_absent")
    assert f.status == Status.ERROR


def test_root_hardware_mfa(tmp_path):
    cr = {CR: cred_report(cred_row("<root_account>", mfa=True))}
    virt = {"VirtualMFADevices": [{"SerialNumber": f"arn:aws:iam::{ACCT}:mfa/root-account-mfa-device",
                                   "User": {"Arn": ROOT}, "EnableDate": "2024-01-01T00:00:00Z"}]}
    [f] = run(tmp_path / "v", {**cr, "iam/virtual_mfa_devices.json": virt}, "iam.root.hardware_mfa")
    assert f.status == Status.FAIL and "virtual" in f.detail
    [f] = run(tmp_path / "h", {**cr, "iam/virtual_mfa_devices.json": {"VirtualMFADevices": []}},
              "iam.root.hardware_mfa")
    assert f.status == Status.PASS
    [f] = run(tmp_path / "m", cr, "iam.root.hardware_mfa")
    assert f.status == Status.ERROR and "virtual_mfa_devices" in f.detail
    [f] = run(tmp_path / "n", {CR: cred_report(cred_row("<root_account>", mfa=False))}, "iam.root.hardware_mfa")
    assert f.status == Status.FAIL


def test_root_recent_use(tmp_path):
    [f] = run(tmp_path / "a", {CR: cred_report(cred_row("<root_account>", pw_used=12))}, "iam.root.recent_use")
    assert f.status == Status.FAIL and "12 days ago" in f.detail
    [f] = run(tmp_path / "b", {CR: cred_report(cred_row("<root_account>", pw_used=200))}, "iam.root.recent_use")
    assert f.status == Status.PASS and "CloudTrail root events are not available" in f.detail
    events = {"regions": {"eu-west-1": [{"EventTime": "2026-10-30T08:00:00Z", "EventName": "ConsoleLogin",
                                         "CloudTrailEvent": '{"sourceIPAddress": "203.0.113.9", "userAgent": "x"}'}]},
              "window_days": 90}
    [f] = run(tmp_path / "c", {CR: cred_report(cred_row("<root_account>", pw_used=200)),
                               "cloudtrail/root_activity.json": events}, "iam.root.recent_use")
    assert f.status == Status.FAIL and "ConsoleLogin from 203.0.113.9 (eu-west-1)" in f.detail


def test_centralized_root_management(tmp_path):
    feats = {"OrganizationId": "o-abc", "EnabledFeatures": ["RootCredentialsManagement", "RootSessions"]}
    [f] = run(tmp_path / "a", {CR: cred_report(cred_row("<root_account>", pw_used=None)),
                               "iam/organizations_features.json": feats}, "org.root.centralized_management")
    assert f.status == Status.PASS
    [f] = run(tmp_path / "b", {CR: cred_report(cred_row("<root_account>", pw_used="no_information")),
                               "iam/organizations_features.json": feats}, "org.root.centralized_management")
    assert f.status == Status.FAIL and "password" in f.detail
    [f] = run(tmp_path / "c", {CR: cred_report(cred_row("<root_account>"))}, "org.root.centralized_management",
              errors=[{"collector": "iam", "operation": "ListOrganizationsFeatures",
                       "code": "AWSOrganizationsNotInUseException", "message": "not in use",
                       "file": "iam/organizations_features.json"}])
    assert f.status == Status.NOT_APPLICABLE
    [f] = run(tmp_path / "d", {CR: cred_report(cred_row("<root_account>"))}, "org.root.centralized_management")
    assert f.status == Status.ERROR


def test_centralized_root_management_management_account_carries_the_org_setting(tmp_path):
    from tests.checks.test_cross_account_scp_privilege import _org_bundle

    org = _org_bundle(tmp_path / "o")
    mgmt = {CR: cred_report(cred_row("<root_account>", account="123456789012"))}
    # the management account's own ListOrganizationsFeatures answer decides, as the organization's setting
    on = {"OrganizationId": "o-abc", "EnabledFeatures": ["RootCredentialsManagement"]}
    [f] = run(tmp_path / "m", {**mgmt, "iam/organizations_features.json": on}, "org.root.centralized_management",
              org=org, account_id="123456789012")
    assert f.status == Status.PASS and "management account" in f.detail
    off = {"OrganizationId": "o-abc", "EnabledFeatures": []}
    [f] = run(tmp_path / "n", {**mgmt, "iam/organizations_features.json": off}, "org.root.centralized_management",
              org=org, account_id="123456789012")
    assert f.status == Status.FAIL and "does not manage" in f.detail
    # unknown feature state is an ERROR, never a PASS
    [f] = run(tmp_path / "p", mgmt, "org.root.centralized_management", account_id="123456789012")
    assert f.status == Status.ERROR and "organizations_features.json" in f.detail


def test_membership_and_feature_from_list_organizations_features_errors(tmp_path):
    def err(code):  # noqa: ANN001, ANN202
        return [{"collector": "iam", "operation": "ListOrganizationsFeatures", "code": code, "message": "m",
                 "file": "iam/organizations_features.json"}]

    cr = {CR: cred_report(cred_row("<root_account>"))}
    found = run(tmp_path / "a", cr, errors=err("AccountNotManagementOrDelegatedAdministratorException"))
    got = {f.check_id: f.status for f in found if f.check_id in ("org.account.member",
                                                                 "org.root.centralized_management")}
    assert got == {"org.account.member": Status.PASS, "org.root.centralized_management": Status.ERROR}
    found = run(tmp_path / "b", cr, errors=err("ServiceAccessNotEnabledException"))
    [f] = [f for f in found if f.check_id == "org.root.centralized_management"]
    assert f.status == Status.FAIL and "ServiceAccessNotEnabledException" in f.detail
    found = run(tmp_path / "c", cr, errors=err("OrganizationNotFoundException"))
    assert {f.check_id: f.status for f in found if f.check_id == "org.account.member"} == {
        "org.account.member": Status.FAIL}


def test_a_credential_report_without_the_root_row_is_an_error_never_a_verdict(tmp_path):
    findings = run(tmp_path, {CR: cred_report(cred_row("alice")), "iam/virtual_mfa_devices.json": {
        "VirtualMFADevices": []}, "cloudtrail/root_activity.json": {"regions": {}, "window_days": 90, "lookup": {}}})
    got = {f.check_id: f for f in findings
           if f.check_id in ("iam.root.mfa_enabled", "iam.root.hardware_mfa", "iam.root.recent_use")}
    assert len(got) == 3
    for f in got.values():
        assert (f.status, f.resource_arn) == (Status.ERROR, ROOT), f.check_id
        assert f.detail.startswith("Could not evaluate: the credential report has no <root_account> row"), f.detail
