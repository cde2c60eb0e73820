"""The demo scenario data: well-formed expectations, fixed ids, docs generated from it."""

from __future__ import annotations

import re

import yaml

from iamkit.demo.describe import render
from iamkit.demo.seed import scenario
from tests.conftest import ROOT

STATUSES = {"PASS", "FAIL", "ERROR", "NOT_APPLICABLE", "MANUAL"}
CHECK = re.compile(r"^[a-z]+(\.[a-z_]+)+(@[a-z]{2}-[a-z]+-\d)?$")


def _expect_maps(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expect":
                yield path, v
            else:
                yield from _expect_maps(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _expect_maps(v, f"{path}[{i}]")


def test_expectations_are_well_formed():
    maps = list(_expect_maps(scenario()["accounts"]))
    assert len(maps) > 50
    for where, m in maps:
        assert isinstance(m, dict) and m, where
        for check, status in m.items():
            assert CHECK.match(check), (where, check)
            assert status in STATUSES, (where, status)


def test_every_planned_check_has_a_fail_and_a_compliant_counterpart():
    seen: dict[str, set[str]] = {}
    for _, m in _expect_maps(scenario()["accounts"]):
        for check, status in m.items():
            seen.setdefault(check.split("@")[0], set()).add(status)
    planned = {
        "iam.root.access_keys_absent", "iam.root.mfa_enabled", "iam.root.hardware_mfa", "iam.root.recent_use",
        "org.root.centralized_management", "iam.user.console_mfa", "iam.user.privileged_without_mfa",
        "iam.access_key.rotated", "iam.credentials.unused", "iam.user.single_active_key",
        "iam.access_key.unused_since_setup", "iam.server_certificate.expired", "iam.password_policy.min_length",
        "iam.password_policy.reuse_prevention", "iam.role.trust_any_principal",
        "iam.role.trust_external_without_external_id", "iam.role.trust_unknown_account",
        "iam.role.oidc_trust_unrestricted", "iam.role.service_trust_confused_deputy",
        "accessanalyzer.enabled_all_regions", "org.scp.guardrails_present", "iam.policy.full_admin_attached",
        "iam.user.direct_policies", "iam.support_role",
        "iam.role.unused", "iam.role.external_admin_reach", "org.scp.guardrail.protect_cloudtrail",
        "org.scp.guardrail.deny_iam_users", "org.scp.guardrail.leave_organization",
    }
    for check in planned:
        assert {"FAIL", "PASS"} <= seen.get(check, set()), check
    assert seen["accessanalyzer.active_findings"] == {"FAIL"}
    assert seen["iam.identity.federation"] == {"MANUAL"}
    assert seen["iam.cloudshell_full_access"] == {"FAIL"}
    assert seen["accessanalyzer.unused_access"] == {"FAIL", "NOT_APPLICABLE"}
    assert {"PASS", "FAIL", "NOT_APPLICABLE"} <= seen["org.scp.guardrail.region_restriction"]


def test_management_root_without_mfa_stays_a_fail():
    mgmt = scenario()["accounts"][0]
    assert mgmt["id"] == "123456789012" and mgmt["root"]["expect"]["iam.root.mfa_enabled"] == "FAIL"


def test_structure_and_parameters():
    data = scenario()
    ous = {(o.get("parent") + "/" if o.get("parent") else "") + o["name"] for o in data["organization"]["ous"]}
    members = [a for a in data["accounts"] if a["id"] != data["organization"]["management_account"]]
    assert len(members) >= 4 and {a["ou"] for a in members} <= ous and len({a["ou"] for a in members}) >= 2
    params = yaml.safe_load((ROOT / "iamkit/demo/parameters.yaml").read_text())
    assert "999988887777" in params["trusted_account_ids"] and "464622532012" in params["known_vendor_accounts"]


def test_docs_are_generated_from_the_data():
    assert (ROOT / "docs/demo-scenario.md").read_text() == render()
