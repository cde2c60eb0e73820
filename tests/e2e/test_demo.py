"""End to end: ``iamkit demo`` as a subprocess, against its own stand-in on a free loopback port.

One full demo run (with PDFs) is shared by every test of this module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from iamkit.report.render import AREAS

pytestmark = pytest.mark.slow
CHART_TITLES = ["Failing findings by area and severity", "MFA coverage of console users", "Access key age distribution",
                "Role trust graph", "Guardrails in effect across the organization", "Root credential last use",
                "Root activity timeline"]


def iamkit(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iamkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "run"
    t0 = time.monotonic()
    proc = iamkit("--quiet", "demo", "--out", str(out))
    print(f"demo run with PDFs: {time.monotonic() - t0:.1f}s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Report index:" in proc.stdout
    return out


def accounts(run: Path) -> list[dict]:
    return json.loads((run / "run.json").read_text())["accounts"]


def test_root_without_mfa_fails(demo_run):
    findings = json.loads((demo_run / "findings.json").read_text())
    root = [f for f in findings if f["check_id"] == "iam.root.mfa_enabled" and f["account_id"] == "123456789012"]
    assert [f["status"] for f in root] == ["FAIL"]
    assert root[0]["resource_arn"] == "arn:aws:iam::123456789012:root"
    assert root[0]["evidence"][0]["sha256"]


def test_evidence_manifest(demo_run):
    manifest = json.loads((demo_run / "evidence/123456789012/manifest.json").read_text())
    assert manifest["source"] == "demo"
    assert manifest["caller_identity"]["Account"] == "123456789012"
    assert manifest["operations"]["iam:GetCredentialReport"] >= 1
    assert "iam/credential_report.csv" in manifest["files"]


def test_every_account_has_reports_and_executed_notebooks(demo_run):
    accts = accounts(demo_run)
    assert accts and all(a["status"] == "ok" for a in accts), accts
    for a in accts:
        d = demo_run / "accounts" / a["account_id"]
        assert (d / "report.html").stat().st_size > 0 and (d / "report.pdf").stat().st_size > 0
        assert (d / "log.txt").is_file() and (d / "findings.json").is_file()
        for area in AREAS:
            nb = json.loads((d / "notebooks" / f"{area.notebook}.ipynb").read_text())
            assert nb["metadata"]["iamkit"]["status"] == "completed"
        assert set(a["timings"]) >= {"collect", "assess", "notebooks", "html", "pdf"}
    assert not list(demo_run.rglob("*.tmp*")), "temporary files left behind"


def test_html_report_is_self_contained_with_code_hidden(demo_run):
    drawn = 0
    for a in accounts(demo_run):
        html = (demo_run / "accounts" / a["account_id"] / "report.html").read_text()
        drawn += "Plotly.newPlot" in html  # charts with under five data points are sentences instead
        assert not re.search(r"<script[^>]+src=", html), "external script"
        assert not re.search(r"<link[^>]+href=[\"']https?:", html), "external stylesheet"
        assert "nb.load(" not in html and "nb.show_chart(" not in html
        assert a["account_id"] in html and "Contents" in html
        for area in AREAS:
            assert area.title in html
        assert "iamkit-table" in html  # sortable/searchable tables (report.js)
    assert drawn, "no chart in any report"


def test_pdf_has_every_area_title_and_chart_titles(demo_run):
    for a in accounts(demo_run):
        pdf = demo_run / "accounts" / a["account_id"] / "report.pdf"
        reader = PdfReader(pdf)
        text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))
        for area in AREAS:
            assert area.title in text, (a["account_id"], area.title)
        present = [t for t in CHART_TITLES if t in text]
        assert present, "no chart title in the PDF"
        assert reader.outline, "the PDF has no outline (bookmarks)"


def test_index_links_resolve(demo_run):
    index = (demo_run / "index.html").read_text()
    # the inlined plotly.js (SCP sunburst) holds links of its own; the page's links are outside scripts
    links = re.findall(r'href="([^"#]+)"', re.sub(r"<script.*?</script>", "", index, flags=re.S))
    for a in accounts(demo_run):
        assert f"accounts/{a['account_id']}/report.html" in links
        assert f"accounts/{a['account_id']}/report.pdf" in links
    assert "findings.json" in links and "run.json" in links
    for link in links:
        assert (demo_run / link).is_file(), link
    assert not re.search(r"<script[^>]+src=", index)


def test_no_credentials_leak(demo_run):
    for path in demo_run.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".csv", ".ipynb", ".txt", ".jsonl"}:
            text = path.read_text(errors="replace")
            assert "aws_secret_access_key" not in text.lower()
            assert "SecretAccessKey" not in text


def test_diff_of_a_run_against_itself_is_empty(demo_run, tmp_path):
    proc = iamkit("diff", str(demo_run), str(demo_run), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "0 new, 0 resolved, 0 changed" in proc.stdout
    assert json.loads((tmp_path / "diff.json").read_text())["summary"] == {"new": 0, "resolved": 0, "changed": 0}


def test_render_again_from_evidence_only(demo_run, tmp_path):
    """``iamkit render`` on a copy of one account's evidence, with no AWS endpoint reachable at all,
    gives the same findings for it."""
    import shutil

    aid = accounts(demo_run)[0]["account_id"]
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copytree(demo_run / "evidence" / aid, copy / "evidence" / aid)
    if (demo_run / "evidence" / "organization").is_dir():
        shutil.copytree(demo_run / "evidence" / "organization", copy / "evidence" / "organization")
    doc = json.loads((demo_run / "run.json").read_text())
    doc["accounts"] = [a for a in doc["accounts"] if a["account_id"] == aid]
    (copy / "run.json").write_text(json.dumps(doc))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens: any AWS call would fail
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "--quiet", "render", str(copy), "--no-pdf"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    keyset = lambda run: {(f["check_id"], f["account_id"], f["region"], f["resource_arn"], f["status"])  # noqa: E731
                          for f in json.loads((run / "findings.json").read_text()) if f["account_id"] == aid}
    assert keyset(copy) == keyset(demo_run)
    assert (copy / "accounts" / aid / "report.html").is_file() and (copy / "index.html").is_file()


def test_resume_skips_complete_accounts_and_redoes_incomplete_ones(demo_run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(demo_run, copy)
    accts = accounts(copy)
    redo = accts[-1]["account_id"]
    (copy / "accounts" / redo / "report.pdf").unlink()
    before = {a["account_id"]: json.loads((copy / "evidence" / a["account_id"] / "manifest.json").read_text())
              ["collected_at"] for a in accts}
    proc = iamkit("--quiet", "demo", "--out", str(copy), "--resume")
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = {a["account_id"]: a for a in accounts(copy)}
    for a in accts:
        aid = a["account_id"]
        manifest = json.loads((copy / "evidence" / aid / "manifest.json").read_text())
        if aid == redo:
            assert not after[aid].get("resumed") and (copy / "accounts" / aid / "report.pdf").is_file()
        else:
            assert after[aid].get("resumed") is True and manifest["collected_at"] == before[aid]
    keys = lambda run: {(f["check_id"], f["account_id"], f["region"], f["resource_arn"], f["status"])  # noqa: E731
                        for f in json.loads((run / "findings.json").read_text())}
    assert keys(copy) == keys(demo_run)


# -- audit-grade report quality (issue 10) ---------------------------------------------------------

# "<root_account>" is no placeholder: it is the root user's literal name in AWS's credential report
PLACEHOLDER = re.compile(r"<(?!root_account>)[a-z][a-z0-9_-]*>")
FID = re.compile(r"F-\d{12}-\d{3}")


def pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(path)
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def failing(run: Path, account_id: str | None = None) -> list[dict]:
    return [f for f in json.loads((run / "findings.json").read_text())
            if f["status"] == "FAIL" and (account_id is None or f["account_id"] == account_id)]


def ids_of(run: Path) -> dict[tuple, str]:
    from iamkit.findings import load_json
    from iamkit.report.ids import finding_ids

    return finding_ids(load_json(run / "findings.json"))


def test_pdf_page_counts_and_prod_body_bounded(demo_run):
    from iamkit.report.toc import page_counts

    for a in accounts(demo_run):
        pdf = demo_run / "accounts" / a["account_id"] / "report.pdf"
        pages, text = pdf_text(pdf)
        print(f"PDF pages {a['account_id']}: {pages} (body before the appendices: {page_counts(pdf)[1]})")
        assert f"Page 1 of {pages}" in text  # page x of y on every page
        assert page_counts(pdf)[0] == pages
    reader = PdfReader(demo_run / "accounts" / "345678901234" / "report.pdf")
    first_appendix = next(i for i, p in enumerate(reader.pages) if "A. All results" in p.extract_text())
    print(f"prod body pages before the appendices: {first_appendix}")
    assert first_appendix <= 12  # issue 10: the prod account's body in at most 12 pages
    assert page_counts(demo_run / "accounts" / "345678901234" / "report.pdf")[1] == first_appendix


def test_contents_give_the_page_of_every_section(demo_run):
    """The contents on the cover carry page numbers (two-pass print), each the page where its section begins."""
    from iamkit.report.toc import heading_pages

    for a in accounts(demo_run):
        pdf = demo_run / "accounts" / a["account_id"] / "report.pdf"
        cover = re.sub(r"\s+", " ", PdfReader(pdf).pages[0].extract_text())
        contents = cover.split("Contents", 1)[1]
        pages = heading_pages(pdf, [area.title for area in AREAS])
        assert all(pages) and pages == sorted(pages), pages
        for area, page in zip(AREAS, pages, strict=True):
            m = re.search(re.escape(area.title).replace(r"\ ", r"\s*") + r"\s*p\.\s*(\d+)", contents)
            assert m and int(m.group(1)) == page, (a["account_id"], area.title, page, contents)


def test_section_tables_export_every_row_to_csv(demo_run):
    tables = demo_run / "accounts" / "345678901234" / "tables"
    assert {p.name for p in tables.glob("*.csv")} >= {"guardrails.csv", "reach.csv", "unused_roles.csv",
                                                       "identity_center.csv"}
    html = (demo_run / "accounts" / "345678901234" / "report.html").read_text()
    assert 'href="tables/guardrails.csv"' in html
    import pandas as pd

    assert "why" in pd.read_csv(tables / "guardrails.csv").columns  # the reasons live in the CSV, not the PDF


def test_identity_center_resources_are_named_in_the_index_and_the_cards(demo_run):
    findings = [f for f in failing(demo_run) if ":permissionSet/" in f["resource_arn"]]
    assert findings
    index = (demo_run / "index.html").read_text().replace("<wbr>", "")
    ps_names = {p["PermissionSet"]["PermissionSetArn"]: p["PermissionSet"]["Name"] for p in json.loads(
        (demo_run / "evidence/organization/identity_center/permission_sets.json").read_text())["PermissionSets"]}
    for f in findings:
        name = ps_names[f["resource_arn"]]
        assert f"<td>permission set {name}<br><small>{f['resource_arn']}</small>" in index, f["resource_arn"]
        html = (demo_run / "accounts" / f["account_id"] / "report.html").read_text().replace("<wbr>", "")
        assert f"<strong>permission set {name}</strong>" in html


def test_index_findings_table_fits_a_1300px_window(demo_run):
    from playwright.sync_api import sync_playwright

    from iamkit.report.browser import LAUNCH_ARGS, chromium

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=LAUNCH_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto((demo_run / "index.html").as_uri())
            right, width = page.evaluate("() => [document.querySelector('#failing').getBoundingClientRect().right, "
                                         "document.documentElement.clientWidth]")
            overflow = page.evaluate("() => Array.from(document.querySelectorAll('#failing td'))"
                                     ".filter(td => td.scrollWidth > td.clientWidth + 1).length")
        finally:
            browser.close()
    assert right <= width and overflow == 0, (right, width, overflow)


def test_notebook_load_from_the_run_equals_a_full_assessment(demo_run, tmp_path):
    """nb.load in a run reads the assessment stage's findings.json and opens two bundles; in JupyterLab it
    assesses the whole run again: both give the same findings, and a findings.json that belongs to other
    evidence is not used."""
    import shutil

    from iamkit.findings import load_json, to_records, write_json
    from iamkit.report import nb

    aid = "345678901234"
    params = [str(demo_run / "parameters.resolved.yaml")]
    full = nb.load(demo_run / "evidence", aid, params, {}, None)
    fast = nb.load(demo_run / "evidence", aid, params, {}, demo_run / "accounts" / aid, whole_run=True)
    assert to_records(fast.findings) == to_records(full.findings)
    assert set(fast.org.account_bundles) == set(full.org.account_bundles)  # the reach graph sees every account
    from iamkit.checks import reach
    from iamkit.checks.registry import CheckContext

    assert (demo_run / "accounts" / reach.GRAPH_FILE).is_file()  # saved by the assessment stage, loaded by 03
    assert reach.graph(CheckContext(fast.model, fast.settings, fast.org)) == reach.graph(
        CheckContext(full.model, full.settings, full.org))
    alone = nb.load(demo_run / "evidence", aid, params, {}, demo_run / "accounts" / aid)
    assert set(alone.org.account_bundles) == {aid}
    assert fast.names == full.names and any(v.startswith("permission set ") for v in fast.names.values())
    stale = load_json(demo_run / "accounts" / aid / "findings.json")
    older = [f.model_copy(update={"observed_at": f.observed_at.replace(year=2020), "detail": "stale"}) for f in stale]
    write_json(older, tmp_path / "findings.json")
    again = nb.load(demo_run / "evidence", aid, params, {}, tmp_path)
    assert to_records(again.findings) == to_records(full.findings)
    shutil.rmtree(tmp_path)


def test_pdf_text_has_no_backtick_no_placeholder_and_no_broken_identifier(demo_run):
    for a in accounts(demo_run):
        aid = a["account_id"]
        _, text = pdf_text(demo_run / "accounts" / aid / "report.pdf")
        assert "`" not in text, aid
        assert not PLACEHOLDER.search(text), (aid, PLACEHOLDER.search(text))
        # identifiers may wrap only after a separator; join those wraps and every identifier is whole
        joined = re.sub(r"([:/.#_=,-])\n", r"\1", text)
        assert "\ufb01" not in text  # no "fi" ligature: identifiers copied from the PDF stay searchable
        for f in failing(demo_run, aid):
            assert f["check_id"] in joined, (aid, f["check_id"])
            assert f["resource_arn"] in joined, (aid, f["resource_arn"])
        assert "Confidential" in text and aid in text.split("\n", 3)[0] + text  # running header


def test_every_failing_finding_is_a_card_with_its_id_in_html_and_pdf(demo_run):
    ids = ids_of(demo_run)
    for a in accounts(demo_run):
        aid = a["account_id"]
        html = (demo_run / "accounts" / aid / "report.html").read_text()
        _, text = pdf_text(demo_run / "accounts" / aid / "report.pdf")
        for f in failing(demo_run, aid):
            fid = ids[(f["check_id"], f["account_id"], f["region"], f["resource_arn"])]
            assert f'<section class="iamkit-card" id="{fid.lower()}">' in html, fid
            assert fid in text, fid
        assert set(FID.findall(text)) >= {i for k, i in ids.items() if k[1] == aid}


def test_every_evidence_link_resolves_and_organization_findings_use_the_organization_bundle(demo_run):
    for a in accounts(demo_run):
        report = demo_run / "accounts" / a["account_id"] / "report.html"
        links = re.findall(r'href="(\.\./\.\./evidence/[^"]+)"', report.read_text())
        assert links or not failing(demo_run, a["account_id"]), a["account_id"]
        for link in links:
            assert (report.parent / link).resolve().is_file(), link
    org_refs = [e["file"] for f in json.loads((demo_run / "findings.json").read_text()) for e in f["evidence"]
                if "/organizations/" in e["file"]]
    assert org_refs and all(r.startswith("organization/organizations/") for r in org_refs)
    assert all((demo_run / "evidence" / r).is_file() for r in org_refs)


def test_cover_states_scope_register_and_manifest_hashes(demo_run):
    html = (demo_run / "accounts" / "345678901234" / "report.html").read_text()
    manifest = demo_run / "evidence" / "345678901234" / "manifest.json"
    import hashlib

    assert hashlib.sha256(manifest.read_bytes()).hexdigest() in html.replace("<wbr>", "")
    assert "exceptions.yaml" in html and "2 entries, 1 expired" in html
    assert "Prepared by" in html and "Overall rating" in html and "no sampling" in html


def test_index_lists_every_failing_finding(demo_run):
    index = (demo_run / "index.html").read_text()
    for fid in ids_of(demo_run).values():
        acct = fid.split("-")[1]
        assert f'href="accounts/{acct}/report.html#{fid.lower()}"' in index, fid
    assert "o-" in index and "5 of 5" in index and "Assessment in progress" not in index


def test_verify_names_a_changed_report(demo_run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(demo_run, copy)
    assert iamkit("verify", str(copy)).returncode == 0
    pdf = copy / "accounts" / "345678901234" / "report.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%")
    proc = iamkit("verify", str(copy))
    assert proc.returncode == 1 and "changed: accounts/345678901234/report.pdf" in proc.stdout

def test_plotly_js_embedded_once_per_report(demo_run):
    from plotly.offline import get_plotlyjs

    head = get_plotlyjs()[:200]
    for a in accounts(demo_run):
        html = (demo_run / "accounts" / a["account_id"] / "report.html").read_text()
        assert html.count(head) == 1, a["account_id"]


def test_pdf_has_an_outline_of_the_areas(demo_run):
    """The PDF is printed with its document outline (bookmarks), one entry per area at least."""
    def titles(items) -> list[str]:
        out = []
        for item in items:
            out.extend(titles(item) if isinstance(item, list) else [item.title])
        return out

    for a in accounts(demo_run):
        outline = titles(PdfReader(demo_run / "accounts" / a["account_id"] / "report.pdf").outline)
        for area in AREAS:
            # Chromium may drop the space where a heading wraps ("password policy" -> "passwordpolicy")
            assert any(area.title.replace(" ", "") == t.replace(" ", "") for t in outline), (area.title, outline)


def test_run_json_has_the_stage_split(demo_run):
    doc = json.loads((demo_run / "run.json").read_text())
    t = doc["timings"]
    assert set(t["stages"]) >= {"collect", "assess", "notebooks", "html", "pdf"}
    assert set(t["notebooks_by_area"]) == {area.notebook for area in AREAS}
    assert abs(sum(t["share"].values()) - 1) < 0.01
    assert t["cpu_seconds"] >= t["cpu_seconds_children"] > 0  # kernels and Chromium counted once they exit
    for a in doc["accounts"]:
        assert set(a["notebook_seconds"]) == {area.notebook for area in AREAS}


def test_identity_center_matrix_in_index_and_cross_account_report(demo_run):
    index = (demo_run / "index.html").read_text()
    assert "IAM Identity Center: who can do what in which account" in index
    for text in ("Frank Breakglass", "can escalate", "read-only", "[management]", "DeveloperPower"):
        assert text in index, text
    report = (demo_run / "accounts" / "456789012345" / "report.html").read_text()
    assert "Permission sets that reach this account" in report and "DeveloperPower" in report
    assert "Evidence missing" not in report.split("Permission sets that reach this account")[1][:3000]


def test_identity_center_roles_agree_with_iam_side(demo_run):
    """Every AWSReservedSSO_ role is linked to its permission set, and the IAM-side admin verdict of the role
    agrees with the Identity Center verdict of the permission set in that account (one notion, SCPs included)."""
    from iamkit.checks import org_model
    from iamkit.checks.privilege import principal_admin
    from iamkit.evidence import load_bundles
    from iamkit.identity_center import access_table, identity_center_of, policy_pool, sso_roles
    from iamkit.model import AccountModel

    bundles, org_bundle = load_bundles([demo_run / "evidence"])
    org = org_model(org_bundle, bundles)
    ic = identity_center_of(org)
    models = {b.account_id: AccountModel(b, org=org) for b in bundles}
    access = access_table(ic, models, org, policy_pool(models.values())).set_index(
        ["account_id", "permission_set_arn"])["level"]
    checked = 0
    for account_id, acct in models.items():
        roles = sso_roles(acct, ic)
        assert roles["permission_set_arn"].notna().all() and roles["assigned"].all(), account_id
        admin = principal_admin(acct, org).set_index("principal_arn")["is_admin"]
        for role_arn, ps_arn in zip(roles["role_arn"], roles["permission_set_arn"], strict=True):
            assert bool(admin[role_arn]) == (access[(account_id, ps_arn)] == "admin"), (account_id, role_arn)
            checked += 1
    assert checked == len(access)  # one provisioned role per (account, permission set) with an assignment
