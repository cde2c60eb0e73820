"""Runner pieces without AWS: OU selection, example parameters, workers, resume fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamkit.collect.bundle import AccountTarget
from iamkit.errors import BadInputError
from iamkit.evidence import Bundle
from iamkit.model import OrgModel
from iamkit.runner import select_ous, with_ou_paths
from iamkit.settings import load_settings
from tests.checks.helpers import write_org_bundle
from tests.conftest import ROOT

MGMT, PROD, DEV = "123456789012", "111122223333", "444455556666"
T = [AccountTarget(MGMT, "mgmt"), AccountTarget(PROD, "prod"), AccountTarget(DEV, "dev")]


@pytest.fixture
def org(tmp_path: Path) -> OrgModel:
    """A real OrgModel: root r-root > Workloads (ou-work: DEV) > Prod (ou-prod: PROD); MGMT under the root."""
    return OrgModel(Bundle(write_org_bundle(tmp_path)))


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        (["Workloads"], [PROD, DEV]),  # an OU includes everything below it
        (["/Workloads/Prod"], [PROD]),
        (["Root/Workloads/Prod"], [PROD]),
        (["Workloads/Prod/"], [PROD]),
        (["ou-prod"], [PROD]),  # by id
        (["ou-work"], [PROD, DEV]),
        (["r-root"], [MGMT, PROD, DEV]),
        (["ou-prod", "Workloads"], [PROD, DEV]),
    ],
)
def test_select_by_ou_id_or_path(org, selectors, expected):
    assert [t.account_id for t in select_ous(T, selectors, org)] == expected


def test_without_selectors_every_target(org):
    assert select_ous(T, None, org) == T and select_ous(T, [], None) == T


def test_unknown_ou_without_org_or_empty_selection_is_bad_input(org):
    with pytest.raises(BadInputError, match="'Nope' is neither an OU id nor an OU path"):
        select_ous(T, ["Nope"], org)
    with pytest.raises(BadInputError, match="'ou-zzzz' is neither"):
        select_ous(T, ["ou-zzzz"], org)
    with pytest.raises(BadInputError, match="--org"):
        select_ous(T, ["Workloads"], None)
    with pytest.raises(BadInputError, match="no account of the run"):
        select_ous([AccountTarget(MGMT)], ["Workloads"], org)


def test_ou_paths_filled_from_the_organization(org):
    assert {t.account_id: t.ou_path for t in with_ou_paths(T, org)} == {
        MGMT: "/", PROD: "/Workloads/Prod", DEV: "/Workloads"}


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

    from iamkit.cli.monitors import JsonLinesMonitor, RichMonitor

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


def _state(tmp_path: Path, events: list, *, rerender: dict | None = None, **settings):
    from iamkit.runner.events import EventLog, Monitor
    from iamkit.runner.state import RunOptions, RunState

    class Recorder(Monitor):
        def event(self, ev):
            events.append(ev)

    opts = RunOptions(out=tmp_path, target=None, settings=load_settings([], **settings), run_id="r1")
    return RunState(opts, EventLog(tmp_path, "r1", Recorder()), "fp", rerender=rerender)


def test_resolved_parameters_have_absolute_paths_and_no_secrets(tmp_path, monkeypatch):
    import yaml

    from iamkit.runner.state import write_resolved_parameters

    monkeypatch.chdir(tmp_path)
    (tmp_path / "risks.yaml").write_text("exceptions: []\n")
    settings = load_settings([], exceptions_file="risks.yaml", external_id="secret-id", profile="me",
                             endpoint_url="http://127.0.0.1:1")
    data = yaml.safe_load(write_resolved_parameters(settings, tmp_path / "run").read_text())
    assert data["exceptions_file"] == str(tmp_path / "risks.yaml")
    assert not {"external_id", "profile", "endpoint_url"} & set(data)


def test_a_failing_stage_fails_only_its_account_at_the_sub_stage_it_reached(tmp_path):
    from iamkit.runner.account import step

    events: list = []
    state = _state(tmp_path, events)
    state.accounts = {"1": {"account_id": "1", "status": "pending"}, "2": {"account_id": "2", "status": "pending"}}

    def boom(enter):
        enter("html")
        raise ValueError("boom\nsecond line")

    assert step(state, "1", "notebooks", boom) is None
    assert step(state, "2", "notebooks", lambda enter: 42) == 42
    one, two = state.accounts["1"], state.accounts["2"]
    assert (one["status"], one["stage"], one["error"]) == ("failed", "html", "ValueError: boom")
    assert set(one["timings"]) == {"notebooks", "html"} and two["status"] == "running"
    assert "Traceback" in (tmp_path / "accounts" / "1" / "log.txt").read_text()
    assert {"event": "account_failed", "account_id": "1", "stage": "html", "error": "ValueError: boom"}.items() <= \
        [e for e in events if e["event"] == "account_failed"][0].items()
    saved = json.loads((tmp_path / "run.json").read_text())
    assert [a["status"] for a in saved["accounts"]] == ["failed", "running"]


def test_the_cover_of_a_rendered_again_report_is_the_run_cover_and_says_when(tmp_path):
    from iamkit.runner.account import cover
    from tests.checks.helpers import ACCT, cred_report, cred_row, write_bundle

    bundle = Bundle(write_bundle(tmp_path / "evidence" / ACCT, {
        "iam/credential_report.csv": cred_report(cred_row("<root_account>")),
        "iam/account_aliases.json": {"AccountAliases": ["prod"]}}))
    record = {"account_id": ACCT, "name": "Production", "ou_path": "/Workloads/Prod", "status": "ok"}
    run_state = _state(tmp_path, [])
    again = _state(tmp_path, [], rerender={"run_id": "r1"})
    run_state.accounts = {ACCT: dict(record)}
    again.accounts = {ACCT: dict(record)}
    first, second = cover(run_state, bundle), cover(again, bundle)
    assert first["Account alias"] == "prod" and first["Account name"] == "Production"
    assert first["Organizational unit"] == "/Workloads/Prod" and first["Run"] == "r1"
    assert "Rendered again at" not in first
    assert {k: v for k, v in second.items() if k != "Rendered again at"} == first and second["Rendered again at"]


def test_message_monitor_says_what_happened():
    from iamkit.runner import MessageMonitor

    lines: list[str] = []
    mon = MessageMonitor(lines.append)
    for ev in ({"event": "stage", "account_id": "1", "stage": "collect"}, {"event": "run_start", "accounts": 1},
               {"event": "account_failed", "account_id": "1", "stage": "pdf", "error": "x"},
               {"event": "account_skipped", "account_id": "2"}, {"event": "message", "message": "hi"}):
        mon.event(ev)
    assert lines == ["1: collect", "1: failed at pdf: x", "2: complete in the previous run, skipped (--resume)", "hi"]
