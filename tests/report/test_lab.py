"""``iamkit lab`` defaults: the last demo run's evidence and its management account."""

from __future__ import annotations

import json

from iamkit.report.lab import ENV_ACCOUNT, ENV_EVIDENCE, demo_defaults


def test_defaults_point_at_the_demo_run_and_management_account(tmp_path):
    org = tmp_path / "evidence" / "organization"
    org.mkdir(parents=True)
    (org / "manifest.json").write_text(json.dumps({"management_account_id": "123456789012"}))
    (tmp_path / "evidence" / "210987654321").mkdir()
    (tmp_path / "evidence" / "210987654321" / "manifest.json").write_text("{}")
    d = demo_defaults(tmp_path)
    assert d[ENV_EVIDENCE] == str((tmp_path / "evidence").resolve())
    assert d[ENV_ACCOUNT] == "123456789012"


def test_no_demo_run_no_defaults(tmp_path):
    assert demo_defaults(tmp_path / "missing") == {}


def test_falls_back_to_first_account_without_organization(tmp_path):
    (tmp_path / "evidence" / "210987654321").mkdir(parents=True)
    (tmp_path / "evidence" / "210987654321" / "manifest.json").write_text("{}")
    assert demo_defaults(tmp_path)[ENV_ACCOUNT] == "210987654321"
