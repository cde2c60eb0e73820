"""Privilege escalation and effective administrators on cloudsplaining's deliberately vulnerable account
(``shared/data/cloudsplaining/examples_files_example.json``): every privesc1..privesc21 principal and the
fn1..fn4 traps (partial method with PassRole elsewhere, exploitable resource constraint, condition that can
hold, NotAction) are flagged; the fp1..fp5 traps (allow and deny in one policy or two, deny iam:*, a resource
that cannot be changed, a condition that cannot hold) are not. Decided through the evaluator."""

from __future__ import annotations

import re

import pytest

from iamkit.authz import EvidenceIndex
from iamkit.evidence import load_bundles
from iamkit.offline import import_export
from iamkit.principals import analyze_account


@pytest.fixture(scope="module")
def reports(shared_data, tmp_path_factory):
    path = import_export(shared_data / "cloudsplaining" / "examples_files_example.json",
                         out=tmp_path_factory.mktemp("export"))
    bundles, org = load_bundles([path])
    found = analyze_account(EvidenceIndex(bundles, org), bundles[0].account_id)
    return {r.arn.rsplit("/", 1)[-1]: r for r in found}


EXPECTED = {  # principal name prefix -> a method it must be flagged with
    "privesc1-": "iam-001", "privesc2-": "iamkit-001", "privesc3-": "ec2-001", "privesc4-": "iam-002",
    "privesc5-": "iam-004", "privesc6-": "iam-006", "privesc7-": "iam-008", "privesc8-": "iam-010",
    "privesc9-": "iam-009", "privesc10-": "iam-007", "privesc11-": "iam-011", "privesc12-": "iam-005",
    "privesc13-": "iam-013", "privesc14-": "iam-012", "privesc15-": "lambda-001", "privesc16-": "lambda-002",
    "privesc17-": "lambda-003", "privesc18-": "glue-001", "privesc19-": "glue-002", "privesc20-": "cloudformation-001",
    "privesc21-": "datapipeline-001", "fn1-": "ec2-001", "fn2-": "iam-001", "fn3-": "iam-001", "fn4-": None,
}


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
@pytest.mark.parametrize("kind", ["user", "role"])
def test_vulnerable_principals_are_flagged_with_their_method(reports, prefix, kind):
    name = next(n for n in reports if n.startswith(prefix) and n.endswith(f"-{kind}"))
    methods = {m.path.id for m in reports[name].methods}
    assert methods, name
    if EXPECTED[prefix]:
        assert EXPECTED[prefix] in methods, (name, methods)


@pytest.mark.parametrize("prefix", ["fp1-", "fp2-", "fp3-", "fp4-", "fp5-"])
@pytest.mark.parametrize("kind", ["user", "role"])
def test_false_positive_traps_are_not_flagged(reports, prefix, kind):
    name = next(n for n in reports if n.startswith(prefix) and n.endswith(f"-{kind}"))
    r = reports[name]
    assert not r.methods and not r.admin and not r.chain, name


def test_methods_name_the_granting_statement_and_target(reports):
    fn2 = reports["fn2-exploitableResourceConstraint-user"]
    method = next(m for m in fn2.methods if m.path.id == "iam-001")
    action, resource, refs = method.grants[0]
    assert action == "iam:CreatePolicyVersion" and re.search(r":policy/fn2-", resource)
    assert refs[0].policy == "fn2-exploitableResourceConstraint" and refs[0].index == 1
    fn3 = reports["fn3-exploitableConditionConstraint-user"]  # aws:TokenIssueTime of credentials issued now
    assert any(m.path.id == "iam-001" for m in fn3.methods)


def test_effective_admins_and_role_chain(reports):
    assert reports["OrganizationAccountAccessRole"].admin
    assert reports["privesc-AssumeRole-ending-role"].admin
    assert not reports["fp2-allow-and-deny-multiple-policies-user"].admin  # Allow * and Deny * in two policies
    # starting-role -> intermediate-role -> ending-role (admin): the chain reaches a principal that escalates
    assert reports["privesc-AssumeRole-starting-role"].chain == (
        "arn:aws:iam::200611803367:role/privesc-AssumeRole-intermediate-role",)
    assert {m.path.id for m in reports["privesc-AssumeRole-intermediate-role"].methods} == {"sts-001"}


def test_principals_command(shared_data, tmp_path, capsys):
    """``iamkit principals EVIDENCE_DIR --json``: one record per user and role of the account."""
    import json

    from iamkit.cli import main

    import_export(shared_data / "cloudsplaining" / "examples_files_example.json", out=tmp_path)
    assert main(["principals", str(tmp_path / "evidence"), "--json"]) == 0
    records = {r["arn"].rsplit("/", 1)[-1]: r for r in json.loads(capsys.readouterr().out)}
    assert records["privesc4-CreateAccessKey-user"]["admin_via"] == "escalation"
    assert records["privesc4-CreateAccessKey-user"]["escalation"][0]["method"] == "iam-002"
    assert records["OrganizationAccountAccessRole"]["admin"] is True
    assert records["OrganizationAccountAccessRole"]["admin_via"] == "direct"
    assert records["privesc-sre-user"]["admin_via"] == "group privesc-sre-group"  # admin only through its group
    assert records["OrganizationAccountAccessRole"]["assumable_by"] == ["AWS:arn:aws:iam::072528804237:root"]
    assert records["fp1-allow-and-deny-user"]["admin_via"] is None
    # cross-account reach: another account's root may assume this administrator role
    assert records["OrganizationAccountAccessRole"]["external_reach"] == ["AWS:arn:aws:iam::072528804237:root"]
    assert records["OrganizationAccountAccessRole"]["admin_from_outside"] is True
    assert records["privesc-permissive-role-trust"]["external_reach"] == []  # trusts its own account only
    assert records["fn1-privesc3-partial-role"]["external_reach"] == []  # a session of the same account
    assert records["privesc-AssumeRole-starting-role"]["admin_via"] == "role chain"
    assert main(["principals", str(tmp_path / "nowhere")]) == 2
