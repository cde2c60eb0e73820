"""``iamkit import`` of exported files (real exports under shared/data/cloudsplaining)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iamkit.cli import main
from iamkit.evidence import Bundle
from tests.conftest import CRED_HEADER, SHARED_DATA, root_row

DATA = SHARED_DATA / "cloudsplaining"
GAAD_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def _is_gaad(path: Path) -> bool:
    data = json.loads(path.read_text())
    return isinstance(data, dict) and any(k in data for k in GAAD_KEYS)


GAAD_FILES = sorted(p for p in DATA.glob("*.json") if _is_gaad(p)) if DATA.is_dir() else []
OTHER_FILES = sorted(p for p in DATA.glob("*.json") if not _is_gaad(p)) if DATA.is_dir() else []


@pytest.mark.skipif(not GAAD_FILES, reason="shared data not available")
@pytest.mark.parametrize("path", GAAD_FILES, ids=lambda p: p.name)
def test_import_every_gaad_export(path, tmp_path):
    assert main(["--quiet", "import", "--authorization-details", str(path), "--out", str(tmp_path)]) == 0
    (bundle_dir,) = list((tmp_path / "evidence").iterdir())
    b = Bundle(bundle_dir)
    assert b.source == "offline" and b.verify() == []
    details = b.json("iam/authorization_details.json")
    original = json.loads(path.read_text())
    for k in GAAD_KEYS:
        assert len(details[k]) == len(original.get(k, []))
    # what was not supplied is recorded as missing, so checks say ERROR
    assert not b.has("iam/credential_report.csv")
    assert "NotSupplied" in b.missing_reason("iam/credential_report.csv")
    assert any(e["code"] == "NotSupplied" and e["file"] == "iam/password_policy.json" for e in b.errors)


@pytest.mark.skipif(not GAAD_FILES, reason="shared data not available")
def test_account_id_inferred_and_credential_report_imported(tmp_path):
    path = DATA / "examples_files_example.json"
    report = tmp_path / "report.csv"
    report.write_text(CRED_HEADER + "\n" + root_row("200611803367") + "\n")
    rc = main(["--quiet", "import", "--authorization-details", str(path), "--credential-report", str(report),
               "--out", str(tmp_path / "out")])
    assert rc == 0  # account id inferred from the principals' ARNs
    other = tmp_path / "other.csv"
    other.write_text(CRED_HEADER + "\n" + root_row("111122223333") + "\n")
    assert main(["--quiet", "import", "--authorization-details", str(path), "--credential-report", str(other),
                 "--out", str(tmp_path / "o3")]) == 2  # the report is of another account
    b = Bundle(tmp_path / "out" / "evidence" / "200611803367")
    assert b.has("iam/credential_report.csv") and len(b.json("iam/authorization_details.json")["UserDetailList"]) == 44
    small = DATA / "test_files_example-authz-details.json"
    assert main(["--quiet", "import", "--authorization-details", str(small), "--out", str(tmp_path / "o2")]) == 0
    assert (tmp_path / "o2" / "evidence" / "012345678901" / "manifest.json").is_file()


def _one_line_exit_2(args: list[str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stderr


@pytest.mark.skipif(not OTHER_FILES, reason="shared data not available")
@pytest.mark.parametrize("path", OTHER_FILES, ids=lambda p: p.name)
def test_non_gaad_files_give_one_line_error(path, tmp_path):
    err = _one_line_exit_2(["import", "--authorization-details", str(path), "--out", str(tmp_path)])
    assert "get-account-authorization-details" in err
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").iterdir())


def test_malformed_inputs_give_one_line_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"UserDetailList": [')
    assert "not valid JSON" in _one_line_exit_2(["import", "--authorization-details", str(bad), "--out",
                                                 str(tmp_path)])
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u"}]}))
    csv = tmp_path / "r.csv"
    csv.write_text("name,value\na,b\n")
    assert "credential report" in _one_line_exit_2(["import", "--authorization-details", str(good),
                                                    "--credential-report", str(csv), "--out", str(tmp_path)])
    assert "12-digit" in _one_line_exit_2(["import", "--authorization-details", str(good), "--account-id", "12",
                                           "--out", str(tmp_path)])
    assert "cannot read" in _one_line_exit_2(["import", "--authorization-details", str(tmp_path / "nope.json"),
                                              "--out", str(tmp_path)])
