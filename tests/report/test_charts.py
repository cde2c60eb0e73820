"""Charts on tables built in code: titles, the thresholds they draw, and missing tables."""

from __future__ import annotations

import pandas as pd
import pytest

from iamkit.model import MissingEvidence
from iamkit.report import charts, nb, orgcharts
from tests.report.fakes import FakeAccount, finding, org_model


def keys(*ages: int, active: bool = True) -> pd.DataFrame:
    return pd.DataFrame([{"user_name": f"u{i}", "user_arn": f"arn:aws:iam::1:user/u{i}", "slot": 1,
                          "active": active, "age_days": a, "days_since_use": 1} for i, a in enumerate(ages)])


def test_key_age_histogram_splits_at_threshold_and_draws_the_line():
    fig = charts.access_key_age(FakeAccount(access_keys=keys(10, 30, 120, 400)), 90, "Access key age distribution")
    assert fig.layout.title.text == "Access key age distribution"
    young, old = fig.data
    assert sorted(young.x) == [10, 30] and sorted(old.x) == [120, 400]
    assert any(s.x0 == 90 for s in fig.layout.shapes)


def test_key_age_without_active_keys_says_so():
    fig = charts.access_key_age(FakeAccount(access_keys=keys(500, active=False)), 90, "T")
    assert "No active access keys" in fig.layout.annotations[0].text


class _Uncollected:
    def missing_reason(self, relpath: str) -> str:
        return "not collected (AccessDenied)"


class NoReport:
    """A model whose credential report was not collected."""

    @property
    def access_keys(self) -> pd.DataFrame:
        raise MissingEvidence(_Uncollected(), "iam/credential_report.csv")


def test_missing_evidence_reaches_the_notebook_as_missing_evidence():
    """A table whose evidence is missing raises the model's MissingEvidence unchanged (``nb.show_chart``
    shows it as "evidence missing"); no chart answers with an empty figure instead."""
    with pytest.raises(MissingEvidence, match="credential_report.csv: not collected"):
        charts.access_key_age(NoReport(), 90, "T")
    assert MissingEvidence in nb.UNAVAILABLE


def test_mfa_coverage_counts_console_users_by_strongest_device():
    users = pd.DataFrame([
        {"arn": "a1", "user_name": "a", "has_console_password": True, "mfa_active": True},
        {"arn": "a2", "user_name": "b", "has_console_password": True, "mfa_active": False},
        {"arn": "a3", "user_name": "c", "has_console_password": False, "mfa_active": False},
        {"arn": "a4", "user_name": "d", "has_console_password": True, "mfa_active": True},
    ])
    devices = pd.DataFrame([{"serial": "s1", "user_arn": "a1", "kind": "virtual", "enable_date": None},
                            {"serial": "s2", "user_arn": "a1", "kind": "hardware", "enable_date": None},
                            {"serial": "s3", "user_arn": "a4", "kind": "virtual", "enable_date": None}])
    fig = charts.mfa_coverage(FakeAccount(users=users, mfa_devices=devices), "MFA coverage of console users")
    bar = fig.data[0]
    assert dict(zip(bar.y, bar.x, strict=True)) == {"hardware MFA": 1, "virtual MFA": 1, "no MFA": 1}


def test_trust_graph_has_an_edge_per_trust_row_coloured_by_relation():
    trust = pd.DataFrame([
        {"role_arn": "r1", "role_name": "deploy", "principal_kind": "account", "principal": "arn:aws:iam::999:root",
         "account_id": "999988887777", "relation": "unknown"},
        {"role_arn": "r1", "role_name": "deploy", "principal_kind": "any", "principal": "*", "account_id": None,
         "relation": "any"},
        {"role_arn": "r2", "role_name": "lambda", "principal_kind": "service", "principal": "lambda.amazonaws.com",
         "service": "lambda.amazonaws.com", "account_id": None, "relation": "service"},
    ])
    fig = charts.trust_graph(FakeAccount(trust=trust), "Role trust graph")
    lines = {t.name: t for t in fig.data if t.mode == "lines"}
    assert set(lines) == {"unknown", "any", "service"}
    assert lines["unknown"].line.color == charts.RELATION_COLORS["unknown"]
    labels = [t for t in fig.data if t.mode == "markers+text"]
    assert set(labels[0].text) == {"deploy", "lambda"}
    assert {"account 999988887777", "* (anyone)", "lambda.amazonaws.com"} == set(labels[1].text)


def test_guardrail_sunburst_colours_by_inherited_guardrails(tmp_path):
    """On the real OrgModel: root r-root > Workloads (ou-work, deny-leave) > Prod (ou-prod)."""
    fig = orgcharts.guardrail_sunburst(org_model(tmp_path), "Guardrails")
    sb = fig.data[0]
    colour = dict(zip(sb.ids, sb.marker.colors, strict=True))
    parents = dict(zip(sb.ids, sb.parents, strict=True))
    assert parents["r-root"] == ""  # the root is a node, so every parent below exists
    assert set(parents.values()) - {""} <= set(sb.ids)
    assert colour["111122223333"] == 1 and parents["111122223333"] == "ou-prod"   # deny-leave via Workloads
    assert colour["444455556666"] == 1 and parents["444455556666"] == "ou-work"
    assert colour["123456789012"] == 0 and parents["123456789012"] == "r-root"    # FullAWSAccess only


def test_sunburst_without_org_evidence_is_unavailable():
    with pytest.raises(charts.TableUnavailable):
        orgcharts.guardrail_sunburst(None, "T")


def test_root_timeline_one_trace_per_action():
    events = pd.DataFrame([
        {"event_time": "2026-10-20T10:00:00Z", "region": "us-east-1", "event_name": "ConsoleLogin",
         "source_ip": "198.51.100.7", "user_agent": "x"},
        {"event_time": "2026-10-21T10:00:00Z", "region": "us-east-1", "event_name": "CreateAccessKey",
         "source_ip": "198.51.100.7", "user_agent": "x"},
    ])
    fig = charts.root_activity_timeline(FakeAccount(root_events=events), 90, "Root activity timeline")
    assert sorted(t.name for t in fig.data) == ["ConsoleLogin", "CreateAccessKey"]
    empty = charts.root_activity_timeline(FakeAccount(root_events=events.iloc[0:0]), 90, "T")
    assert "No root user events" in empty.layout.annotations[0].text


def test_show_chart_turns_missing_evidence_into_a_visible_note(monkeypatch):
    shown = []
    monkeypatch.setattr(nb, "display", lambda obj, raw=False: shown.append(obj))
    nb.show_chart("Access key age distribution", lambda t: charts.access_key_age(NoReport(), 90, t), "reading")
    text = shown[0].data
    assert "Evidence missing" in text and "Access key age distribution" in text
    shown.clear()
    nb.show_chart("Access key age distribution", lambda t: charts.access_key_age(
        FakeAccount(access_keys=keys(5, 10, 20, 100, 200)), 90, t), "How to read it.")
    assert "application/vnd.plotly.v1+json" in shown[0]
    assert "How to read it." in shown[1].data
    shown.clear()  # fewer than five keys: a sentence, no chart
    nb.show_chart("Access key age distribution", lambda t: charts.access_key_age(FakeAccount(access_keys=keys(5)),
                                                                                 90, t), "How to read it.")
    assert "too few data points" in shown[0].data and "5" in shown[0].data


def test_status_by_area_and_counts():
    fs = [finding(), finding("iam.user.console_mfa", area="mfa", resource="arn:aws:iam::1:user/a")]
    fig = charts.status_by_area(fs, "Findings by area and status")
    assert fig.data[0].name == "FAIL"
    counts = nb.status_counts(fs)
    assert counts.set_index("area").loc["all areas", "FAIL"] == 2


def test_scp_chain_frame_names_the_target_of_every_level(tmp_path):
    """Root, each OU down to the account, and the account itself, each with the SCPs attached there."""
    frame = charts.scp_chain_frame(org_model(tmp_path), "111122223333")
    assert list(frame.itertuples(index=False, name=None)) == [
        ("organization root", "r-root", "FullAWSAccess", True),
        ("OU (level 1)", "ou-work", "FullAWSAccess", True), ("OU (level 1)", "ou-work", "deny-leave", False),
        ("OU (level 2)", "ou-prod", "FullAWSAccess", True),
        ("account", "111122223333", "FullAWSAccess", True)]
    with pytest.raises(charts.TableUnavailable):
        charts.scp_chain_frame(None, "111122223333")
