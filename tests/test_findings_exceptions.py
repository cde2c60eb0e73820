from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamkit.errors import BadInputError
from iamkit.exceptions import apply, load_exceptions, unused_entries
from iamkit.findings import Finding, Severity, Status


def _f(resource: str, check: str = "iam.access_key.rotated", account: str = "111122223333") -> Finding:
    return Finding(check_id=check, status=Status.FAIL, severity=Severity.medium, account_id=account,
                   resource_arn=resource, resource_type="AwsIamAccessKey", title="t", detail="d",
                   observed_at=datetime(2026, 11, 1, tzinfo=UTC))


def _write(tmp_path, text):  # noqa: ANN001, ANN202
    p = tmp_path / "exceptions.yaml"
    p.write_text(text)
    return p


def test_apply_attaches_unexpired_and_reports_expired_and_unmatched(tmp_path):
    p = _write(tmp_path, """
exceptions:
  - {check_id: iam.access_key.rotated, resource: "arn:aws:iam::*:user/ci-*", reason: CI, owner: ops,
     expires: 2027-01-01}
  - {check_id: iam.access_key.rotated, account: "111122223333", resource: "*user/old*", reason: legacy, owner: ops,
     expires: 2026-10-01}
  - {check_id: iam.user.direct_policies, reason: nothing matches, owner: sec, expires: 2030-01-01}
""")
    entries = load_exceptions(p)
    ci = _f("arn:aws:iam::111122223333:user/ci-bot#access_key_1")
    old = _f("arn:aws:iam::111122223333:user/old-bot#access_key_1")
    other = _f("arn:aws:iam::111122223333:user/alice#access_key_1")
    out = apply([ci, old, other], entries)
    report = unused_entries(out, entries)
    assert out[0].exception is not None and out[0].exception.owner == "ops" and out[0].status == Status.FAIL
    assert out[1].exception is None and out[2].exception is None
    states = {(r["check_id"], r["state"]) for r in report}
    assert states == {("iam.access_key.rotated", "expired"), ("iam.user.direct_policies", "unmatched")}
    expired = next(r for r in report if r["state"] == "expired")
    assert expired["matched"] == 1 and "2026-10-01" in expired["message"]


def test_account_filter(tmp_path):
    p = _write(tmp_path, "exceptions:\n  - {check_id: iam.access_key.rotated, account: '999999999999', "
                         "reason: r, owner: o, expires: 2030-01-01}\n")
    out = apply([_f("arn:x")], load_exceptions(p))
    report = unused_entries(out, load_exceptions(p))
    assert out[0].exception is None and report[0]["state"] == "unmatched"


@pytest.mark.parametrize("text, expect", [
    ("exceptions:\n  - {check_id: iam.access_key.rotated, owner: o, expires: 2030-01-01}", "reason"),
    ("exceptions:\n  - {check_id: iam.access_key.rotated, reason: r, owner: o, expires: soon}", "expires"),
    ("exceptions:\n  - {check_id: no.such.check, reason: r, owner: o, expires: 2030-01-01}", "unknown check_id"),
    ("exceptions:\n  - {check_id: iam.access_key.rotated, reason: r, owner: o, expires: 2030-01-01, x: 1}", "x"),
    ("exceptions:\n  - {check_id: iam.access_key.rotated, account: '12', reason: r, owner: o, expires: 2030-01-01}",
     "12-digit"),
    ("exceptions: [unclosed", "not valid YAML"),
    ("- a", "mapping"),
])
def test_malformed_file_one_line(tmp_path, text, expect):
    with pytest.raises(BadInputError) as exc:
        load_exceptions(_write(tmp_path, text))
    assert expect in str(exc.value) and "\n" not in str(exc.value)


def test_cli_malformed_exceptions_exit_2(tmp_path):
    p = _write(tmp_path, "exceptions:\n  - {check_id: iam.access_key.rotated}\n")
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "assess", str(tmp_path), "--out", str(tmp_path / "o"),
                           "--exceptions", str(p)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_assess_writes_exports_and_exception_report(tmp_path):
    from tests.checks.helpers import cred_report, cred_row, write_bundle

    write_bundle(tmp_path / "evidence" / "111122223333", {"iam/credential_report.csv": cred_report(
        cred_row("<root_account>"), cred_row("ci-bot", keys=[{"rotated": 400, "used": 1}]))})
    p = _write(tmp_path, "exceptions:\n  - {check_id: iam.access_key.rotated, resource: '*ci-bot*', reason: r, "
                         "owner: o, expires: 2030-01-01}\n  - {check_id: iam.support_role, reason: r, owner: o, "
                         "expires: 2030-01-01}\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "assess", str(tmp_path / "evidence"), "--out", str(out),
                           "--exceptions", str(p)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert {x.name for x in out.iterdir()} == {"findings.json", "findings.csv", "findings.ocsf.json",
                                               "findings.asff.json", "exceptions_report.json"}
    findings = json.loads((out / "findings.json").read_text())
    [rot] = [f for f in findings if f["check_id"] == "iam.access_key.rotated"]
    assert rot["status"] == "FAIL" and rot["exception"]["reason"] == "r"
    report = json.loads((out / "exceptions_report.json").read_text())
    assert [r["check_id"] for r in report] == ["iam.support_role"]  # an ERROR (no GAAD) has no risk to accept
    assert "matched no FAIL or MANUAL finding" in proc.stderr


def test_assessment_applies_exceptions_file_from_settings(tmp_path):
    from iamkit.evidence import Bundle
    from iamkit.report.assessment import Assessment
    from iamkit.settings import load_settings
    from tests.checks.helpers import cred_report, cred_row, write_bundle

    b = Bundle(write_bundle(tmp_path / "evidence" / "111122223333", {"iam/credential_report.csv": cred_report(
        cred_row("<root_account>"), cred_row("ci-bot", keys=[{"rotated": 400, "used": 1}]))}))
    p = _write(tmp_path, "exceptions:\n  - {check_id: iam.access_key.rotated, resource: '*ci-bot*', reason: r, "
                         "owner: o, expires: 2030-01-01}\n")
    [rot] = [f for f in Assessment.build([b], None, load_settings(exceptions_file=str(p))).findings(b)
             if f.check_id == "iam.access_key.rotated"]
    assert rot.status == Status.FAIL and rot.exception is not None and rot.exception.owner == "o"


def test_both_sources_applied_once_with_one_report(tmp_path, capsys):
    """exceptions_file in the parameters AND --exceptions: every entry of both files counts, the shared entry
    once, and the unmatched entries of BOTH files are reported (each naming its file)."""
    from iamkit.cli import main
    from tests.checks.helpers import cred_report, cred_row, write_bundle

    write_bundle(tmp_path / "evidence" / "111122223333", {"iam/credential_report.csv": cred_report(
        cred_row("<root_account>"), cred_row("ci-bot", keys=[{"rotated": 400, "used": 1}]))})
    shared = "  - {check_id: iam.access_key.rotated, resource: '*ci-bot*', reason: r, owner: o, expires: 2030-01-01}\n"
    a = tmp_path / "a.yaml"
    a.write_text("exceptions:\n" + shared + "  - {check_id: iam.support_role, reason: a, owner: o, "
                 "expires: 2030-01-01}\n")
    b = tmp_path / "b.yaml"
    b.write_text("exceptions:\n" + shared + "  - {check_id: iam.root.mfa_enabled, reason: b, owner: o, "
                 "expires: 2020-01-01}\n")
    params = tmp_path / "p.yaml"
    params.write_text(f"exceptions_file: {a}\n")
    out = tmp_path / "out"
    assert main(["--quiet", "assess", str(tmp_path / "evidence"), "--out", str(out), "--parameters", str(params),
                 "--exceptions", str(b)]) == 0
    report = json.loads((out / "exceptions_report.json").read_text())
    assert sorted((r["check_id"], Path(r["file"]).name, r["state"]) for r in report) == [
        ("iam.root.mfa_enabled", "b.yaml", "expired"), ("iam.support_role", "a.yaml", "unmatched")]
    [rot] = [f for f in json.loads((out / "findings.json").read_text()) if f["check_id"] == "iam.access_key.rotated"]
    assert rot["exception"]["reason"] == "r"
    err = capsys.readouterr().err
    assert "a.yaml" in err and "b.yaml" in err


def test_expired_entry_reported_with_the_findings_it_would_match(tmp_path):
    from iamkit.evidence import Bundle
    from iamkit.exceptions import load_register, unused_entries
    from iamkit.report.assessment import Assessment
    from iamkit.settings import load_settings
    from tests.checks.helpers import cred_report, cred_row, write_bundle

    b = Bundle(write_bundle(tmp_path / "e" / "111122223333", {"iam/credential_report.csv": cred_report(
        cred_row("<root_account>"), cred_row("ci-bot", keys=[{"rotated": 400, "used": 1}]))}))
    p = _write(tmp_path, "exceptions:\n  - {check_id: iam.access_key.rotated, resource: '*ci-bot*', reason: r, "
                         "owner: o, expires: 2026-10-31}\n")  # the day before the bundle's collection
    found = Assessment.build([b], None, load_settings(exceptions_file=str(p))).findings(b)
    assert all(f.exception is None for f in found)
    [row] = unused_entries(found, load_register([p, p]))  # the same file twice: one entry
    assert row["state"] == "expired" and row["matched"] == 1
