"""Ground truth: assess the demo organization and require exactly the findings the scenario states.

``iamkit/demo/scenario.yaml`` attaches ``expect: {<check_id>[@<region>]: <STATUS>}`` to seeded resources.
Where the map sits gives the resource identity (common brief, "Demo scenario expectations"):
account -> root ARN; ``root`` -> root ARN; user -> user ARN; ``access_keys[i]`` -> ``<user arn>#access_key_<i+1>``;
``password`` -> ``<user arn>#password``; roles/groups/policies/server_certificates -> their ARN; an item
with a ``resource`` (an Access Analyzer finding) -> that resource; an item with an ``arn`` -> that ARN.

The IAM Identity Center part (``organization.identity_center``) names its resources; their ids and ARNs
are drawn by the stand-in, so :func:`sso_expectations` resolves the names through the collected
organization bundle (``permission_sets[].expect`` -> the permission set ARN in the instance's account;
``assignments[].expect`` -> the permission set ARN for ``sso.permission_set.*``, else the principal's
Identity Store ARN, in the assigned account).

Recall: every expected (check, account, resource, region) has a finding with that status.
Precision: every FAIL of the whole demo is expected.
"""

from __future__ import annotations

from typing import Any

import pytest

from iamkit.checks import assess
from iamkit.evidence import load_bundles
from iamkit.settings import load_settings
from tests.e2e.demo_evidence import collect_seeded_demo

pytestmark = pytest.mark.slow

Key = tuple[str, str, str, str]  # check_id, account_id, resource_arn, region
ARN_KIND = {"roles": "role", "groups": "group", "policies": "policy", "server_certificates": "server-certificate",
            "users": "user", "aws_managed_policies": "aws-policy"}


def _split(check: str) -> tuple[str, str]:
    check_id, _, region = check.partition("@")
    return check_id, region or "global"


def _arn(account: str, kind: str, item: dict[str, Any]) -> str:
    if item.get("arn"):
        return str(item["arn"])
    path = item.get("path", "/")
    if kind == "aws_managed_policies":
        return f"arn:aws:iam::aws:policy{path}{item['name']}"
    return f"arn:aws:iam::{account}:{ARN_KIND[kind]}{path}{item['name']}"


def _walk(node: Any, account: str | None, resource: str | None, kind: str | None,
          out: dict[Key, str], where: str, region: str = "global") -> None:
    """Collect expectations below ``node``; ``resource`` is the identity an ``expect`` here refers to."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            res = resource
            if isinstance(item, dict):
                if kind in ARN_KIND:
                    res = _arn(account or "", kind, item)
                elif kind == "access_keys":
                    res = f"{resource}#access_key_{i + 1}"
                elif kind == "accounts":
                    account = str(item["id"])
                    res = f"arn:aws:iam::{account}:root"
                if item.get("resource"):
                    res = str(item["resource"])
                elif item.get("arn") and kind not in ARN_KIND:
                    res = str(item["arn"])
            _walk(item, account, res, None, out, f"{where}[{i}]", region)
        return
    if not isinstance(node, dict):
        return
    for check, status in (node.get("expect") or {}).items():
        if resource is None or account is None:
            raise AssertionError(f"{where}: cannot tell which resource 'expect' refers to")
        check_id, at = _split(check)
        out[(check_id, account, resource, at if at != "global" else region)] = str(status)
    for key, value in node.items():
        if key in ("expect", "identity_center"):  # identity_center: see sso_expectations
            continue
        if key == "root" and account:
            _walk(value, account, f"arn:aws:iam::{account}:root", None, out, f"{where}.root", region)
        elif key == "password" and isinstance(value, dict):
            _walk(value, account, f"{resource}#password", None, out, f"{where}.password", region)
        elif key == "access_analyzer" and isinstance(value, dict):
            for reg, analyzers in value.items():  # {<region>: [analyzer {findings: [...]}]}
                _walk(analyzers, account, resource, None, out, f"{where}.access_analyzer.{reg}", str(reg))
        elif isinstance(value, list):
            _walk(value, account, resource, key, out, f"{where}.{key}", region)
        elif isinstance(value, dict):
            _walk(value, account, resource, None, out, f"{where}.{key}", region)


def sso_expectations(scenario: dict[str, Any], names: dict[tuple[str, str], str]) -> dict[Key, str]:
    """Expectations of ``organization.identity_center``; ``names`` maps (``ps``|``group``|``user``, name) to
    the ARN the evidence gives it."""
    spec = scenario["organization"].get("identity_center") or {}
    home = scenario["organization"]["management_account"]
    out: dict[Key, str] = {}
    for ps in spec.get("permission_sets", []):
        for check, status in (ps.get("expect") or {}).items():
            out[(check, home, names[("ps", ps["name"])], "global")] = str(status)
    for a in spec.get("assignments", []):
        principal = names[("group", a["group"])] if a.get("group") else names[("user", a["user"])]
        for check, status in (a.get("expect") or {}).items():
            res = names[("ps", a["permission_set"])] if check.startswith("sso.permission_set.") else principal
            out[(check, str(a["account"]), res, "global")] = str(status)
    return out


def sso_names(org_bundle: Any, scenario: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(kind, name) -> ARN from the organization bundle; deleted users from the seeding's own record."""
    from iamkit.identity_center import IdentityCenter

    ic = IdentityCenter(org_bundle)
    names = {("ps", n): a for n, a in zip(ic.permission_sets["name"], ic.permission_sets["arn"], strict=True)}
    names.update({("group", n): a for n, a in zip(ic.groups["group_name"], ic.groups["arn"], strict=True)})
    names.update({("user", n): a for n, a in zip(ic.users["user_name"], ic.users["arn"], strict=True)})
    orphans = sorted(set(ic.assignments.loc[ic.assignments["orphaned"], "principal_arn"]))
    deleted = [u["name"] for u in scenario["organization"]["identity_center"]["users"] if u.get("deleted")]
    assert len(orphans) == len(deleted) == 1, (orphans, deleted)
    names[("user", deleted[0])] = orphans[0]
    return names


def expectations(scenario: dict[str, Any], names: dict[tuple[str, str], str] | None = None) -> dict[Key, str]:
    out: dict[Key, str] = {}
    _walk(scenario, None, None, None, out, "scenario")
    if names is not None:
        out.update(sso_expectations(scenario, names))
    return out


def test_resolution_rules():
    scenario = {"accounts": [{"id": "111122223333", "expect": {"org.scp.enabled": "PASS",
                                                               "accessanalyzer.enabled_all_regions@eu-west-1": "FAIL"},
                              "root": {"expect": {"iam.root.mfa_enabled": "FAIL"}},
                              "users": [{"name": "a", "path": "/ops/", "expect": {"iam.user.console_mfa": "PASS"},
                                         "password": {"expect": {"iam.credentials.unused": "FAIL"}},
                                         "access_keys": [{"expect": {"iam.access_key.rotated": "PASS"}},
                                                         {"expect": {"iam.access_key.rotated": "FAIL"}}]}],
                              "roles": [{"name": "r", "expect": {"iam.role.trust_any_principal": "FAIL"}}],
                              "access_analyzer": {"us-east-1": [{"name": "x", "findings": [
                                  {"resource": "arn:aws:s3:::b",
                                   "expect": {"accessanalyzer.active_findings": "FAIL"}}]}]},
                              "aws_managed_policies": [{"name": "AdministratorAccess",
                                                        "expect": {"iam.policy.full_admin_attached": "FAIL"}}],
                              }]}
    a, u = "111122223333", "arn:aws:iam::111122223333:user/ops/a"
    assert expectations(scenario) == {
        ("org.scp.enabled", a, f"arn:aws:iam::{a}:root", "global"): "PASS",
        ("accessanalyzer.enabled_all_regions", a, f"arn:aws:iam::{a}:root", "eu-west-1"): "FAIL",
        ("iam.root.mfa_enabled", a, f"arn:aws:iam::{a}:root", "global"): "FAIL",
        ("iam.user.console_mfa", a, u, "global"): "PASS",
        ("iam.credentials.unused", a, f"{u}#password", "global"): "FAIL",
        ("iam.access_key.rotated", a, f"{u}#access_key_1", "global"): "PASS",
        ("iam.access_key.rotated", a, f"{u}#access_key_2", "global"): "FAIL",
        ("iam.role.trust_any_principal", a, f"arn:aws:iam::{a}:role/r", "global"): "FAIL",
        ("accessanalyzer.active_findings", a, "arn:aws:s3:::b", "us-east-1"): "FAIL",
        ("iam.policy.full_admin_attached", a, "arn:aws:iam::aws:policy/AdministratorAccess", "global"): "FAIL",
    }


@pytest.fixture(scope="module")
def demo_findings(standin, tmp_path_factory):
    from iamkit.demo.run import demo_parameters
    from iamkit.demo.seed import scenario

    out = collect_seeded_demo(standin.url, tmp_path_factory.mktemp("ground-truth"))
    bundles, org = load_bundles([out])
    findings = assess(bundles, load_settings([demo_parameters()]), org)
    return scenario(), findings, sso_names(org, scenario())


def test_scenario_states_expectations(demo_findings):
    scenario, findings, names = demo_findings
    expected = expectations(scenario, names)
    assert sum(1 for k in expected if k[0].startswith("sso.")) >= 50
    assert len(expected) > 100, "the demo scenario states too few expectations"
    accounts = {a["id"] for a in scenario["accounts"]}
    assert {k[1] for k in expected} == accounts == {f.account_id for f in findings}


def test_recall_every_expected_finding_present(demo_findings):
    scenario, findings, names = demo_findings
    got = {(f.check_id, f.account_id, f.resource_arn, f.region): f for f in findings}
    problems = []
    for key, status in sorted(expectations(scenario, names).items()):
        f = got.get(key)
        if f is None:
            near = [k for k in got if k[0] == key[0] and k[1] == key[1]]
            problems.append(f"missing {key} (expected {status}); findings of that check: {near[:5]}")
        elif f.status.value != status:
            problems.append(f"{key}: expected {status}, got {f.status.value}: {f.detail}")
    assert not problems, "\n".join(problems)


def test_precision_no_unexpected_fail(demo_findings):
    scenario, findings, names = demo_findings
    expected = expectations(scenario, names)
    unexpected = [f"{f.check_id} {f.account_id} {f.resource_arn} {f.region}: {f.detail}" for f in findings
                  if f.status.value == "FAIL" and expected.get((f.check_id, f.account_id, f.resource_arn, f.region))
                  != "FAIL"]
    assert not unexpected, "unexpected FAIL findings:\n" + "\n".join(unexpected)


def test_no_internal_errors(demo_findings):
    _, findings, _ = demo_findings
    bad = [f"{f.check_id}: {f.detail}" for f in findings if "internal error" in f.detail]
    assert not bad, "\n".join(bad)


def test_every_identity_center_finding_is_stated(demo_findings):
    """Not only the FAILs: every sso.* finding of the demo (PASS, NOT_APPLICABLE ...) is in the scenario."""
    scenario, findings, names = demo_findings
    expected = expectations(scenario, names)
    extra = [f"{f.check_id} {f.account_id} {f.resource_arn} {f.status.value}: {f.detail}" for f in findings
             if f.check_id.startswith("sso.") and (f.check_id, f.account_id, f.resource_arn, f.region) not in expected]
    assert not extra, "\n".join(extra)
