"""Every registered check has metadata and vice versa, described in one place (beside the module that registers
it); the framework mappings are consistent; the generated docs match their sources."""

from __future__ import annotations

import re

from iamkit.checks import registered
from iamkit.checks.registry import AREAS, controls_data, metadata


def test_every_check_registered_and_described():
    assert set(registered()) == set(metadata()), "a registered check lacks metadata or metadata lacks a check"
    for cid, fn in registered().items():
        m = metadata()[cid]
        assert m.area in AREAS and m.title and m.remediation and m.rationale and m.statuses and m.resource, cid
        assert fn.__module__ == m.module, f"{cid} is registered in {fn.__module__} but described beside {m.module}"
        assert m.reads or m.reads_one_of, f"{cid} declares no evidence it cannot do without"
        for pattern in m.declared_reads:
            assert pattern not in ("*", "**", "*/*", "organization/*"), f"{cid} declares {pattern}: too broad"
    # 31 + escalation + 7 Identity Center + 11 SCP guardrails + reach, unused roles, unused access
    assert len(metadata()) == 53


def test_check_docstrings_exist_per_area_module():
    import importlib

    for area in AREAS:
        mod = importlib.import_module(f"iamkit.checks.{area}")
        assert mod.__doc__ and len(mod.__doc__) > 80, area


def _framework_controls() -> dict[str, dict[str, dict]]:
    fw = controls_data()["frameworks"]
    return {name: {c["id"]: c for c in f["controls"]} for name, f in fw.items()}


def test_every_mapped_control_exists_and_mapping_is_symmetric():
    fw = _framework_controls()
    for m in metadata().values():
        for ref in m.controls:
            name, _, cid = ref.partition(":")
            assert name in fw, ref
            assert cid in fw[name], f"{m.id} maps to {ref}, which the framework list lacks"
            assert m.id in fw[name][cid]["checks"], f"{ref} does not list {m.id} back"
    for name, controls in fw.items():
        for cid, c in controls.items():
            for check_id in c["checks"]:
                assert check_id in metadata(), f"{name}:{cid} names unknown check {check_id}"
                assert f"{name}:{cid}" in metadata()[check_id].controls, f"{check_id} does not map {name}:{cid}"


def test_cis7_section2_covered_or_explained():
    cis7 = _framework_controls()["CIS-AWS-7.0"]
    ids = set(cis7)
    expected = {"2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5", "2.1.6"} | {f"2.{i}" for i in range(2, 22)}
    assert ids == expected
    for cid, c in cis7.items():
        assert c["assessment"] in ("automated", "manual")
        if not c["checks"]:  # nothing evaluates it: the record must say why, in a sentence
            assert c["manual"] and len(c["manual"]) > 40, cid
        if c["assessment"] == "automated" and not c["checks"]:  # an automated control is skipped only if out of scope
            assert c["manual"].startswith("out of scope:"), cid
    automated = {cid: sorted(c["checks"]) for cid, c in cis7.items() if c["assessment"] == "automated"}
    assert automated == {
        "2.4": ["iam.root.access_keys_absent"], "2.5": ["iam.root.mfa_enabled"],
        "2.8": ["iam.password_policy.min_length"], "2.9": ["iam.password_policy.reuse_prevention"],
        "2.10": ["iam.user.console_mfa"], "2.11": ["iam.credentials.unused"], "2.12": ["iam.access_key.rotated"],
        "2.13": ["iam.user.direct_policies"], "2.14": ["iam.policy.full_admin_attached"],
        "2.15": ["iam.support_role"], "2.16": [], "2.17": ["iam.server_certificate.expired"],
        "2.18": ["accessanalyzer.enabled_all_regions"]}


def test_control_id_format():
    pattern = {"CIS-AWS-7.0": r"^2\.\d+(\.\d+)?$", "CIS-AWS-5.0": r"^1\.\d+$", "AWS-FSBP": r"^(IAM|Account)\.\d+$"}
    for name, controls in _framework_controls().items():
        for cid in controls:
            assert re.match(pattern[name], cid), (name, cid)


def test_docs_checks_md_is_generated_from_the_catalog():
    from iamkit.checks.catalog import render_markdown
    from tests.conftest import ROOT

    assert (ROOT / "docs" / "checks.md").read_text() == render_markdown(), \
        "regenerate: python -m iamkit.checks.catalog --write docs"


def test_docs_controls_md_tables_are_generated_from_the_metadata():
    from iamkit.checks.catalog import render_controls
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "controls.md").read_text()
    assert text == render_controls(text), "regenerate: python -m iamkit.checks.catalog --write docs"
    assert "## Where the numbers were verified" in text and "## Corrections and ambiguities" in text


def test_docs_denied_operations_md_is_generated():
    from iamkit.coverage import render_markdown
    from tests.conftest import ROOT

    assert (ROOT / "docs" / "denied-operations.md").read_text() == render_markdown(), \
        "regenerate: python -m iamkit.coverage > docs/denied-operations.md"


def test_a_checks_text_lives_in_one_place():
    """Title, rationale, remediation, statuses and the report's remediation variants of a check are written only in
    its metadata file: no copy elsewhere in the package, the notebooks or the parameters that could drift from it
    (the old copies are gone)."""
    from tests.conftest import ROOT

    for gone in ("iamkit/checks/controls.yaml", "iamkit/report/remediation.yaml"):
        assert not (ROOT / gone).exists(), f"{gone} is a second copy of check metadata"
    places = [p for d in ("iamkit", "notebooks", "parameters", "templates") for p in (ROOT / d).rglob("*")
              if p.is_file() and p.suffix in (".py", ".yaml", ".yml", ".ipynb", ".j2", ".html", ".md", ".json")
              and not p.name.endswith(".metadata.yaml") and p.name != "frameworks.yaml"]
    texts = {p: p.read_text(errors="replace") for p in places}
    for m in metadata().values():
        pieces = [m.title, m.rationale, m.remediation, m.statuses]
        pieces += [v[k] for v in m.report_remediation for k in ("console", "cli") if v.get(k)]
        for piece in (p.strip() for p in pieces):
            if len(piece) < 30:
                continue
            copies = [str(p.relative_to(ROOT)) for p, t in texts.items() if piece in t]
            assert not copies, f"{m.id}: {piece[:60]!r} is also written in {copies}"

