from __future__ import annotations

from iamkit.findings import Status
from tests.checks.helpers import ACCT, allow, by_resource, cred_report, cred_row, gaad, group, managed, run, user

CR = "iam/credential_report.csv"
U = f"arn:aws:iam::{ACCT}:user/"
ROOT = cred_row("<root_account>", mfa=True)
MISSING_CR = [{"collector": "offline", "operation": "GetCredentialReport", "code": "NotSupplied",
               "message": "no credential report supplied", "file": CR}]


# ---------------------------------------------------------------- mfa
def test_console_mfa(tmp_path):
    files = {CR: cred_report(ROOT, cred_row("alice", password=True, mfa=True), cred_row("bob", password=True),
                             cred_row("bot", keys=[{"rotated": 5}]))}
    got = by_resource(run(tmp_path, files, "iam.user.console_mfa"))
    assert got == {U + "alice": "PASS", U + "bob": "FAIL"}  # no finding for the key-only bot, none for root


def test_console_mfa_error_without_credential_report(tmp_path):
    [f] = run(tmp_path, {}, "iam.user.console_mfa", errors=MISSING_CR)
    assert f.status == Status.ERROR and "GetCredentialReport" in f.detail and "NotSupplied" in f.detail


def test_privileged_without_mfa_via_group_and_notaction(tmp_path):
    notaction = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:ChangePassword",
                                                          "Resource": "*"}]}
    adm = f"arn:aws:iam::{ACCT}:policy/almost-everything"
    files = {
        CR: cred_report(ROOT, cred_row("ops", password=True), cred_row("sec", password=True, mfa=True),
                        cred_row("dev", password=True)),
        "iam/authorization_details.json": gaad(
            users=[user("ops", groups=["admins"]), user("sec", attached=[adm]),
                   user("dev", inline={"s3": allow("s3:*")})],
            groups=[group("admins", attached=[adm])],
            policies=[managed(adm, notaction, 2)]),
    }
    got = by_resource(run(tmp_path, files, "iam.user.privileged_without_mfa"))
    assert got == {U + "ops": "FAIL", U + "sec": "PASS"}


def test_federation_is_manual_with_evidence(tmp_path):
    files = {CR: cred_report(ROOT, cred_row("alice", password=True)),
             "iam/providers.json": {"SAMLProviderList": [{"Arn": f"arn:aws:iam::{ACCT}:saml-provider/Okta"}],
                                    "OpenIDConnectProviders": []}}
    [f] = run(tmp_path, files, "iam.identity.federation")
    assert f.status == Status.MANUAL and "Okta" in f.detail and "1 with a console password" in f.detail
    assert f.remediation


# ---------------------------------------------------------------- rotation
def test_access_key_rotated(tmp_path):
    files = {CR: cred_report(ROOT, cred_row("old", keys=[{"rotated": 400, "used": 2}, {"rotated": 30, "used": 1}]),
                             cred_row("inactive", keys=[{"active": False, "rotated": 900}]))}
    got = by_resource(run(tmp_path, files, "iam.access_key.rotated"))
    assert got == {U + "old#access_key_1": "FAIL", U + "old#access_key_2": "PASS"}


def test_credentials_unused(tmp_path):
    files = {CR: cred_report(
        cred_row("<root_account>", pw_used=300),                       # root is excluded
        cred_row("idle", password=True, pw_used=100, keys=[{"rotated": 200, "used": 60}]),
        cred_row("never", password=True, pw_used="no_information", pw_changed=100, created=100,
                 keys=[{"rotated": 100, "used": None}]),
        cred_row("fresh", password=True, pw_used="no_information", pw_changed=3, created=3,
                 keys=[{"rotated": 3, "used": None}]),
        cred_row("busy", password=True, pw_used=1, keys=[{"rotated": 200, "used": 1}, {"active": False,
                                                                                        "rotated": 300}]))}
    found = run(tmp_path, files, "iam.credentials.unused")
    got = by_resource(found)
    assert got == {U + "idle#password": "FAIL", U + "idle#access_key_1": "FAIL",
                   U + "never#password": "FAIL", U + "never#access_key_1": "FAIL",
                   U + "fresh#password": "PASS", U + "fresh#access_key_1": "PASS",
                   U + "busy#password": "PASS", U + "busy#access_key_1": "PASS"}
    never = next(f for f in found if f.resource_arn == U + "never#password")
    assert "never used" in never.detail
    assert {f.resource_type for f in found} == {"AwsIamUser", "AwsIamAccessKey"}


def test_single_active_key_and_unused_since_setup(tmp_path):
    files = {CR: cred_report(ROOT, cred_row("two", keys=[{"rotated": 5, "used": 1}, {"rotated": 3, "used": 1}]),
                             cred_row("console", password=True, keys=[{"rotated": 50, "used": None}]),
                             cred_row("api", keys=[{"rotated": 50, "used": None}]))}
    got = by_resource(run(tmp_path / "a", files, "iam.user.single_active_key"))
    assert got == {U + "two": "FAIL", U + "console": "PASS", U + "api": "PASS"}
    got = by_resource(run(tmp_path / "b", files, "iam.access_key.unused_since_setup"))
    assert got == {U + "console#access_key_1": "FAIL"}  # key-only identities are out of scope


def test_credential_report_cache_note(tmp_path):
    files = {CR: cred_report(ROOT, cred_row("old", keys=[{"rotated": 400, "used": 2}])),
             "iam/credential_report.json": {"GeneratedTime": "2026-11-01T10:30:00Z"}}
    [f] = run(tmp_path, files, "iam.access_key.rotated")
    assert "cached report younger than 4 hours" in f.detail and "90 min" in f.detail


def test_server_certificates(tmp_path):
    certs = {"ServerCertificateMetadataList": [
        {"ServerCertificateName": "old", "Arn": f"arn:aws:iam::{ACCT}:server-certificate/old",
         "Expiration": "2025-01-01T00:00:00Z"},
        {"ServerCertificateName": "new", "Arn": f"arn:aws:iam::{ACCT}:server-certificate/new",
         "Expiration": "2028-01-01T00:00:00Z"}]}
    got = by_resource(run(tmp_path / "a", {"iam/server_certificates.json": certs}, "iam.server_certificate.expired"))
    assert got == {f"arn:aws:iam::{ACCT}:server-certificate/old": "FAIL",
                   f"arn:aws:iam::{ACCT}:server-certificate/new": "PASS"}
    [f] = run(tmp_path / "b", {"iam/server_certificates.json": {"ServerCertificateMetadataList": []}},
              "iam.server_certificate.expired")
    assert f.status == Status.PASS
    [f] = run(tmp_path / "c", {}, "iam.server_certificate.expired")
    assert f.status == Status.ERROR


# ---------------------------------------------------------------- passwords
PW_CHECKS = ["iam.password_policy.min_length", "iam.password_policy.reuse_prevention",
             "iam.password_policy.complexity", "iam.password_policy.expiry"]


def test_no_password_policy_fails_everything(tmp_path):
    found = run(tmp_path, {"iam/password_policy.json": {"PasswordPolicy": None}})
    got = {f.check_id: f.status for f in found if f.check_id in PW_CHECKS}
    assert got == dict.fromkeys(PW_CHECKS, Status.FAIL)


def test_strong_and_weak_password_policy(tmp_path):
    strong = {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24, "RequireUppercaseCharacters": True,
              "RequireLowercaseCharacters": True, "RequireNumbers": True, "RequireSymbols": True,
              "ExpirePasswords": True, "MaxPasswordAge": 90}
    found = run(tmp_path / "s", {"iam/password_policy.json": {"PasswordPolicy": strong}})
    assert {f.check_id: f.status for f in found if f.check_id in PW_CHECKS} == dict.fromkeys(PW_CHECKS, Status.PASS)
    weak = {"MinimumPasswordLength": 8, "PasswordReusePrevention": 5, "RequireSymbols": False,
            "ExpirePasswords": False}
    found = run(tmp_path / "w", {"iam/password_policy.json": {"PasswordPolicy": weak}})
    got = {f.check_id: f for f in found if f.check_id in PW_CHECKS}
    assert {k: f.status for k, f in got.items()} == dict.fromkeys(PW_CHECKS, Status.FAIL)
    assert "8" in got["iam.password_policy.min_length"].detail


def test_password_policy_denied_is_error(tmp_path):
    found = run(tmp_path, {}, errors=[{"collector": "iam", "operation": "GetAccountPasswordPolicy",
                                        "code": "AccessDenied", "message": "no", "file": "iam/password_policy.json"}])
    got = {f.check_id: f for f in found if f.check_id in PW_CHECKS}
    assert sorted(got) == sorted(PW_CHECKS)  # one finding per password check, none missing
    for f in got.values():
        assert f.status == Status.ERROR and "GetAccountPasswordPolicy failed" in f.detail


def test_privileged_without_mfa_malformed_policy_is_error(tmp_path):
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": 42, "Resource": "*"}]}
    files = {CR: cred_report(ROOT, cred_row("odd", password=True)),
             "iam/authorization_details.json": gaad(users=[user("odd", inline={"bad": bad})])}
    [f] = run(tmp_path, files, "iam.user.privileged_without_mfa")
    assert f.status == Status.ERROR and "malformed" in f.detail
