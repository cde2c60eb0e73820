"""Identity Center checks at their boundaries, on bundles built in code."""

from __future__ import annotations

import pytest

from iamkit.checks import assess_account
from iamkit.evidence import Bundle
from iamkit.settings import load_settings
from tests.checks.helpers import allow, managed, write_bundle
from tests.identity_center_fixtures import (
    ADMIN_ARN,
    MGMT,
    A,
    admin_policy,
    identity_center,
    ps,
    ps_arn,
    write_account,
    write_org,
)

SSO = ("sso.assignment.management_account", "sso.permission_set.admin", "sso.permission_set.privilege_escalation",
       "sso.assignment.direct_user", "sso.permission_set.session_duration", "sso.permission_set.inline_wildcards",
       "sso.group.empty_or_orphaned")


def _run(tmp_path, account, ic_files, *, settings=None, errors=(), policies=None):
    org = write_org(tmp_path, ic_files, errors=list(errors))
    acct = write_account(tmp_path, account, policies=[admin_policy()] if policies is None else policies)
    found = assess_account(Bundle(acct), load_settings(**(settings or {})), Bundle(org))
    return [f for f in found if f.check_id.startswith("sso.")]


def _by(found, check_id):
    return {f.resource_arn: f for f in found if f.check_id == check_id}


@pytest.mark.parametrize(("duration", "status"), [("PT7H59M", "PASS"), ("PT8H", "PASS"), ("PT8H1M", "FAIL"),
                                                  ("PT28800S", "PASS"), ("PT28801S", "FAIL"), ("PT12H", "FAIL"),
                                                  (None, "PASS"), ("eight hours", "ERROR")])
def test_session_duration_boundaries(tmp_path, duration, status):
    files = identity_center([ps("S", session=duration)], [])
    f = _by(_run(tmp_path, MGMT, files), "sso.permission_set.session_duration")[ps_arn("S")]
    assert f.status.value == status, f.detail


def test_session_limit_is_a_parameter(tmp_path):
    files = identity_center([ps("S", session="PT4H")], [])
    found = _run(tmp_path, MGMT, files, settings={"thresholds": {"sso_max_session_hours": 3.5}})
    assert _by(found, "sso.permission_set.session_duration")[ps_arn("S")].status.value == "FAIL"


def test_permission_set_findings_only_in_the_instance_account(tmp_path):
    files = identity_center([ps("S", session="PT12H", inline=allow("*", "*"))], [])
    found = _run(tmp_path, A, files)
    assert not [f for f in found if f.check_id in ("sso.permission_set.session_duration",
                                                    "sso.permission_set.inline_wildcards")]


WILD = [
    (allow("*", "*"), "FAIL"),
    (allow("s3:*", "*"), "FAIL"),
    (allow("s3:*", "arn:aws:s3:::bucket/*"), "PASS"),         # one bucket, not every resource
    (allow("s3:Get*", "*"), "PASS"),                          # a partial wildcard is not a whole service
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}, "FAIL"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "NotResource": "arn:x"}]}, "FAIL"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}, "PASS"),
    (None, "PASS"),
    ("{not json", "ERROR"),
]


@pytest.mark.parametrize(("inline", "status"), WILD)
def test_inline_wildcards(tmp_path, inline, status):
    files = identity_center([ps("W", inline=inline)], [])
    f = _by(_run(tmp_path, MGMT, files), "sso.permission_set.inline_wildcards")[ps_arn("W")]
    assert f.status.value == status, f.detail


def test_management_account_allows_only_the_break_glass_group(tmp_path):
    files = identity_center([ps("Admin", managed_arns=[ADMIN_ARN], accounts=[MGMT])],
                            [(MGMT, "Admin", "GROUP", "BreakGlass"), (MGMT, "Admin", "GROUP", "Admins"),
                             (MGMT, "Admin", "USER", "gus"), (MGMT, "Admin", "GROUP", "deleted:g-old")],
                            users=["frank", "alice", "gus"], groups={"BreakGlass": ["frank"], "Admins": ["alice"]})
    found = _by(_run(tmp_path, MGMT, files, settings={"sso_break_glass_groups": ["BreakGlass"]}),
                "sso.assignment.management_account")
    status = {arn.rsplit("/", 1)[-1]: f.status.value for arn, f in found.items()}
    assert status == {"g-BreakGlass": "PASS", "g-Admins": "FAIL", "u-gus": "FAIL", "g-old": "FAIL"}
    assert "Frank" in found["arn:aws:identitystore:::group/g-BreakGlass"].detail
    # without a named break-glass group, every principal on the management account fails
    found = _by(_run(tmp_path / "none", MGMT, files), "sso.assignment.management_account")
    assert {f.status.value for f in found.values()} == {"FAIL"}


def test_management_account_check_is_silent_elsewhere_and_passes_when_unreached(tmp_path):
    files = identity_center([ps("Admin", managed_arns=[ADMIN_ARN], accounts=[A])], [(A, "Admin", "USER", "gus")],
                            users=["gus"])
    assert not _by(_run(tmp_path, A, files), "sso.assignment.management_account")
    f = _by(_run(tmp_path / "m", MGMT, files), "sso.assignment.management_account")
    assert [x.status.value for x in f.values()] == ["PASS"]


def test_admin_and_escalation_per_account(tmp_path):
    ops = managed(f"arn:aws:iam::{A}:policy/Lambda", allow(["iam:PassRole", "lambda:CreateFunction",
                                                             "lambda:InvokeFunction"], "*"))
    files = identity_center([ps("Admin", managed_arns=[ADMIN_ARN], accounts=[A]),
                             ps("Dev", refs=["Lambda"], accounts=[A]),
                             ps("Read", inline=allow(["s3:GetObject"], "*"), accounts=[A])],
                            [(A, "Admin", "GROUP", "admins"), (A, "Dev", "GROUP", "devs"),
                             (A, "Read", "GROUP", "devs")],
                            users=["alice", "bob", "carol"], groups={"admins": ["alice"], "devs": ["bob", "carol"]})
    found = _run(tmp_path, A, files, policies=[admin_policy(), ops])
    admin = {a: f.status.value for a, f in _by(found, "sso.permission_set.admin").items()}
    esc = {a: f.status.value for a, f in _by(found, "sso.permission_set.privilege_escalation").items()}
    assert admin == {ps_arn("Admin"): "FAIL", ps_arn("Dev"): "PASS", ps_arn("Read"): "PASS"}
    assert esc == {ps_arn("Admin"): "NOT_APPLICABLE", ps_arn("Dev"): "FAIL", ps_arn("Read"): "PASS"}
    dev = _by(found, "sso.permission_set.privilege_escalation")[ps_arn("Dev")]
    assert "lambda-001" in dev.detail and "2 people" in dev.detail
    assert "1 person (Alice)" in _by(found, "sso.permission_set.admin")[ps_arn("Admin")].detail


def test_unresolvable_reference_is_an_error_not_a_pass(tmp_path):
    files = identity_center([ps("Dev", refs=["NotHere"], accounts=[A])], [(A, "Dev", "USER", "bob")], users=["bob"])
    found = _run(tmp_path, A, files)
    for check_id in ("sso.permission_set.admin", "sso.permission_set.privilege_escalation"):
        f = _by(found, check_id)[ps_arn("Dev")]
        assert f.status.value == "ERROR" and "NotHere" in f.detail


def test_direct_users_and_empty_or_deleted_principals(tmp_path):
    files = identity_center([ps("R", inline=allow(["s3:GetObject"], "*"), accounts=[A])],
                            [(A, "R", "USER", "gus"), (A, "R", "GROUP", "empty"), (A, "R", "GROUP", "team"),
                             (A, "R", "USER", "deleted:u-gone")],
                            users=["gus", "ann"], groups={"empty": [], "team": ["ann"]})
    found = _run(tmp_path, A, files)
    direct = {a.rsplit("/", 1)[-1]: f.status.value for a, f in _by(found, "sso.assignment.direct_user").items()}
    assert direct == {"u-gus": "FAIL", "u-gone": "FAIL"}
    empty = {a.rsplit("/", 1)[-1]: f.status.value for a, f in _by(found, "sso.group.empty_or_orphaned").items()}
    assert empty == {"g-empty": "FAIL", "g-team": "PASS", "u-gone": "FAIL"}


def test_group_only_account_passes_direct_user_on_the_account(tmp_path):
    files = identity_center([ps("R", accounts=[A], inline=allow(["s3:GetObject"], "*"))], [(A, "R", "GROUP", "t")],
                            users=["ann"], groups={"t": ["ann"]})
    found = _by(_run(tmp_path, A, files), "sso.assignment.direct_user")
    assert [(a, f.status.value) for a, f in found.items()] == [(f"arn:aws:iam::{A}:root", "PASS")]


def test_no_instance_is_not_applicable_never_pass(tmp_path):
    files = identity_center([], [])
    files["identity_center/instances.json"] = {"Region": "eu-west-1", "Instances": []}
    for account in (MGMT, A):
        found = _run(tmp_path / account, account, files)
        assert {f.check_id for f in found} == set(SSO) - {"sso.permission_set.session_duration",
                                                          "sso.permission_set.inline_wildcards"}
        assert {f.status.value for f in found} == {"NOT_APPLICABLE"}
        assert all("No Identity Center instance" in f.detail and "eu-west-1" in f.detail for f in found)


def test_account_without_assignments_is_not_applicable(tmp_path):
    files = identity_center([ps("R", accounts=[MGMT])], [(MGMT, "R", "USER", "gus")], users=["gus"])
    found = [f for f in _run(tmp_path, A, files) if f.check_id not in ("sso.assignment.management_account",)]
    assert found and {f.status.value for f in found} == {"NOT_APPLICABLE"}


def test_denied_calls_make_every_dependent_check_an_error(tmp_path):
    files = identity_center([ps("R", accounts=[A])], [(A, "R", "USER", "gus")], users=["gus"])
    del files["identity_center/permission_sets.json"], files["identity_center/assignments.json"]
    errors = [{"collector": "identity_center", "operation": "ListPermissionSets", "code": "AccessDeniedException",
               "message": "not authorized", "file": f"identity_center/{n}.json"} for n in ("permission_sets",
                                                                                          "assignments")]
    for account in (MGMT, A):
        found = _run(tmp_path / account, account, files, errors=errors)
        assert found and {f.status.value for f in found} == {"ERROR"}, [(f.check_id, f.status) for f in found]
        assert all("AccessDeniedException" in f.detail for f in found)


def test_without_the_organization_bundle(tmp_path):
    member = write_bundle(tmp_path / "m" / A, {"iam/organizations_features.json": {"OrganizationId": "o-1",
                                                                                   "EnabledFeatures": []}},
                          account_id=A)
    found = [f for f in assess_account(Bundle(member), load_settings()) if f.check_id.startswith("sso.")]
    assert found and {f.status.value for f in found} == {"ERROR"}
    standalone = write_bundle(tmp_path / "s" / A, {}, account_id=A, errors=[{
        "collector": "iam", "operation": "ListOrganizationsFeatures", "code": "AWSOrganizationsNotInUseException",
        "message": "no org", "file": "iam/organizations_features.json"}])
    found = [f for f in assess_account(Bundle(standalone), load_settings()) if f.check_id.startswith("sso.")]
    assert found and {f.status.value for f in found} == {"NOT_APPLICABLE"}


@pytest.mark.parametrize("hours", [0, 12.5, "eight"])
def test_session_limit_out_of_range_is_bad_input(hours):
    from iamkit.errors import BadInputError

    with pytest.raises(BadInputError, match="sso_max_session_hours"):
        load_settings(thresholds={"sso_max_session_hours": hours})
