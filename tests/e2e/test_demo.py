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
CHART_TITLES = ["Findings by area and status", "MFA coverage of console users", "Access key age distribution",
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
    for a in accounts(demo_run):
        html = (demo_run / "accounts" / a["account_id"] / "report.html").read_text()
        assert "Plotly.newPlot" in html
        assert not re.search(r"<script[^>]+src=", html), "external script"
        assert not re.search(r"<link[^>]+href=[\"']https?:", html), "external stylesheet"
        assert "nb.load(" not in html and "nb.show_chart(" not in html
        assert a["account_id"] in html and "Contents" in html
        for area in AREAS:
            assert area.title in html
        assert "iamkit-table" in html  # sortable/searchable tables (report.js)


def test_pdf_has_every_area_title_and_chart_titles(demo_run):
    for a in accounts(demo_run):
        pdf = demo_run / "accounts" / a["account_id"] / "report.pdf"
        reader = PdfReader(pdf)
        text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))
        for area in AREAS:
            assert area.title in text, (a["account_id"], area.title)
        present = [t for t in CHART_TITLES if t in text]
        assert present, "no chart title in the PDF"
        assert len(reader.pages) >= len(AREAS) + 1  # cover + a page break before every area


def test_index_links_resolve(demo_run):
    index = (demo_run / "index.html").read_text()
    links = re.findall(r'href="([^"#]+)"', index)
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
    agrees with the Identity Center verdict of the permission set in that account."""
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
        admin = principal_admin(acct).set_index("principal_arn")["is_admin"]
        for role_arn, ps_arn in zip(roles["role_arn"], roles["permission_set_arn"], strict=True):
            assert bool(admin[role_arn]) == (access[(account_id, ps_arn)] == "admin"), (account_id, role_arn)
            checked += 1
    assert checked == len(access)  # one provisioned role per (account, permission set) with an assignment
