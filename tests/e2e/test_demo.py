"""End to end: ``iamkit demo`` as a subprocess, against its own stand-in on a free loopback port."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "run"
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "--quiet", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Report index:" in proc.stdout
    return out


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
    assert manifest["operations"]["sts:GetCallerIdentity"] >= 1
    assert "iam/credential_report.csv" in manifest["files"]
    assert manifest["errors"] == []


def test_html_report_has_finding_and_inline_chart(demo_run):
    html = (demo_run / "accounts/123456789012/report.html").read_text()
    assert "iam.root.mfa_enabled" in html and "FAIL" in html
    assert "Plotly.newPlot" in html
    # nothing needed from the network: no external script sources at all
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert "Root credential last use" in html
    # code is hidden
    assert "nb.load(" not in html


def test_pdf_contains_title_and_chart_title(demo_run):
    pdf = demo_run / "accounts/123456789012/report.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "IAM security assessment" in text
    assert "Root credential last use" in text


def test_index_links_resolve(demo_run):
    index = (demo_run / "index.html").read_text()
    links = re.findall(r'href="([^"#]+)"', index)
    assert "accounts/123456789012/report.html" in links
    for link in links:
        assert (demo_run / link).is_file(), link


def test_no_credentials_leak(demo_run):
    for path in demo_run.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".csv", ".ipynb"}:
            text = path.read_text(errors="replace")
            assert "aws_secret_access_key" not in text.lower()
            assert "SecretAccessKey" not in text
