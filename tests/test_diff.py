"""Diff of findings between runs: new, resolved, changed by (check, account, region, resource)."""

from __future__ import annotations

import json

from iamkit.cli import main
from iamkit.diff import diff_findings, diff_runs
from iamkit.findings import Severity, Status, write_json
from tests.report.fakes import finding

USER = "arn:aws:iam::111122223333:user/bob"


def test_identical_runs_have_no_diff():
    fs = [finding(), finding("iam.user.console_mfa", resource=USER, area="mfa")]
    d = diff_findings(fs, list(fs))
    assert d.empty and d.summary().startswith("0 new, 0 resolved, 0 changed")


def test_new_resolved_changed():
    old = [finding(),                                                                    # FAIL -> PASS: resolved
           finding("iam.user.console_mfa", resource=USER, area="mfa", status=Status.PASS),  # PASS -> FAIL: new
           finding("iam.access_key.rotated", resource=USER + "#access_key_1", severity=Severity.medium),
           finding("iam.role.trust_any_principal", resource="arn:aws:iam::111122223333:role/gone")]  # gone
    new = [finding(status=Status.PASS),
           finding("iam.user.console_mfa", resource=USER, area="mfa"),
           finding("iam.access_key.rotated", resource=USER + "#access_key_1", severity=Severity.high),
           finding("iam.user.console_mfa", resource=USER + "2", area="mfa")]                # brand new resource
    d = diff_findings(old, new)
    assert {f.resource_arn for f in d.new} == {USER, USER + "2"}
    assert {f.check_id for f in d.resolved} == {"iam.root.mfa_enabled", "iam.role.trust_any_principal"}
    assert [c.what for c in d.changed] == ["severity medium -> high"]


def test_same_fail_with_other_age_is_not_a_change():
    d = diff_findings([finding(detail="key is 120 days old")], [finding(detail="key is 121 days old")])
    assert d.empty
    assert len(diff_findings([finding(detail="a")], [finding(detail="b")], detail_changes=True).changed) == 1


def test_region_is_part_of_the_identity():
    old = [finding("accessanalyzer.enabled_all_regions", region="eu-west-1")]
    new = [finding("accessanalyzer.enabled_all_regions", region="us-east-1")]
    d = diff_findings(old, new)
    assert len(d.new) == 1 and len(d.resolved) == 1


def test_diff_runs_writes_json_and_escaped_html(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    write_json([], old / "findings.json")
    write_json([finding("iam.user.console_mfa", resource=USER + "<script>", area="mfa")], new / "findings.json")
    d = diff_runs(old, new)
    doc = json.loads((new / "diff.json").read_text())
    assert doc["summary"] == {"new": 1, "resolved": 0, "changed": 0}
    assert doc["new_findings"][0]["resource_arn"] == USER + "<script>"
    html = (new / "diff.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert not d.empty


def test_cli_diff_prints_summary_and_bad_input_exits_2(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    write_json([finding()], old / "findings.json")
    write_json([finding(status=Status.PASS)], new / "findings.json")
    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "0 new, 1 resolved, 0 changed" in out and "iam.root.mfa_enabled" in out
    assert main(["diff", str(old), str(tmp_path / "missing")]) == 2
    (new / "findings.json").write_text("{not json")
    assert main(["diff", str(old), str(new)]) == 2
