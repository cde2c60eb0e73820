"""SHA256SUMS and ``iamkit verify``; organization evidence paths; the index lists every failing
finding with a link to its card and keeps "completed" apart from the rating."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from iamkit.evidence import ORGANIZATION, Bundle, BundleWriter
from iamkit.findings import Severity, Status, write_json
from iamkit.integrity import SUMS, verify, write_sums
from iamkit.report.ids import finding_ids
from iamkit.report.index import write_index
from tests.report.fakes import ACCT, finding


def _run_folder(tmp_path, make_bundle):
    make_bundle({"iam/account_summary.json": {"SummaryMap": {}}})
    acct = tmp_path / "accounts" / ACCT
    acct.mkdir(parents=True)
    (acct / "report.html").write_text("<html>report</html>")
    (acct / "report.pdf").write_bytes(b"%PDF-1.4 fake")
    write_json([], tmp_path / "findings.json")
    (tmp_path / "index.html").write_text("<html>index</html>")
    return tmp_path


def test_verify_passes_then_names_a_changed_deliverable_and_a_changed_evidence_file(tmp_path, make_bundle):
    run = _run_folder(tmp_path, make_bundle)
    write_sums(run)
    listed = (run / SUMS).read_text()
    assert f"accounts/{ACCT}/report.pdf" in listed and f"evidence/{ACCT}/manifest.json" in listed
    assert verify(run) == []
    (run / "accounts" / ACCT / "report.pdf").write_bytes(b"%PDF-1.4 tampered")
    (run / "evidence" / ACCT / "iam" / "account_summary.json").write_text("{}")
    problems = verify(run)
    assert f"changed: accounts/{ACCT}/report.pdf" in problems
    assert any("account_summary.json" in p and p.startswith("evidence:") for p in problems)


def test_verify_cli_exit_codes(tmp_path, make_bundle):
    run = _run_folder(tmp_path, make_bundle)
    cmd = [sys.executable, "-m", "iamkit.cli", "verify", str(run)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and SUMS in proc.stderr and "Traceback" not in proc.stderr
    write_sums(run)
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    (run / "index.html").write_text("<html>changed</html>")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 1 and "changed: index.html" in proc.stdout


def test_organization_evidence_refers_to_the_organization_bundle_path(tmp_path):
    w = BundleWriter(tmp_path / "evidence" / ORGANIZATION, account_id="999988887777", source="aws",
                     scope=ORGANIZATION)
    w.write_json("organizations/accounts.json", {"Accounts": []})
    w.finish(caller_identity={"Account": "999988887777", "Arn": "arn:aws:iam::999988887777:user/a", "UserId": "A"},
             regions=[])
    ref = Bundle(tmp_path / "evidence" / ORGANIZATION).ref("organizations/accounts.json", "Id=1")
    assert ref["file"] == "organization/organizations/accounts.json"
    assert (tmp_path / "evidence" / ref["file"]).is_file()


def test_index_lists_every_failing_finding_links_its_card_and_never_says_ok_beside_failures(tmp_path):
    acct = tmp_path / "accounts" / ACCT
    acct.mkdir(parents=True)
    (acct / "report.html").write_text("<html></html>")
    fails = [finding("iam.user.console_mfa", area="mfa", severity=Severity.medium,
                     resource=f"arn:aws:iam::{ACCT}:user/u{i}") for i in range(60)]
    fs = [*fails, finding(status=Status.PASS), finding("iam.identity.federation", area="mfa", status=Status.MANUAL,
                                                        detail="Confirm central sign-in")]
    run = {"run_id": "r1", "title": "T", "complete": True, "finished_at": "2026-12-01T00:00:00Z",
           "accounts": [{"account_id": ACCT, "name": "prod", "status": "ok"}]}
    page = write_index(tmp_path, run, fs).read_text()
    for fid in finding_ids(fs).values():
        assert f'href="accounts/{ACCT}/report.html#{fid.lower()}"' in page, fid
    assert len(finding_ids(fs)) == 60
    assert "completed" in page and "Unsatisfactory" not in page and "Needs improvement" in page
    assert "Confirm central sign-in" in page and "in progress" not in page.split("<h1>")[0]
    assert 'data-page-size="50"' in page  # long tables page in the browser
    assert not re.search(r"<script[^>]+src=", page)


def test_index_shows_in_progress_while_the_run_is_not_complete(tmp_path):
    run = {"run_id": "r1", "title": "T", "complete": False, "finished_at": None,
           "accounts": [{"account_id": ACCT, "name": "prod", "status": "pending"}]}
    page = write_index(tmp_path, run, []).read_text()
    assert "Assessment in progress" in page


def test_section_tables_are_deliverables_in_sha256sums(tmp_path, make_bundle):
    run = _run_folder(tmp_path, make_bundle)
    tables = run / "accounts" / ACCT / "tables"
    tables.mkdir()
    (tables / "guardrails.csv").write_text("guardrail,status,why\nx,PASS,denied\n")
    write_sums(run)
    assert f"accounts/{ACCT}/tables/guardrails.csv" in (run / SUMS).read_text()
    (tables / "guardrails.csv").write_text("guardrail,status,why\nx,FAIL,edited\n")
    assert f"changed: accounts/{ACCT}/tables/guardrails.csv" in verify(run)


def _many_failing(tmp_path, n: int, monkeypatch, inline: int):
    from iamkit.report import index

    monkeypatch.setattr(index, "INLINE_ROWS", inline)
    fails = [finding("iam.user.console_mfa", area="mfa", severity=Severity.medium,
                     resource=f"arn:aws:iam::{ACCT}:user/u{i:03d}") for i in range(n)]
    run = {"run_id": "r1", "title": "T", "complete": True, "finished_at": "2026-12-01T00:00:00Z",
           "accounts": [{"account_id": ACCT, "name": "prod", "status": "ok"}]}
    return write_index(tmp_path, run, fails)


def test_a_long_failing_table_lays_out_the_worst_rows_and_keeps_the_rest_in_a_template(tmp_path, monkeypatch):
    page = _many_failing(tmp_path, 12, monkeypatch, inline=5).read_text()
    table, rest = page.split('id="failing"', 1)[1].split("</table>", 1)
    template = rest.split('<template id="failing-more">', 1)[1].split("</template>", 1)[0]
    assert 'data-more="failing-more"' in page.split('id="failing"', 1)[1].split(">", 1)[0]
    assert table.count("<tr>") == 1 + 5 and template.count("<tr>") == 7  # header + the 5 worst; the other 7
    assert "the 5 worst of the 12 failing findings" in page
    short = _many_failing(tmp_path, 5, monkeypatch, inline=5).read_text()
    assert "<template id" not in short and "data-more=" not in short  # at or under the limit: one plain table


@pytest.mark.slow
def test_the_table_script_pages_through_every_failing_row(tmp_path, monkeypatch):
    from iamkit.report import browser

    if browser.chromium() is None:
        pytest.skip("no system Chromium")
    pytest.importorskip("playwright")
    import asyncio

    from playwright.async_api import async_playwright

    path = _many_failing(tmp_path, 120, monkeypatch, inline=30)

    async def look() -> tuple[int, int, str, str]:
        async with async_playwright() as pw:
            b = await pw.chromium.launch(executable_path=browser.chromium(), args=browser.LAUNCH_ARGS)
            page = await b.new_page()
            await page.goto(path.resolve().as_uri(), wait_until="load")
            rows = await page.evaluate("document.querySelectorAll('#failing tbody tr').length")
            shown = await page.evaluate("Array.from(document.querySelectorAll('#failing tbody tr'))"
                                        ".filter(r => r.style.display !== 'none').length")
            pager = await page.evaluate("document.querySelector('.iamkit-pager span').textContent")
            note = await page.evaluate("getComputedStyle(document.querySelector('.iamkit-more-note')).display")
            await b.close()
            return rows, shown, pager, note

    rows, shown, pager, note = asyncio.run(look())
    assert rows == 120 and shown == 50 and pager == "120 of 120 rows, page 1 of 3" and note == "none"
