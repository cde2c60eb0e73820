"""Notebook 06's least-privilege tables and charts (iamkit.report.leastpriv): effective administrators with why,
the escalation graph, wildcard-heavy policies by access level, and permissions boundaries in use, on a
bundle built in code. They call what the checks call, so they agree with the findings."""

from __future__ import annotations

import pytest

from iamkit.evidence import Bundle
from iamkit.model import AccountModel
from iamkit.report import leastpriv
from iamkit.report.charts import data_points
from iamkit.report.nb import AccountView
from iamkit.settings import load_settings
from tests.checks.helpers import ACCT, allow, gaad, group, managed, role, user, write_bundle

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
NO_IAM = f"arn:aws:iam::{ACCT}:policy/no-iam"
B_S3 = f"arn:aws:iam::{ACCT}:policy/s3-only"
READ = f"arn:aws:iam::{ACCT}:policy/read-s3"
ACCOUNT_TRUST = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "sts:AssumeRole"}
DENY_IAM = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}


def _view(tmp_path, users=(), groups=(), roles=(), policies=()):  # noqa: ANN001, ANN202
    path = write_bundle(tmp_path, {"iam/authorization_details.json": gaad(users, groups, roles, policies)})
    b = Bundle(path)
    return AccountView(bundle=b, model=AccountModel(b), settings=load_settings(), findings=[])


@pytest.fixture
def view(tmp_path):
    capped = {**user("cap", attached=[ADMIN]),
              "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": B_S3}}
    return _view(
        tmp_path,
        users=[user("ann", groups=["admins"]), user("den", attached=[ADMIN, NO_IAM]), capped,
               user("pat", inline={"pass": allow(["iam:PassRole", "ec2:RunInstances"])}), user("rea", attached=[READ])],
        groups=[group("admins", attached=[ADMIN])],
        roles=[role("boss", ACCOUNT_TRUST, attached=[ADMIN]),
               role("hop", ACCOUNT_TRUST, inline={"a": allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/boss")}),
               role("ec2", {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole"}, attached=[ADMIN])],
        policies=[managed(ADMIN, allow()), managed(NO_IAM, DENY_IAM), managed(B_S3, allow("s3:*")),
                  managed(READ, allow(["s3:Get*", "s3:List*"]))])


def test_admins_frame_says_who_and_why(view):
    df = leastpriv.admins_frame(view).set_index("principal")
    assert set(df.index[df["admin"]]) == {"ann", "boss", "ec2"}
    assert df.loc["ann", "how"] == "group admins"
    assert df.loc["ann", "granted_by"] == "AdministratorAccess (group admins)"
    assert not df.loc["den", "admin"] and "no-iam" in df.loc["den", "cut_by"]  # a Deny in another policy
    assert not df.loc["cap", "admin"] and df.loc["cap", "boundary"] == "s3-only"
    assert "boundary" in df.loc["cap", "cut_by"]
    assert "rea" not in df.index and "pat" not in df.index  # neither admin nor admin-looking: not listed
    assert list(df["admin"]) == sorted(df["admin"], reverse=True)  # administrators first
    assert df.loc["ann", "scp"] == "not in evidence"  # no organization bundle: the SCPs are unknown, said so


def test_escalation_frame_and_graph(view):
    df = leastpriv.escalation_frame(view)
    hop = df[df["principal"] == f"arn:aws:iam::{ACCT}:role/hop"]
    assert list(hop["gained"]) == [f"arn:aws:iam::{ACCT}:role/boss"]  # one assumption away from an admin
    pat = df[df["principal"] == f"arn:aws:iam::{ACCT}:user/pat"]
    assert f"arn:aws:iam::{ACCT}:role/ec2" in set(pat["gained"])  # passes the admin role to a new instance
    assert any(m.startswith("ec2-") for m in pat["method"])
    assert not df["principal"].str.endswith(("user/ann", "role/boss", "user/rea")).any()  # admins, readers: none
    fig = leastpriv.escalation_graph(view, "Escalation paths", df)
    labels = set(fig.data[-1].text)
    assert f"{ACCT}:role/boss (admin)" in labels and f"{ACCT}:user/pat" in labels and data_points(fig) > 0
    assert fig.layout.title.text == "Escalation paths"


def test_escalation_graph_without_paths_says_so(tmp_path):
    v = _view(tmp_path, users=[user("rea", attached=[READ])], policies=[managed(READ, allow(["s3:Get*"]))])
    assert leastpriv.escalation_frame(v).empty
    fig = leastpriv.escalation_graph(v, "Escalation paths")
    assert fig.layout.annotations[0].text == "No principal of the account can escalate its privileges"


def test_wildcard_frame_counts_by_access_level(view):
    df = leastpriv.wildcard_frame(view).set_index("policy")
    assert df.index[0] == "AdministratorAccess"  # '*' allows every catalogued action: the most
    read = df.loc["read-s3"]
    assert read["Write"] == 0 and read["Permissions management"] == 0 and read["Read"] > 0 and read["List"] > 0
    assert read["actions"] == sum(read[lvl] for lvl in leastpriv.ACCESS_LEVELS)
    assert "no-iam" not in df.index  # a Deny allows nothing
    assert "s3-only" not in df.index  # a boundary only, attached to nobody: not a grant
    assert "pass (inline, user pat)" not in df.index  # no wildcard
    fig = leastpriv.wildcard_chart(view, "Wildcards")
    assert [t.name for t in fig.data] == list(leastpriv.ACCESS_LEVELS) and fig.layout.barmode == "stack"


def test_boundaries_in_use(view):
    df = leastpriv.boundaries_frame(view)
    assert df.to_dict("records") == [{"boundary": "s3-only", "principals": "user cap", "count": 1,
                                      "admin_capped": "cap"}]
