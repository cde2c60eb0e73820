"""Collection against the stand-in over HTTP, through the real CLI code path."""

from __future__ import annotations

import json

import boto3
import pytest

from iamkit.cli import main
from iamkit.collect import ALL_OPERATIONS
from iamkit.evidence import Bundle

pytestmark = pytest.mark.slow
DECLARED = {f"{s}:{o}" for s, o in ALL_OPERATIONS}


def test_collect_writes_verified_bundle(fresh_standin, tmp_path):
    iam = boto3.client("iam", endpoint_url=fresh_standin.url, region_name="us-east-1")
    iam.create_user(UserName="u1")
    fresh_standin.state.account("123456789012").regions = ["us-east-1"]
    rc = main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--out", str(tmp_path)])
    assert rc == 0
    bundle = Bundle(tmp_path / "evidence" / "123456789012")
    assert bundle.verify() == []
    assert "u1" in bundle.read_bytes("iam/credential_report.csv").decode()
    meta = bundle.json("iam/credential_report.json")
    assert meta["GeneratedTime"]
    assert [u["UserName"] for u in bundle.json("iam/authorization_details.json")["UserDetailList"]] == ["u1"]
    assert bundle.json("iam/password_policy.json") == {"PasswordPolicy": None}  # NoSuchEntity = no policy
    assert bundle.json("access_analyzer/us-east-1.json") == {"analyzers": [], "findings": {}}
    assert bundle.json("cloudtrail/root_activity.json")["regions"] == {"us-east-1": []}
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert set(manifest["operations"]) <= DECLARED
    # not in an organization: recorded, not written
    assert [e["code"] for e in manifest["errors"]] == ["OrganizationNotFoundException"]
    assert not bundle.has("iam/organizations_features.json")


def test_recollect_replaces_bundle_whole(fresh_standin, tmp_path):
    dest = tmp_path / "evidence" / "123456789012"
    dest.mkdir(parents=True)
    (dest / "stale.json").write_text("{}")
    fresh_standin.state.account("123456789012").regions = ["us-east-1"]
    assert main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--out", str(tmp_path)]) == 0
    assert not (dest / "stale.json").exists()
    assert (dest / "manifest.json").is_file()
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".")]


def test_access_denied_gives_error_entry_and_no_file(fresh_standin, tmp_path):
    fresh_standin.state.account("123456789012").regions = ["us-east-1", "eu-west-1"]
    fresh_standin.state.deny("iam:GetAccountPasswordPolicy")
    fresh_standin.state.deny("access-analyzer:ListAnalyzers", region="eu-west-1")
    assert main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--out", str(tmp_path)]) == 0
    bundle = Bundle(tmp_path / "evidence" / "123456789012")
    assert not bundle.has("iam/password_policy.json")
    assert not (bundle.path / "iam/password_policy.json").exists()
    errors = {(e["operation"], e["region"]): e for e in bundle.errors}
    err = errors[("GetAccountPasswordPolicy", "global")]
    assert err["code"] == "AccessDenied" and err["file"] == "iam/password_policy.json"
    assert "AccessDenied" in bundle.missing_reason("iam/password_policy.json")
    assert errors[("ListAnalyzers", "eu-west-1")]["file"] == "access_analyzer/eu-west-1.json"
    assert bundle.has("access_analyzer/us-east-1.json") and not bundle.has("access_analyzer/eu-west-1.json")
    assert bundle.has("iam/authorization_details.json")  # the rest went on


def test_requested_region_not_enabled_is_recorded(fresh_standin, tmp_path):
    fresh_standin.state.account("123456789012").regions = ["us-east-1"]
    assert main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--regions", "us-east-1,ap-east-1",
                 "--out", str(tmp_path)]) == 0
    bundle = Bundle(tmp_path / "evidence" / "123456789012")
    assert bundle.manifest["regions"] == ["us-east-1"]
    assert any(e["code"] == "RegionNotEnabled" and e["region"] == "ap-east-1" for e in bundle.errors)
