"""The demo organization's evidence, collected from the stand-in (five accounts and an organization bundle with IAM
Identity Center): every check runs inside its declared reads without reading an undeclared file; every file the
collectors wrote is declared by a collector's ``FILES``; and denying iam:GenerateCredentialReport makes exactly the
checks docs/denied-operations.md names go ERROR."""

from __future__ import annotations

import json
import shutil

import pytest

from iamkit.checks import assess
from iamkit.checks.catalog import matches
from iamkit.collect import evidence_files
from iamkit.coverage import denial_rows
from iamkit.evidence import ORGANIZATION, load_bundles
from iamkit.findings import Status
from iamkit.report.fmt import ident
from iamkit.report.scope import denied_table
from iamkit.settings import load_settings
from tests.e2e.demo_evidence import collect_seeded_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(standin, tmp_path_factory):
    from iamkit.demo.run import demo_parameters

    out = collect_seeded_demo(standin.url, tmp_path_factory.mktemp("declared"))
    settings = load_settings([demo_parameters()])
    bundles, org = load_bundles([out])
    return out / "evidence", settings, assess(bundles, settings, org)


def test_no_check_reads_undeclared_evidence_on_the_demo(demo):
    _evidence, _settings, findings = demo
    bugs = [f"{f.check_id} ({f.account_id}): {f.detail}" for f in findings if "iamkit bug" in f.detail]
    assert not bugs, "\n".join(bugs)
    assert {f.account_id for f in findings} and any(f.check_id.startswith("sso.") and f.status is not Status.ERROR
                                                    for f in findings), "Identity Center was not evaluated"


def test_every_collected_file_is_declared_by_a_collector(demo):
    evidence, _settings, _findings = demo
    declared = list(evidence_files())
    for bundle in evidence.iterdir():
        prefix = f"{ORGANIZATION}/" if bundle.name == ORGANIZATION else ""
        for rel in json.loads((bundle / "manifest.json").read_text())["files"]:
            assert any(matches(prefix + rel, d) for d in declared), f"{prefix}{rel} is written by no collector's FILES"


def _deny_credential_report(src, dest):
    shutil.copytree(src, dest)
    for bundle in dest.iterdir():
        if bundle.name == ORGANIZATION:
            continue
        manifest = json.loads((bundle / "manifest.json").read_text())
        for rel in ("iam/credential_report.csv", "iam/credential_report.json"):
            (bundle / rel).unlink()
            del manifest["files"][rel]
            manifest["errors"].append({"collector": "iam", "operation": "GenerateCredentialReport", "region": "global",
                                       "code": "AccessDenied", "message": "denied by the test", "file": rel})
        (bundle / "manifest.json").write_text(json.dumps(manifest))


def test_denying_generate_credential_report_errors_exactly_the_checks_the_table_names(demo, tmp_path):
    evidence, settings, findings = demo
    _deny_credential_report(evidence, tmp_path / "evidence")
    bundles, org = load_bundles([tmp_path / "evidence"])
    denied = assess(bundles, settings, org)
    before = {f.check_id for f in findings if f.status is Status.ERROR}
    now = {f.check_id for f in denied if f.status is Status.ERROR}
    row = next(r for r in denial_rows() if r["operation"] == "iam:GenerateCredentialReport")
    assert row["files"] == ["iam/credential_report.csv", "iam/credential_report.json"]
    assert now - before == set(row["error"])
    for f in denied:
        if f.check_id in row["error"] and f.status is Status.ERROR:
            assert "GenerateCredentialReport failed: AccessDenied" in f.detail, f.detail
    table = denied_table(bundles[0].errors)
    assert "iam: GenerateCredentialReport" in table and all(ident(c) in table for c in row["error"])
