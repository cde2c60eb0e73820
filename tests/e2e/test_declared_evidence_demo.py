"""The demo organization's evidence, collected from the stand-in (five accounts and an organization bundle with IAM
Identity Center): every check runs inside its declared reads without reading an undeclared file; every file the
collectors wrote is declared by a collector's ``FILES``; and denying iam:GenerateCredentialReport (and every other
operation of the table, file set by file set) makes exactly the checks docs/denied-operations.md names go ERROR."""

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
from iamkit.report.scope import denied_operations
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


def _deny(src, dest, keys, operation="GenerateCredentialReport"):
    """A copy of the evidence in which ``keys`` (evidence keys, globs allowed) were not collected: the files are gone
    and the manifest records the denied operation for each, as a collector does."""
    shutil.copytree(src, dest)
    for bundle in dest.iterdir():
        prefix = f"{ORGANIZATION}/" if bundle.name == ORGANIZATION else ""
        manifest = json.loads((bundle / "manifest.json").read_text())
        for rel in [r for r in manifest["files"] if any(matches(prefix + r, k) for k in keys)]:
            (bundle / rel).unlink()
            del manifest["files"][rel]
            manifest["errors"].append({"collector": "test", "operation": operation, "region": "global",
                                       "code": "AccessDenied", "message": "denied by the test", "file": rel})
        (bundle / "manifest.json").write_text(json.dumps(manifest))


def _errors(evidence, settings):
    bundles, org = load_bundles([evidence])
    findings = assess(bundles, settings, org)
    return bundles, findings, {f.check_id for f in findings if f.status is Status.ERROR}


def test_denying_generate_credential_report_errors_exactly_the_checks_the_table_names(demo, tmp_path):
    evidence, settings, findings = demo
    row = next(r for r in denial_rows() if r["operation"] == "iam:GenerateCredentialReport")
    assert row["files"] == ["iam/credential_report.csv", "iam/credential_report.json"]
    _deny(evidence, tmp_path / "evidence", row["files"])
    bundles, denied, now = _errors(tmp_path / "evidence", settings)
    before = {f.check_id for f in findings if f.status is Status.ERROR}
    assert now - before == set(row["error"])
    for f in denied:
        if f.check_id in row["error"] and f.status is Status.ERROR:
            assert "GenerateCredentialReport failed: AccessDenied" in f.detail, f.detail
    [line] = denied_operations(bundles[0].errors)  # the report's limitations page
    assert line.startswith("Collection: test GenerateCredentialReport (global) answered AccessDenied; evidence left "
                           "out: iam/credential_report.csv, iam/credential_report.json; checks that say ERROR because "
                           f"of it: {', '.join(row['error'])}; checks that use it when present: "), line


FILE_SETS = sorted({tuple(r["files"]) for r in denial_rows() if r["files"]})


@pytest.mark.parametrize("files", FILE_SETS, ids=[",".join(f) for f in FILE_SETS])
def test_every_row_of_the_table_holds_on_the_demo(demo, tmp_path, files):
    """For every set of files an operation gates: exactly the checks the table names go ERROR without them."""
    evidence, settings, findings = demo
    rows = [r for r in denial_rows() if tuple(r["files"]) == files]
    _deny(evidence, tmp_path / "evidence", files)
    _bundles, _denied, now = _errors(tmp_path / "evidence", settings)
    before = {f.check_id for f in findings if f.status is Status.ERROR}
    assert now - before == set(rows[0]["error"]), [r["operation"] for r in rows]
