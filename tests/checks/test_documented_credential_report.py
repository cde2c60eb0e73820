"""Credential report rows written from AWS's documentation of the report format, not from the demo
stand-in (IAM User Guide, "Getting credential reports for your AWS account", column descriptions):

* ``password_enabled``: TRUE/FALSE; "The value for the AWS account root user is always not_supported".
* ``password_last_used``: a date; ``no_information`` when the password was never used or has no sign-in
  data (before 2014-10-20); ``N/A`` (not applicable) "when the user does not have a password".
* ``password_last_changed``: N/A without a password; always not_supported for root.
* ``access_key_N_last_rotated``: N/A when the user has no such key; ``..._last_used_date``: N/A when the
  key was never used; region/service N/A.  ``cert_N_last_rotated``: N/A without a certificate.

Centralized root access (IAM User Guide, "Centrally manage root access for member accounts"): deleting a
member's root credentials removes its password, access keys, signing certificates and MFA devices, so
the member's root row has password_last_used N/A, no keys, no certificates, mfa_active false.
"""

from __future__ import annotations

import pytest

from iamkit.checks.root import root_credentials
from iamkit.findings import Status
from tests.checks.helpers import ACCT, run

HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
          "cert_2_active,cert_2_last_rotated")
CR = "iam/credential_report.csv"
# collection time of the helper bundles: 2026-11-01T12:00:00Z
ROOT_USED_PASSWORD = (f"<root_account>,arn:aws:iam::{ACCT}:root,2015-03-10T14:30:00+00:00,not_supported,"
                      "2026-10-20T08:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,"
                      "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
ROOT_NEVER_USED_PASSWORD = (f"<root_account>,arn:aws:iam::{ACCT}:root,2015-03-10T14:30:00+00:00,not_supported,"
                            "no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,"
                            "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
ROOT_NO_CREDENTIALS = (f"<root_account>,arn:aws:iam::{ACCT}:root,2024-01-05T09:00:00+00:00,not_supported,"
                       "N/A,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,"
                       "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
ROOT_INACTIVE_KEY_NO_PASSWORD = (f"<root_account>,arn:aws:iam::{ACCT}:root,2015-03-10T14:30:00+00:00,not_supported,"
                                 "N/A,not_supported,not_supported,false,false,2019-05-01T10:00:00+00:00,"
                                 "2019-06-01T10:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
ROOT_ACTIVE_CERT = (f"<root_account>,arn:aws:iam::{ACCT}:root,2015-03-10T14:30:00+00:00,not_supported,"
                    "N/A,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,"
                    "false,N/A,N/A,N/A,N/A,true,2020-01-01T00:00:00+00:00,false,N/A")
FEATURES = {"iam/organizations_features.json": {"OrganizationId": "o-abc123",
                                                "EnabledFeatures": ["RootCredentialsManagement", "RootSessions"]}}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (ROOT_USED_PASSWORD, ["password", "MFA device"]),
        (ROOT_NEVER_USED_PASSWORD, ["password"]),  # no_information: a password that was never used
        (ROOT_NO_CREDENTIALS, []),  # N/A: no password (e.g. deleted by centralized root access)
        (ROOT_INACTIVE_KEY_NO_PASSWORD, ["access key 1"]),
        (ROOT_ACTIVE_CERT, ["signing certificate 1"]),
    ],
)
def test_root_credentials_from_documented_rows(tmp_path, line, expected):
    from iamkit.evidence import Bundle
    from iamkit.model import AccountModel
    from tests.checks.helpers import write_bundle

    model = AccountModel(Bundle(write_bundle(tmp_path / "b", {CR: HEADER + "\n" + line + "\n"})))
    assert root_credentials(model.root_row()) == expected


def test_root_without_credentials_under_central_management_is_not_applicable(tmp_path):
    files = {CR: HEADER + "\n" + ROOT_NO_CREDENTIALS + "\n", **FEATURES}
    for check in ("iam.root.mfa_enabled", "iam.root.hardware_mfa"):
        [f] = run(tmp_path / check, files, check)
        assert f.status == Status.NOT_APPLICABLE, f.detail
    [f] = run(tmp_path / "central", files, "org.root.centralized_management")
    assert f.status == Status.PASS


def test_never_used_root_password_keeps_root_mfa_required(tmp_path):
    """no_information means a password exists: central management does not excuse missing MFA."""
    files = {CR: HEADER + "\n" + ROOT_NEVER_USED_PASSWORD + "\n", **FEATURES}
    [f] = run(tmp_path / "mfa", files, "iam.root.mfa_enabled")
    assert f.status == Status.FAIL and "password" in f.detail
    [f] = run(tmp_path / "central", files, "org.root.centralized_management")
    assert f.status == Status.FAIL and "password" in f.detail


def test_documented_recent_root_sign_in_fails_recent_use(tmp_path):
    [f] = run(tmp_path, {CR: HEADER + "\n" + ROOT_USED_PASSWORD + "\n"}, "iam.root.recent_use")
    assert f.status == Status.FAIL and "2026-10-20" in f.detail


def test_report_without_password_columns_is_an_error_not_no_password(tmp_path):
    header = HEADER.replace("password_enabled,password_last_used,", "")
    line = ROOT_NO_CREDENTIALS.replace("not_supported,N/A,not_supported", "not_supported", 1)
    [f] = run(tmp_path, {CR: header + "\n" + line + "\n", **FEATURES}, "iam.root.mfa_enabled")
    assert f.status == Status.ERROR and "password" in f.detail
