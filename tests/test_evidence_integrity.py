"""Every command that reads evidence verifies it against the manifest: altered evidence is refused with
one line naming the file (exit 2) unless --allow-modified, which every output then states."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iamkit.errors import EvidenceError
from iamkit.evidence import Bundle, load_bundles
from iamkit.runner import integrity_cover, render_run
from tests.checks.helpers import ACCT, cred_report, cred_row, write_bundle


def _altered(tmp_path: Path) -> Path:
    path = write_bundle(tmp_path / "evidence" / ACCT, {
        "iam/credential_report.csv": cred_report(cred_row("<root_account>", pw_used=None, mfa=True)),
        "iam/account_aliases.json": {"AccountAliases": ["prod"]}})
    with (path / "iam/account_aliases.json").open("ab") as fh:  # one byte appended, as in the issue
        fh.write(b" ")
    return path


def test_assess_refuses_altered_evidence_naming_the_file(tmp_path):
    _altered(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "assess", str(tmp_path / "evidence"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "iam/account_aliases.json" in proc.stderr and "--allow-modified" in proc.stderr
    assert not (tmp_path / "out" / "findings.json").exists()


def test_assess_allow_modified_says_so_in_every_finding(tmp_path):
    _altered(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "assess", str(tmp_path / "evidence"), "--out",
                           str(tmp_path / "out"), "--allow-modified"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert findings and all("EVIDENCE ALTERED" in f["detail"] and f"{ACCT}/iam/account_aliases.json" in f["detail"]
                            for f in findings)
    assert "EVIDENCE ALTERED" in (tmp_path / "out" / "findings.csv").read_text()


def test_intact_evidence_has_no_note_and_loads(tmp_path):
    path = write_bundle(tmp_path / "evidence" / ACCT, {"iam/account_aliases.json": {"AccountAliases": []}})
    [b], _ = load_bundles([tmp_path / "evidence"])
    assert b.altered == [] and integrity_cover(b) == {}
    assert Bundle(path).verify() == []


def test_load_bundles_and_cover(tmp_path):
    _altered(tmp_path)
    with pytest.raises(EvidenceError, match="account_aliases.json does not match its sha256"):
        load_bundles([tmp_path / "evidence"])
    [b], _ = load_bundles([tmp_path / "evidence"], allow_modified=True)
    assert b.altered == ["iam/account_aliases.json"]
    assert b.json("iam/account_aliases.json") == {"AccountAliases": ["prod"]}  # read, not refused
    assert "ALTERED" in integrity_cover(b)["Evidence integrity"]
    assert "iam/account_aliases.json" in integrity_cover(b)["Evidence integrity"]


def test_render_refuses_altered_evidence_before_rendering(tmp_path):
    _altered(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"run_id": "r", "settings": {}, "accounts": []}))
    with pytest.raises(EvidenceError, match="account_aliases.json"):
        render_run(tmp_path, pdf=False)
    assert not (tmp_path / "accounts").exists()


def test_removed_file_is_refused_too(tmp_path):
    path = write_bundle(tmp_path / "evidence" / ACCT, {"iam/credential_report.csv": cred_report(
        cred_row("<root_account>"))})
    (path / "iam/credential_report.csv").unlink()
    with pytest.raises(EvidenceError, match="credential_report.csv listed in the manifest but unreadable"):
        load_bundles([tmp_path / "evidence"])
