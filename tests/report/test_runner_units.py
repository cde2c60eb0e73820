"""Runner pieces without AWS: OU selection, example parameters, workers, resume fingerprint."""

from __future__ import annotations

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
