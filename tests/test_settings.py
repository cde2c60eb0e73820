from __future__ import annotations

import subprocess
import sys

import pytest

from iamkit.errors import BadInputError
from iamkit.settings import defaults_text, load_settings
from tests.conftest import ROOT


def test_defaults():
    s = load_settings()
    assert s.thresholds.access_key_max_age_days == 90
    assert s.thresholds.unused_credentials_days == 45


def test_parameters_defaults_file_mirrors_package_defaults():
    assert (ROOT / "parameters" / "defaults.yaml").read_text() == defaults_text()


def test_demo_parameters_mirror_package_copy():
    assert (ROOT / "parameters" / "demo.yaml").read_text() == (ROOT / "iamkit/demo/parameters.yaml").read_text()


@pytest.mark.parametrize("text, expect", [
    ("thresholds: {access_key_max_age_days: -1}", "access_key_max_age_days"),
    ("nonsense_key: 1", "nonsense_key"),
    ("trusted_account_ids: ['12345']", "12-digit"),
    ("thresholds: [unclosed", "not valid YAML"),
    ("- a list", "mapping"),
])
def test_bad_parameters_give_one_line(tmp_path, text, expect):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(BadInputError) as exc:
        load_settings([p])
    assert expect in str(exc.value)
    assert "\n" not in str(exc.value)


def test_cli_bad_parameters_exit_2_without_traceback(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("thresholds: {nope: 3}")
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "assess", str(tmp_path), "--out", str(tmp_path / "o"),
                           "--parameters", str(p)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
