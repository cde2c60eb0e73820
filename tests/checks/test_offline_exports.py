"""Real `get-account-authorization-details` exports (cloudsplaining) assess without crashing; the checks that
need the credential report (not supplied) say ERROR and name the reason."""

from __future__ import annotations

import json

import pytest

from iamkit.checks import assess_account
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.settings import load_settings
from tests.checks.helpers import write_bundle
from tests.conftest import SHARED_DATA

FILES = sorted(p for p in (SHARED_DATA / "cloudsplaining").glob("*.json")
               if "UserDetailList" in p.read_text()[:100000]) if (SHARED_DATA / "cloudsplaining").is_dir() else []
NEEDS_CR = {"iam.root.mfa_enabled", "iam.root.hardware_mfa", "iam.root.recent_use", "iam.root.access_keys_absent",
            "iam.user.console_mfa", "iam.user.privileged_without_mfa", "iam.access_key.rotated",
            "iam.credentials.unused", "iam.user.single_active_key", "iam.access_key.unused_since_setup"}


@pytest.mark.skipif(not FILES, reason="shared cloudsplaining data not present")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_cloudsplaining_export_assesses(tmp_path, path):
    data = json.loads(path.read_text())
    bundle = write_bundle(tmp_path / "evidence" / "200611803367", {"iam/authorization_details.json": data},
                          account_id="200611803367", source="offline")
    findings = assess_account(Bundle(bundle), load_settings())
    assert findings
    internal = [f for f in findings if "internal error" in f.detail]
    assert not internal, internal[0].detail
    by_check: dict[str, set[Status]] = {}
    for f in findings:
        by_check.setdefault(f.check_id, set()).add(f.status)
    for check_id in NEEDS_CR:
        assert by_check[check_id] == {Status.ERROR}, check_id
    cr_error = next(f for f in findings if f.check_id == "iam.user.console_mfa")
    assert "credential_report.csv" in cr_error.detail and "not supplied" in cr_error.detail
    # GAAD-only checks give real verdicts
    if data.get("UserDetailList"):
        assert by_check["iam.user.direct_policies"] <= {Status.PASS, Status.FAIL}
    if data.get("RoleDetailList"):
        assert by_check["iam.role.trust_any_principal"] - {Status.NOT_APPLICABLE} <= {Status.PASS, Status.FAIL,
                                                                                     Status.ERROR}


@pytest.mark.skipif(not FILES, reason="shared cloudsplaining data not present")
def test_import_then_assess_through_the_cli(tmp_path):
    from iamkit.cli import main

    src = SHARED_DATA / "cloudsplaining" / "examples_files_example.json"
    assert main(["--quiet", "import", "--authorization-details", str(src), "--account-id", "200611803367",
                 "--out", str(tmp_path)]) == 0
    assert main(["--quiet", "assess", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    statuses = {f["status"] for f in findings if f["check_id"] == "iam.access_key.rotated"}
    assert statuses == {"ERROR"}
    assert any(f["status"] == "FAIL" and f["check_id"] == "iam.policy.full_admin_attached" for f in findings)
    assert not [f for f in findings if "internal error" in f["detail"]]
    for name in ("findings.csv", "findings.ocsf.json", "findings.asff.json"):
        assert (tmp_path / "out" / name).stat().st_size > 1000
