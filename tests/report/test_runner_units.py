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


def test_json_lines_and_rich_monitors_accept_every_event():
    import io
    import json

    from rich.console import Console

    from iamkit.runner import JsonLinesMonitor, RichMonitor

    events = [{"event": "run_start", "accounts": 2}, {"event": "stage", "account_id": "1", "stage": "collect"},
              {"event": "account_done", "account_id": "1"}, {"event": "account_skipped", "account_id": "2"},
              {"event": "account_failed", "account_id": "3", "stage": "collect", "error": "AccessDenied"},
              {"event": "message", "message": "hello"}, {"event": "organization_done"}]
    buf = io.StringIO()
    mon = JsonLinesMonitor(buf)
    for e in events:
        mon.event(e)
    assert [json.loads(line)["event"] for line in buf.getvalue().splitlines()] == [e["event"] for e in events]
    out = io.StringIO()
    rich = RichMonitor(Console(file=out, force_terminal=False, width=120))
    rich.start(3)
    for e in events:
        rich.event(e)
    rich.finish()
    text = out.getvalue()
    assert "failed 3 at collect: AccessDenied" in text and "1 done" in text and "1 failed" in text
