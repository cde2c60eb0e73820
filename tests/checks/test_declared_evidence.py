"""Every check runs inside its declared reads (``reads``/``optional_reads`` in its metadata): on complete bundles
built in code (an organization with IAM Identity Center, the management account and two members, every account
file present) no check reads a file it does not declare, and a check that does gives one ERROR saying
"iamkit bug", never a verdict. Declared reads name files, not ``*``."""

from __future__ import annotations

import pytest

from iamkit.checks import assess, registered
from iamkit.checks.registry import metadata
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.reads import declared_reads
from iamkit.settings import load_settings
from tests import identity_center_fixtures as icf
from tests.checks.helpers import allow, cred_report, cred_row, gaad, managed, role, user, write_bundle

ACCOUNTS = (icf.MGMT, icf.A, icf.B)


def _account_files(account: str) -> dict[str, object]:
    admin = user("alice", account=account, attached=[icf.ADMIN_ARN])
    trust = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}
    roles = [role("vendor", trust, account=account), icf.sso_role(account, "Admins", [icf.ADMIN_ARN])]
    return {
        "iam/credential_report.csv": cred_report(cred_row("<root_account>", account=account, mfa=True),
                                                 cred_row("alice", account=account, password=True, pw_used=3,
                                                          keys=[{"rotated": 200, "used": 1}])),
        "iam/credential_report.json": {"GeneratedTime": "2026-11-01T11:00:00Z", "ReportFormat": "text/csv"},
        "iam/authorization_details.json": gaad(users=[admin], roles=roles,
                                               policies=[icf.admin_policy(), managed(
                                                   "arn:aws:iam::aws:policy/AWSSupportAccess", allow("support:*"))]),
        "iam/account_summary.json": {"SummaryMap": {"AccountAccessKeysPresent": 0, "AccountMFAEnabled": 1}},
        "iam/password_policy.json": {"PasswordPolicy": {"MinimumPasswordLength": 14}},
        "iam/virtual_mfa_devices.json": {"VirtualMFADevices": []},
        "iam/providers.json": {"SAMLProviderList": [], "OpenIDConnectProviders": []},
        "iam/server_certificates.json": {"ServerCertificateMetadataList": []},
        "iam/account_aliases.json": {"AccountAliases": [f"acct-{account}"]},
        "iam/organizations_features.json": {"OrganizationId": "o-abc123", "EnabledFeatures": []},
        "cloudtrail/root_activity.json": {"regions": {"us-east-1": []}, "window_days": 90, "lookup": {}},
        "regions.json": {"Regions": [{"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"}]},
        "access_analyzer/us-east-1.json": {"analyzers": [], "findings": {}},
    }


@pytest.fixture
def organization(tmp_path):
    sets = [icf.ps("Admins", managed_arns=[icf.ADMIN_ARN], accounts=list(ACCOUNTS), session="PT12H"),
            icf.ps("Wild", inline=allow("s3:*"), accounts=[icf.A])]
    ic = icf.identity_center(sets, [(icf.MGMT, "Admins", "USER", "bob"), (icf.A, "Admins", "GROUP", "ops"),
                                (icf.B, "Admins", "GROUP", "empty"), (icf.A, "Wild", "USER", "deleted:u-gone")],
                         users=["bob", "carol"], groups={"ops": ["carol"], "empty": []})
    org = Bundle(icf.write_org(tmp_path, ic))
    accounts = [Bundle(write_bundle(tmp_path / acct, _account_files(acct), account_id=acct)) for acct in ACCOUNTS]
    return accounts, org


def test_no_check_reads_undeclared_evidence(organization):
    accounts, org = organization
    findings = assess(accounts, load_settings(), org)
    bugs = [f"{f.check_id}: {f.detail}" for f in findings if "iamkit bug" in f.detail]
    assert not bugs, "\n".join(bugs)
    ran = {f.check_id for f in findings}
    assert ran == set(registered()), f"checks without findings: {sorted(set(registered()) - ran)}"
    # the bundles are complete: nothing is an ERROR for want of evidence either
    errors = [f"{f.check_id}: {f.detail}" for f in findings if f.status is Status.ERROR]
    assert not errors, "\n".join(errors)


def test_reading_an_undeclared_file_is_an_iamkit_bug_error(organization, monkeypatch):
    """The check of the password policy, made to declare the wrong file, says ERROR "iamkit bug" (no verdict)."""
    import dataclasses

    from iamkit.checks import registry

    cid = "iam.password_policy.min_length"
    wrong = dataclasses.replace(metadata()[cid], reads=("iam/account_summary.json",), optional_reads=())
    monkeypatch.setitem(registry._META, cid, wrong)
    accounts, org = organization
    found = [f for f in assess(accounts[:1], load_settings(), org) if f.check_id == cid]
    assert [f.status for f in found] == [Status.ERROR]
    assert "iamkit bug" in found[0].detail and "iam/password_policy.json" in found[0].detail


def test_declared_reads_are_the_metadata(organization):
    """run_check enforces exactly the metadata's patterns: the password check passes with them, and the same
    read fails outside them."""
    from iamkit.reads import UndeclaredEvidence

    accounts, _org = organization
    meta = metadata()["iam.password_policy.min_length"]
    with declared_reads(meta.id, meta.declared_reads):
        accounts[0].json("iam/password_policy.json")
    with declared_reads(meta.id, meta.declared_reads), pytest.raises(UndeclaredEvidence):
        accounts[0].json("iam/credential_report.json")
