"""Organization collection against the demo organization on the stand-in."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from iamkit.cli import main
from iamkit.collect import ALL_OPERATIONS
from iamkit.demo.seed import client, scenario, seed
from iamkit.evidence import Bundle, load_bundles

pytestmark = pytest.mark.slow
ROLE = "OrganizationAccountAccessRole"
MEMBERS = ["210987654321", "345678901234", "456789012345", "567890123456"]


@pytest.fixture
def demo_org(fresh_standin):
    seed(fresh_standin.url)
    return fresh_standin


def _collect(standin, out, *extra: str) -> int:
    return main(["--quiet", "collect", "--endpoint-url", standin.url, "--org", "--role-name", ROLE,
                 "--out", str(out), *extra])


def test_org_collection_writes_bundle_per_account_and_org_bundle(demo_org, tmp_path):
    assert _collect(demo_org, tmp_path, "--workers", "3") == 0
    accounts, org = load_bundles([tmp_path])
    assert sorted(b.account_id for b in accounts) == sorted(["123456789012", *MEMBERS])
    assert org is not None and org.scope == "organization"
    assert org.manifest["management_account_id"] == "123456789012"
    assert org.manifest["organization_id"].startswith("o-")
    for b in [*accounts, org]:
        assert b.verify() == []
    ous = {o["Path"]: o for o in org.json("organizations/ous.json")["OrganizationalUnits"]}
    assert set(ous) == {"Security", "Workloads", "Workloads/Prod", "Workloads/Dev", "Sandbox"}
    parents = org.json("organizations/accounts.json")["Parents"]
    assert parents["345678901234"] == ous["Workloads/Prod"]["Id"]
    policies = {p["PolicySummary"]["Name"]: p for p in org.json("organizations/policies.json")["Policies"]}
    assert {"FullAWSAccess", "SecurityBaseline", "EnforceSecureTransport"} <= set(policies)
    assert json.loads(policies["SecurityBaseline"]["Content"])["Statement"]
    targets = org.json("organizations/targets.json")
    assert {t["TargetId"] for t in targets[policies["SecurityBaseline"]["PolicySummary"]["Id"]]} == {
        ous["Security"]["Id"], ous["Workloads"]["Id"]}
    types = {t["Type"] for r in org.json("organizations/roots.json")["Roots"] for t in r["PolicyTypes"]}
    assert {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"} <= types
    assert org.json("organizations/delegated_administrators.json")["DelegatedAdministrators"][0]["Id"] == MEMBERS[0]
    assert org.json("organizations/organizations_features.json")["EnabledFeatures"]
    # members were reached through the role, each with its own identity
    for b in accounts:
        assert b.manifest["caller_identity"]["Account"] == b.account_id
        assert ("sts:AssumeRole" in b.manifest["operations"]) == (b.account_id in MEMBERS)
    # demo facts the checks rely on made it into the evidence
    dev = next(b for b in accounts if b.account_id == "456789012345")
    serials = [d["SerialNumber"] for d in dev.json("iam/virtual_mfa_devices.json")["VirtualMFADevices"]]
    assert "arn:aws:iam::456789012345:mfa/root-account-mfa-device" in serials
    assert dev.json("iam/password_policy.json") == {"PasswordPolicy": None}
    assert dev.json("cloudtrail/root_activity.json")["regions"]["eu-west-1"][0]["EventName"] == "ListBuckets"
    assert not any("Base32StringSeed" in d for d in dev.json("iam/virtual_mfa_devices.json")["VirtualMFADevices"])


def test_operations_called_equal_declared_and_policy_prints_them(demo_org, tmp_path, capsys):
    assert _collect(demo_org, tmp_path) == 0
    called: set[str] = set()
    for manifest in (tmp_path / "evidence").glob("*/manifest.json"):
        called |= set(json.loads(manifest.read_text())["operations"])
    assert called == {f"{s}:{o}" for s, o in ALL_OPERATIONS}
    capsys.readouterr()
    assert main(["policy"]) == 0
    actions = set(json.loads(capsys.readouterr().out)["Statement"][0]["Action"])
    # ListFindingsV2 is authorized by access-analyzer:ListFindings (Access Analyzer API Reference)
    expected = {a.replace("accessanalyzer:", "access-analyzer:").replace(":ListFindingsV2", ":ListFindings")
                .replace("sso-admin:", "sso:")
                for a in called} - {"sts:GetCallerIdentity"}
    assert actions == expected


def test_member_with_broken_role_fails_alone(demo_org, tmp_path, capsys):
    iam = client(demo_org.url, "iam", "345678901234")
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                       "Action": "sts:AssumeRole"}]}))
    capsys.readouterr()
    assert _collect(demo_org, tmp_path) == 3
    err = capsys.readouterr().err
    assert "failed 345678901234" in err and "AccessDenied" in err
    done = sorted(p.parent.name for p in (tmp_path / "evidence").glob("*/manifest.json"))
    assert done == sorted(["123456789012", "210987654321", "456789012345", "567890123456", "organization"])


def test_accounts_option_restricts_and_rejects_unknown(demo_org, tmp_path):
    assert _collect(demo_org, tmp_path, "--accounts", "456789012345") == 0
    assert sorted(p.parent.name for p in (tmp_path / "evidence").glob("*/manifest.json")) == [
        "456789012345", "organization"]
    assert _collect(demo_org, tmp_path / "x", "--accounts", "999999999999") == 2


def test_org_without_role_name_is_usage_error(demo_org, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "collect", "--endpoint-url", demo_org.url, "--org",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_scenario_ids_are_fixed_and_distinct():
    ids = [a["id"] for a in scenario()["accounts"]]
    assert ids[0] == "123456789012" and len(set(ids)) == len(ids) >= 5
    assert all(len(i) == 12 and i.isdigit() for i in ids)


def test_external_id_is_passed_when_assuming(demo_org, tmp_path):
    iam = client(demo_org.url, "iam", "567890123456")
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                       "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "s3cr3t-id"}}}]}))
    assert _collect(demo_org, tmp_path / "without", "--accounts", "567890123456") == 3
    assert _collect(demo_org, tmp_path / "with", "--accounts", "567890123456", "--external-id", "s3cr3t-id") == 0
    b = Bundle(tmp_path / "with" / "evidence" / "567890123456")
    assert "s3cr3t-id" not in (b.path / "manifest.json").read_text()
