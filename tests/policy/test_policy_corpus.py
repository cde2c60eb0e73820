"""Every policy in the cloudsplaining exports goes through the parser, the evaluator and the trust
analyser; facts checked here were verified by reading the files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from iamkit.policy import (
    allows_full_admin_statement,
    analyze_trust_policy,
    effective_actions,
    escalation_paths_for,
    parse_policy,
)
from iamkit.policy.trust import lacks_confused_deputy_protection


def grants_admin(document) -> bool:  # noqa: ANN001
    """The product's one administrator notion on one document (iamkit.admins.policy_grants_admin)."""
    from iamkit.admins import policy_grants_admin

    return policy_grants_admin(json.loads(document) if isinstance(document, str) else document, "123456789012")

DOCUMENT_KEYS = ("PolicyDocument", "Document", "AssumeRolePolicyDocument")


def walk(node, where=""):
    """Yield (key, location, document) for every embedded policy document."""
    if isinstance(node, dict):
        if "Statement" in node and not where:
            yield "single", "/", node
            return
        for key, value in node.items():
            if key in DOCUMENT_KEYS and value is not None:
                yield key, f"{where}/{key}", value
            else:
                yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{where}[{i}]")


@pytest.fixture(scope="module")
def corpus(shared_data: Path):
    files = sorted((shared_data / "cloudsplaining").glob("*.json"))
    assert len(files) >= 10
    return {f.name: json.loads(f.read_text("utf-8")) for f in files}


@pytest.fixture(scope="module")
def example(corpus):
    return corpus["examples_files_example.json"]


def default_document(policy):
    return next(v["Document"] for v in policy["PolicyVersionList"] if v["IsDefaultVersion"])


def test_every_document_parses_and_analyses(corpus):
    kinds = Counter()
    admin = []
    for name, content in corpus.items():
        for key, where, document in walk(content):
            parsed = parse_policy(document)
            assert parsed.statements, (name, where)
            kinds[key] += 1
            if key == "AssumeRolePolicyDocument":
                for entry in analyze_trust_policy(parsed):
                    assert entry.principal_kind in {"any", "account", "principal", "service", "federated"}
                    lacks_confused_deputy_protection(entry)
            else:
                allowed = effective_actions(parsed)
                escalation_paths_for(allowed)
                if grants_admin(document):
                    admin.append((name, where))
                    # literal "*:*", or full IAM write (IAMFullAccess and the like) that grants itself anything
                    assert allows_full_admin_statement(parsed) or "iam:*" in str(document), (name, where)
    assert sum(kinds.values()) == 272
    assert kinds["single"] == 3
    # 6 in the 84-policy example (see test below); AdministratorAccess and IAMFullAccess in a small export
    assert len(admin) == 9
    assert Counter(name for name, _ in admin) == {
        "examples_files_example.json": 6,
        "test_files_example-authz-details.json": 2,
        "test_files_example_authz_details_for_overrides_complete.json": 1,
    }


def test_admin_equivalent_managed_policies_in_the_example(example):
    admin = {p["PolicyName"] for p in example["Policies"] if grants_admin(default_document(p))}
    assert admin == {
        "AdministratorAccess",
        "fp2-allow-all",
        "privesc-high-priv-service-policy",
        "privesc-AssumeRole-high-priv-policy",
        "IAMFullAccess",  # iam:* grants itself anything (issue 11: do not under-report)
        "privesc-sre-admin-policy",  # iam:*, ec2:*, s3:* on *
    }


def test_known_non_admin_policies_in_the_example(example):
    policies = {p["PolicyName"]: default_document(p) for p in example["Policies"]}
    for name in ("PowerUserAccess", "ReadOnlyAccess", "fn4-exploitableNotAction", "deny-all"):
        assert not grants_admin(policies[name]), name
    # NotAction iam:Update*/Create*/Attach* still leaves iam:PutRolePolicy: an escalation path
    paths = {p.id for p in escalation_paths_for(effective_actions(policies["fn4-exploitableNotAction"]))}
    assert {"iam-005", "iam-007", "lambda-001"} <= paths and "iam-001" not in paths
    assert {p.id for p in escalation_paths_for(effective_actions(policies["ReadOnlyAccess"]))} == set()
    assert "iam-001" in {p.id for p in escalation_paths_for(effective_actions(policies["IAMFullAccess"]))}


def test_trust_policies_in_the_example(example):
    roles = {r["RoleName"]: analyze_trust_policy(r["AssumeRolePolicyDocument"]) for r in example["RoleDetailList"]}
    assert len(roles) == 78
    org = roles["OrganizationAccountAccessRole"]
    assert [(e.principal_kind, e.account_id) for e in org] == [("account", "072528804237")]
    sso = roles["AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc"]
    assert [(e.principal_kind, e.actions) for e in sso] == [("federated", ("sts:AssumeRoleWithSAML", "sts:TagSession"))]
    assert sso[0].provider.endswith(":saml-provider/AWSSSO_b937d2dff24f2774_DO_NOT_DELETE")
    services = {e.service for e in roles["privesc-high-priv-service-role"]}
    assert {"ec2.amazonaws.com", "lambda.amazonaws.com", "codebuild.amazonaws.com"} <= services
    kinds = Counter(e.principal_kind for entries in roles.values() for e in entries)
    assert kinds == {"principal": 45, "service": 38, "federated": 2, "account": 2}
    assert not any(e.restricted_by for entries in roles.values() for e in entries)
