"""docs/adding-a-check.md works: its example check and metadata, copied from the page into a package of their own,
are discovered, run in ``assess``, appear in the generated catalog and the denied-operation table; the same check
declaring the wrong file gives one ERROR saying "iamkit bug", never a verdict."""

from __future__ import annotations

import re
import sys

import pytest

from iamkit.checks import assess, registry
from iamkit.checks.catalog import catalog_rows, needing, render_markdown
from iamkit.evidence import Bundle
from iamkit.findings import Status
from iamkit.settings import load_settings
from tests.checks.helpers import write_bundle
from tests.conftest import ROOT

CHECK_ID = "iam.example.password_policy_present"


def _blocks(lang: str) -> str:
    text = (ROOT / "docs" / "adding-a-check.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)[0]


@pytest.fixture
def toy_package(tmp_path, monkeypatch):
    """``make(name, metadata_text)``: a package ``name`` holding the page's module and the given metadata, discovered
    the way ``iamkit.checks`` discovers its own; the checks are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    found: list[str] = []

    def make(name: str, metadata_text: str) -> list[str]:
        pkg = tmp_path / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "example.py").write_text(_blocks("python"))
        (pkg / "example.metadata.yaml").write_text(metadata_text)
        found.extend(registry.discover(name))
        return found

    yield make
    registry.forget([*found, CHECK_ID])
    for mod in [m for m in sys.modules if m.startswith("toy_")]:
        del sys.modules[mod]


def _bundle(tmp_path, policy):
    return Bundle(write_bundle(tmp_path / "evidence" / "111122223333", {"iam/password_policy.json": policy}))


def test_the_documented_check_runs_and_is_catalogued(toy_package, tmp_path):
    assert toy_package("toy_ok", _blocks("yaml")) == [CHECK_ID]
    settings = load_settings()
    fail = [f for f in assess([_bundle(tmp_path / "a", {"PasswordPolicy": None})], settings) if f.check_id == CHECK_ID]
    assert [(f.status, f.resource_arn) for f in fail] == [(Status.FAIL, "arn:aws:iam::111122223333:root")]
    assert fail[0].evidence[0].file == "111122223333/iam/password_policy.json"
    ok = [f for f in assess([_bundle(tmp_path / "b", {"PasswordPolicy": {"MinimumPasswordLength": 8}})], settings)
          if f.check_id == CHECK_ID]
    assert [f.status for f in ok] == [Status.PASS]
    assert CHECK_ID in {r["id"] for r in catalog_rows()}
    assert f"### `{CHECK_ID}`: The account has a password policy" in render_markdown()
    assert CHECK_ID in needing(["iam/password_policy.json"])[0]


def test_the_documented_check_reading_an_undeclared_file_is_an_iamkit_bug(toy_package, tmp_path):
    wrong = _blocks("yaml").replace("reads: [iam/password_policy.json]", "reads: [iam/account_summary.json]")
    toy_package("toy_wrong", wrong)
    findings = assess([_bundle(tmp_path, {"PasswordPolicy": None})], load_settings())
    found = [f for f in findings if f.check_id == CHECK_ID]
    assert [f.status for f in found] == [Status.ERROR]
    assert "iamkit bug" in found[0].detail and "iam/password_policy.json" in found[0].detail


def test_metadata_without_its_check_fields_is_refused(toy_package):
    with pytest.raises(ValueError, match="lacks reads"):
        toy_package("toy_bad", _blocks("yaml").replace("    reads: [iam/password_policy.json]\n", ""))
    assert CHECK_ID not in registry.registered()  # refused before the module was imported
