"""Account report content: finding ids, remediation with real values, readable values, merged
issues and rating, small charts said in a sentence."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from iamkit.checks.registry import metadata, registered
from iamkit.findings import AcceptedRisk, Evidence, Severity, Status
from iamkit.report import charts, summary
from iamkit.report.cards import card, condition, controls_label
from iamkit.report.fmt import days, ident, resource_name, when, yes_no
from iamkit.report.ids import finding_ids
from iamkit.report.remediation import Context, templates, variants
from tests.report.fakes import ACCT, finding

PLACEHOLDER = re.compile(r"<[A-Za-z][\w-]*>")
CTX = Context(org_id="o-abc123", management_account_id="999988887777", root_id="r-ab12", in_org=True)


def test_finding_ids_are_per_account_ordered_and_independent_of_input_order():
    fs = [finding("iam.user.console_mfa", area="mfa", resource=f"arn:aws:iam::{ACCT}:user/b"),
          finding("iam.root.mfa_enabled"),
          finding("iam.user.console_mfa", area="mfa", resource=f"arn:aws:iam::{ACCT}:user/a"),
          finding("iam.root.mfa_enabled", status=Status.PASS, resource="x"),
          finding("iam.root.mfa_enabled", account="444455556666")]
    ids = finding_ids(fs)
    assert ids == finding_ids(list(reversed(fs)))
    assert ids[fs[1].key] == f"F-{ACCT}-001"  # root area comes first
    assert ids[fs[2].key] == f"F-{ACCT}-002" and ids[fs[0].key] == f"F-{ACCT}-003"
    assert ids[fs[4].key] == "F-444455556666-001"
    assert fs[3].key not in ids  # only failing findings get an id


def test_every_check_has_remediation_without_placeholders_or_markdown():
    assert set(registered()) <= set(templates())
    for cid in registered():
        meta = metadata()[cid]
        f = finding(cid, area=meta.area, detail="created 2026-02-04 in eu-west-1: arn:aws:iam::444455556666:root, "
                    "no MFA device, attached to 2 principal(s): user carol.ops, group Admins.")
        vs = variants(f, CTX)
        assert vs, cid
        for v in vs:
            text = f"{v.label}\n{v.console}\n{v.cli}"
            assert "`" not in text, (cid, text)
            assert not PLACEHOLDER.search(text), (cid, PLACEHOLDER.search(text))
            assert not re.search(r"\{[a-z_]+\}", text), (cid, text)


def test_remediation_fills_in_the_real_values():
    key = finding("iam.access_key.rotated", area="rotation", resource=f"arn:aws:iam::{ACCT}:user/dana#access_key_1",
                  detail="Access key 1 of dana is active and 300 days old (created or rotated 2026-02-04; limit 90).")
    cli = "\n".join(v.cli for v in variants(key, CTX))
    assert "--user-name dana" in cli and "2026-02-04" in cli
    admin = finding("iam.policy.full_admin_attached", area="privilege",
                    resource="arn:aws:iam::aws:policy/AdministratorAccess",
                    detail="Policy AdministratorAccess has an Allow '*' on '*' statement and is attached to 2 "
                           "principal(s): user carol.ops, group Admins.")
    cli = variants(admin, CTX)[0].cli
    assert ("aws iam detach-user-policy --user-name carol.ops --policy-arn "
            "arn:aws:iam::aws:policy/AdministratorAccess") in cli
    assert "aws iam detach-group-policy --group-name Admins --policy-arn" in cli
    scp = finding("org.scp.enabled", area="scp")
    assert "--root-id r-ab12" in variants(scp, CTX)[0].cli
    member = finding("org.root.centralized_management")
    cli = variants(member, CTX)[0].cli
    assert f"--target-principal {ACCT}" in cli and "999988887777" in cli


def test_root_hardware_mfa_variants_depend_on_the_situation():
    none = finding("iam.root.hardware_mfa", detail="The root user has no MFA device at all, hence no hardware MFA.")
    virtual = finding("iam.root.hardware_mfa", detail="The root user's MFA is a virtual device (arn).")
    assert [v.label for v in variants(none, CTX)] == ["The root user has no MFA at all"]
    assert [v.label for v in variants(virtual, CTX)] == ["The root user has a virtual MFA device"]


def test_card_shows_id_resource_evidence_link_accepted_risk_and_no_credential_report_caveat(tmp_path):
    ev_dir = tmp_path / "evidence"
    (ev_dir / ACCT / "iam").mkdir(parents=True)
    (ev_dir / ACCT / "iam" / "credential_report.csv").write_text("x")
    report_dir = tmp_path / "accounts" / ACCT
    report_dir.mkdir(parents=True)
    f = finding("iam.user.console_mfa", area="mfa", severity=Severity.medium,
                resource=f"arn:aws:iam::{ACCT}:user/frank",
                detail="User frank has a console password but no MFA device. The credential report was generated "
                       "0 min before collection (2026-12-01 00:00 UTC); AWS serves a cached report.")
    f = f.model_copy(update={"evidence": [Evidence(file=f"{ACCT}/iam/credential_report.csv", locator="user=frank",
                                                    sha256="ab" * 32)],
                             "exception": AcceptedRisk(reason="<legacy>", owner="sec@x", expires="2027-01-31")})
    html = card(f, f"F-{ACCT}-004", CTX, evidence_dir=ev_dir, report_dir=report_dir)
    assert f'id="f-{ACCT}-004"' in html and f"F-{ACCT}-004" in html
    assert "<strong>frank</strong>" in html and "user/<wbr>frank" in html
    assert f'href="../../evidence/{ACCT}/iam/credential_report.csv"' in html and "sha256 abababababab" in html
    assert "accepted by sec@x until 31 Jan 2027: &lt;legacy&gt;" in html
    assert "credential report was generated" not in html
    assert condition(f) == "User frank has a console password but no MFA device."
    assert controls_label([]) == "iamkit best practice"
    policy = finding("iam.password_policy.min_length", area="passwords")
    assert summary.subject(policy) == f"account {ACCT}" and summary.subject(finding()) == f"root user of {ACCT}"
    assert controls_label(["CIS-AWS-7.0:2.10", "AWS-FSBP:IAM.5"]) == "CIS 7.0 2.10, FSBP IAM.5"


def test_identifiers_wrap_only_after_separators_and_values_read_well():
    arn = "arn:aws:iam::345678901234:role/unknown-xacct"
    assert ident(arn).replace("<wbr>", "") == arn
    assert all(part[-1] in ":/.#,=_-" for part in ident(arn).split("<wbr>")[:-1])
    assert "<wbr>" not in ident("345678901234")
    assert ident("<x>") == "&lt;x&gt;"
    assert resource_name(f"arn:aws:iam::{ACCT}:user/dana#access_key_2") == "access key 2 of dana"
    assert resource_name(f"arn:aws:iam::{ACCT}:root") == f"root user of {ACCT}"
    assert resource_name("arn:aws:s3:::bucket-a") == "bucket-a"
    assert when("2026-11-30T23:02:10Z") == "30 Nov 2026 23:02 UTC"
    assert (yes_no(True), yes_no("false"), days(300), days(1)) == ("Yes", "No", "300 days", "1 day")


def test_related_findings_merge_into_one_issue_and_rating_follows_the_worst_open_issue():
    fs = [finding("iam.root.mfa_enabled"), finding("iam.root.hardware_mfa"),
          finding("iam.password_policy.min_length", area="passwords", severity=Severity.medium),
          finding("iam.password_policy.expiry", area="passwords", severity=Severity.low)]
    items = summary.issues(fs)
    assert [i.key for i in items] == ["root_mfa", "passwords"]
    assert summary.issue_counts(items)["critical"] == 1 and summary.issue_counts(items)["medium"] == 1
    assert summary.rating(fs).label == "Unsatisfactory"
    assert summary.rating(fs[2:]).label == "Needs improvement"
    assert summary.rating(fs[3:]).label == "Satisfactory with observations"
    assert summary.rating([finding(status=Status.PASS)]).label == "Satisfactory"
    assert summary.rating([finding(status=Status.ERROR)]).label == "Not fully assessed"
    accepted = fs[0].model_copy(update={"exception": AcceptedRisk(reason="r", owner="o", expires="2030-01-01")})
    assert summary.rating([accepted]).label == "Satisfactory"  # accepted risk: decided, shown on its card


@pytest.mark.parametrize("values, drawn", [([1, 2], False), ([1, 1, 1, 1], False), ([1, 1, 1, 1, 1], True)])
def test_charts_with_fewer_than_five_points_become_a_sentence(values, drawn):
    fig = go.Figure()
    fig.add_bar(x=[f"c{i}" for i in range(len(values))], y=values)
    assert (charts.data_points(fig) >= charts.MIN_POINTS) is drawn
    assert charts.describe(fig).startswith("c0: 1")


def test_failures_by_area_counts_only_failures_with_whole_number_axis():
    fs = [finding(severity=Severity.critical), finding("iam.user.console_mfa", area="mfa", severity=Severity.medium),
          finding(status=Status.PASS, resource="x")]
    fig = charts.failures_by_area(fs, "t")
    assert sum(sum(t.x) for t in fig.data) == 2
    assert fig.layout.xaxis.tickformat == "d"
