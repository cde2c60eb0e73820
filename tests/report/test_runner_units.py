"""Runner pieces without AWS: OU selection, example parameters, workers, resume fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamkit.collect.bundle import AccountTarget
from iamkit.errors import BadInputError
from iamkit.runner import select_ous
from iamkit.settings import load_settings
from tests.conftest import ROOT

T = [AccountTarget("111111111111", "prod", "Root/Workloads/Prod"),
     AccountTarget("222222222222", "dev", "Root/Workloads/Dev"),
     AccountTarget("333333333333", "sec", "Root/Security")]


def test_select_by_ou_path_includes_children():
    assert [t.account_id for t in select_ous(T, ["Workloads"])] == ["111111111111", "222222222222"]
    assert [t.account_id for t in select_ous(T, ["Root/Security"])] == ["333333333333"]
    assert select_ous(T, None) == T


def test_select_unknown_ou_or_without_org_is_bad_input():
    with pytest.raises(BadInputError, match="no account"):
        select_ous(T, ["Nope"])
    with pytest.raises(BadInputError, match="--org"):
        select_ous([AccountTarget("111111111111")], ["Workloads"])


@pytest.mark.parametrize("name", ["example-account.yaml", "example-organization.yaml", "demo.yaml"])
def test_example_parameters_validate(name):
    load_settings([ROOT / "parameters" / name])


def test_bad_parameters_give_one_line(tmp_path: Path):
    bad = tmp_path / "p.yaml"
    bad.write_text("organizational_unit: [Prod]\n")
    with pytest.raises(BadInputError) as exc:
        load_settings([bad])
    assert "\n" not in str(exc.value)
