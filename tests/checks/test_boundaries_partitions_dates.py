"""Threshold boundaries (limit-1, limit, limit+1) pinned to the CIS wording, partitions, unreadable dates."""

from __future__ import annotations

import json

import pytest

from iamkit.findings import Status
from tests.checks.helpers import ACCT, NOW, ago, cred_report, cred_row, run

CR = "iam/credential_report.csv"
ROOT = cred_row("<root_account>", pw_used=None)


@pytest.mark.parametrize(("age", "status"), [(89, "PASS"), (90, "PASS"), (91, "FAIL")])
def test_access_key_rotation_boundary(tmp_path, age, status):
    """CIS 2.13/1.14: "Ensure access keys are rotated every 90 days or less"."""
    files = {CR: cred_report(ROOT, cred_row("k", keys=[{"rotated": age, "used": 1}]))}
    [f] = run(tmp_path, files, "iam.access_key.rotated")
    assert f.status.value == status and f"{age} days" in f.detail


@pytest.mark.parametrize(("idle", "status"), [(44, "PASS"), (45, "FAIL"), (46, "FAIL")])
def test_unused_key_boundary(tmp_path, idle, status):
    """CIS 2.12/1.12: "Ensure credentials unused for 45 days or more are disabled"."""
    files = {CR: cred_report(ROOT, cred_row("k", keys=[{"rotated": 300, "used": idle}]))}
    [f] = run(tmp_path, files, "iam.credentials.unused")
    assert f.status.value == status and f"{idle} days ago" in f.detail


@pytest.mark.parametrize(("idle", "status"), [(44, "PASS"), (45, "FAIL"), (46, "FAIL")])
def test_unused_password_boundary(tmp_path, idle, status):
    files = {CR: cred_report(ROOT, cred_row("p", password=True, pw_used=idle, pw_changed=300))}
    [f] = run(tmp_path, files, "iam.credentials.unused")
    assert f.status.value == status and f"{idle} days" in f.detail


@pytest.mark.parametrize(("days", "status"), [(89, "FAIL"), (90, "FAIL"), (91, "PASS")])
def test_root_usage_window_boundary(tmp_path, days, status):
    """Root used within the last ``root_usage_window_days`` (90, inclusive) FAILs."""
    files = {CR: cred_report(cred_row("<root_account>", pw_used=days))}
    [f] = run(tmp_path, files, "iam.root.recent_use")
    assert f.status.value == status, f.detail


@pytest.mark.parametrize(("window", "status"), [(29, "PASS"), (30, "FAIL"), (31, "FAIL")])
def test_root_usage_window_follows_the_parameter(tmp_path, window, status):
    files = {CR: cred_report(cred_row("<root_account>", pw_used=30))}
    [f] = run(tmp_path, files, "iam.root.recent_use",
              settings={"thresholds": {"root_usage_window_days": window}})
    assert f.status.value == status


# -- partitions ------------------------------------------------------------------------------------
@pytest.mark.parametrize("partition", ["aws", "aws-us-gov", "aws-cn"])
def test_root_virtual_mfa_with_custom_name_is_virtual_in_every_partition(tmp_path, partition):
    root_arn = f"arn:{partition}:iam::{ACCT}:root"
    row = cred_row("<root_account>", mfa=True).replace(f"arn:aws:iam::{ACCT}:root", root_arn)
    files = {CR: cred_report(row),
             "iam/virtual_mfa_devices.json": {"VirtualMFADevices": [
                 {"SerialNumber": f"arn:{partition}:iam::{ACCT}:mfa/my-phone", "User": {"Arn": root_arn},
                  "EnableDate": ago(10)}]}}
    [f] = run(tmp_path, files, "iam.root.hardware_mfa", partition=partition)
    assert f.status == Status.FAIL and "my-phone" in f.detail
    assert f.resource_arn == root_arn


def test_partition_from_caller_identity(tmp_path):
    from iamkit.evidence import Bundle, BundleWriter
    from iamkit.model import AccountModel

    w = BundleWriter(tmp_path / "b", account_id=ACCT)
    path = w.finish(caller_identity={"Account": ACCT, "Arn": f"arn:aws-cn:iam::{ACCT}:user/auditor"},
                    collected_at=NOW)
    assert AccountModel(Bundle(path)).root_arn() == f"arn:aws-cn:iam::{ACCT}:root"


# -- unreadable dates are errors, never a vanished credential ----------------------------------------
def test_unreadable_key_rotation_date_is_an_error(tmp_path):
    row = cred_row("k", keys=[{"rotated": 401, "used": 1}])
    assert ago(401) in row
    row = row.replace(ago(401), "31/02/2026", 1)
    files = {CR: cred_report(ROOT, row)}
    for check in ("iam.access_key.rotated", "iam.credentials.unused"):
        [f] = run(tmp_path / check, files, check)
        assert f.status == Status.ERROR and "31/02/2026" in f.detail, f.detail


def test_unreadable_password_last_used_is_an_error(tmp_path):
    files = {CR: cred_report(ROOT, cred_row("p", password=True, pw_used="yesterday"))}
    [f] = run(tmp_path, files, "iam.credentials.unused")
    assert f.status == Status.ERROR and "yesterday" in f.detail


def test_unreadable_root_last_used_is_an_error(tmp_path):
    files = {CR: cred_report(cred_row("<root_account>", pw_used="garbage"))}
    [f] = run(tmp_path, files, "iam.root.recent_use")
    assert f.status == Status.ERROR and "garbage" in f.detail


def test_unreadable_cloudtrail_event_time_is_an_error(tmp_path):
    files = {CR: cred_report(ROOT),
             "cloudtrail/root_activity.json": {"regions": {"us-east-1": [
                 {"EventTime": "not a time", "EventName": "ConsoleLogin", "CloudTrailEvent": "{}"}]}}}
    [f] = run(tmp_path, files, "iam.root.recent_use")
    assert f.status == Status.ERROR and "EventTime" in f.detail




def test_no_finding_of_a_gov_cloud_account_names_the_aws_partition(tmp_path):
    from tests.checks.helpers import gaad, role, user

    gov = "aws-us-gov"
    cr = cred_report(ROOT, cred_row("alice", password=True)).replace("arn:aws:", f"arn:{gov}:")
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:{gov}:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}
    doc = gaad(users=[user("alice")], roles=[role("ops", trust)])
    files = {CR: cr, "iam/authorization_details.json": json.loads(json.dumps(doc).replace("arn:aws:", f"arn:{gov}:"))}
    found = run(tmp_path, files, partition=gov)
    assert len(found) > 20
    wrong = [(f.check_id, f.resource_arn) for f in found if f.resource_arn.startswith("arn:aws:")]
    assert wrong == []
    [shell] = [f for f in found if f.check_id == "iam.cloudshell_full_access"]
    assert shell.resource_arn == f"arn:{gov}:iam::aws:policy/AWSCloudShellFullAccess"
