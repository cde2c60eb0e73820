"""Exit codes decided once (iamkit.outcome): --fail-on counts ERRORs, failed organization collection is 3."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamkit.cli import main
from iamkit.findings import AcceptedRisk, Finding, Severity, Status
from iamkit.outcome import exit_code
from iamkit.runner import RunResult
from tests.checks.helpers import write_bundle


def finding(status: Status, severity: Severity, accepted: bool = False) -> Finding:
    return Finding(check_id="iam.root.mfa_enabled", status=status, severity=severity, account_id="111122223333",
                   resource_arn="arn:aws:iam::111122223333:root", resource_type="AwsAccount", title="t",
                   detail="d", observed_at=datetime(2026, 11, 1, tzinfo=UTC),
                   exception=AcceptedRisk(reason="r", owner="o", expires="2030-01-01") if accepted else None)


@pytest.mark.parametrize(
    ("status", "severity", "fail_on", "code"),
    [
        (Status.ERROR, Severity.critical, "critical", 1),  # could not be evaluated: never success
        (Status.ERROR, Severity.high, "critical", 0),  # below the bar
        (Status.ERROR, Severity.high, "high", 1),  # at the bar
        (Status.FAIL, Severity.medium, "high", 0),
        (Status.FAIL, Severity.high, "high", 1),
        (Status.FAIL, Severity.critical, "high", 1),  # above the bar
        (Status.PASS, Severity.critical, "informational", 0),
        (Status.NOT_APPLICABLE, Severity.critical, "critical", 0),
        (Status.FAIL, Severity.critical, "never", 0),
        (Status.ERROR, Severity.critical, "never", 0),
    ],
)
def test_fail_on(status, severity, fail_on, code):
    assert exit_code([finding(status, severity)], fail_on) == code


def test_accepted_fail_does_not_block_but_incomplete_run_is_3():
    assert exit_code([finding(Status.FAIL, Severity.critical, accepted=True)], "critical") == 0
    assert exit_code([finding(Status.FAIL, Severity.critical)], "critical", incomplete=True) == 3


def test_failed_organization_collection_makes_the_run_exit_3(tmp_path):
    ok = RunResult(tmp_path, [{"account_id": "1", "status": "ok"}], [], organization={"status": "ok"})
    assert ok.exit_code() == 0
    org_failed = RunResult(tmp_path, [{"account_id": "1", "status": "ok"}], [],
                           organization={"status": "failed", "error": "AccessDenied"})
    assert org_failed.organization_failed and org_failed.exit_code() == 3 and org_failed.exit_code("critical") == 3


def test_assess_fail_on_critical_exits_1_when_root_checks_error(tmp_path: Path):
    """A denied GetCredentialReport: every root check is ERROR; --fail-on critical must not exit 0."""
    write_bundle(tmp_path / "evidence" / "111122223333", {}, errors=[
        {"collector": "iam", "operation": "GetCredentialReport", "code": "AccessDenied", "message": "denied",
         "file": "iam/credential_report.csv"}])
    assert main(["--quiet", "assess", str(tmp_path / "evidence"), "--out", str(tmp_path / "o1")]) == 0
    assert main(["--quiet", "assess", str(tmp_path / "evidence"), "--out", str(tmp_path / "o2"),
                 "--fail-on", "critical"]) == 1
