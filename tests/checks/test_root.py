from __future__ import annotations

from iamkit.checks import assess_account
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.settings import load_settings
from tests.conftest import CRED_HEADER, root_row


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
