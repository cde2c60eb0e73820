"""The run index: heatmap of worst status, failures with reason, links, escaping."""

from __future__ import annotations

import re

from iamkit.findings import Status, write_json
from iamkit.report.index import heatmap, worst_status, write_index
from tests.report.fakes import finding


def test_worst_status_order():
    assert worst_status([Status.PASS, Status.ERROR, Status.NOT_APPLICABLE]) == Status.ERROR
    assert worst_status([Status.PASS, Status.FAIL, Status.ERROR]) == Status.FAIL
    assert worst_status([]) is None


def test_heatmap_cells():
    fs = [finding(), finding(status=Status.PASS, resource="x"),
          finding("iam.user.console_mfa", area="mfa", status=Status.ERROR, resource="u")]
    h = heatmap(["111122223333"], fs)["111122223333"]
    assert h["root"] == {"status": "FAIL", "fail": 1, "error": 0, "total": 2}
    assert h["mfa"]["status"] == "ERROR"
    assert h["scp"]["status"] is None


def test_index_lists_failures_links_reports_and_escapes(tmp_path):
    acct = tmp_path / "accounts" / "111122223333"
    acct.mkdir(parents=True)
    (acct / "report.html").write_text("<html></html>")
    write_json([], tmp_path / "findings.json")
    run = {"run_id": "r1", "title": "T", "accounts": [
        {"account_id": "111122223333", "name": "<b>prod</b>", "status": "ok"},
        {"account_id": "444455556666", "name": "broken", "status": "failed", "stage": "collect",
         "error": "AccessDenied when calling AssumeRole <x>"}]}
    page = write_index(tmp_path, run, [finding(detail="<img src=x onerror=alert(1)>")]).read_text()
    assert "&lt;b&gt;prod&lt;/b&gt;" in page and "<img src=x" not in page
    assert "444455556666" in page and "AccessDenied when calling AssumeRole &lt;x&gt;" in page
    assert "st-FAIL" in page  # heatmap cell
    for link in re.findall(r'href="([^"#]+)"', page):
        assert (tmp_path / link).is_file(), link
    assert not re.search(r"<script[^>]+src=", page)
