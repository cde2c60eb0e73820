"""Collection against the stand-in over HTTP, through the real CLI code path."""

from __future__ import annotations

import json
import urllib.request

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


def test_other_faults_are_recorded_per_operation_and_region(fresh_standin, tmp_path):
    fresh_standin.state.account("123456789012").regions = ["us-east-1", "eu-west-1"]
    fresh_standin.state.deny("cloudtrail:LookupEvents", region="eu-west-1", code="UnrecognizedClientException",
                             message="The security token included in the request is invalid.", status=400)
    fresh_standin.state.deny("access-analyzer:ListAnalyzers", code="SubscriptionRequiredException", status=400)
    assert main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--out", str(tmp_path)]) == 0
    b = Bundle(tmp_path / "evidence" / "123456789012")
    codes = {(e["operation"], e["region"]): e["code"] for e in b.errors}
    assert codes[("LookupEvents", "eu-west-1")] == "UnrecognizedClientException"
    assert codes[("ListAnalyzers", "us-east-1")] == codes[("ListAnalyzers", "eu-west-1")] == \
        "SubscriptionRequiredException"
    trail = b.json("cloudtrail/root_activity.json")
    assert set(trail["regions"]) == {"us-east-1"}  # the failed region is absent, not empty


def test_calls_do_not_grow_with_principals_beyond_pagination(fresh_standin, tmp_path):
    from moto.iam.models import iam_backends

    def calls(n: int, out: str) -> dict[str, int]:
        req = urllib.request.Request(f"{fresh_standin.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()
        fresh_standin.state.account("123456789012").regions = ["us-east-1"]
        backend = iam_backends["123456789012"]["global"]
        for i in range(n):
            backend.create_user(region_name="us-east-1", user_name=f"u{i}", path="/", tags=[])
        assert main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--out", str(tmp_path / out)]) == 0
        return Bundle(tmp_path / out / "evidence" / "123456789012").manifest["operations"]

    small, large = calls(5, "small"), calls(250, "large")
    gaad = "iam:GetAccountAuthorizationDetails"
    assert (small[gaad], large[gaad]) == (1, 3)  # 100 items a page
    assert {k: v for k, v in small.items() if k != gaad} == {k: v for k, v in large.items() if k != gaad}
