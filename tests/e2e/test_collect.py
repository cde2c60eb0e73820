"""Collection against the stand-in over HTTP, through the real CLI code path."""

from __future__ import annotations

import json

import boto3
import pytest

from iamkit.cli import main
from iamkit.evidence import Bundle

pytestmark = pytest.mark.slow


def test_collect_writes_verified_bundle(fresh_standin, tmp_path):
    iam = boto3.client("iam", endpoint_url=fresh_standin.url, region_name="us-east-1")
    iam.create_user(UserName="u1")
    rc = main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--out", str(tmp_path)])
    assert rc == 0
    bundle = Bundle(tmp_path / "evidence" / "123456789012")
    assert bundle.verify() == []
    assert "u1" in bundle.read_bytes("iam/credential_report.csv").decode()
    meta = bundle.json("iam/credential_report.json")
    assert meta["GeneratedTime"]
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert set(manifest["operations"]) <= {"sts:GetCallerIdentity", "iam:GenerateCredentialReport",
                                           "iam:GetCredentialReport", "iam:GetAccountSummary"}


def test_recollect_replaces_bundle_whole(fresh_standin, tmp_path):
    dest = tmp_path / "evidence" / "123456789012"
    dest.mkdir(parents=True)
    (dest / "stale.json").write_text("{}")
    assert main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--out", str(tmp_path)]) == 0
    assert not (dest / "stale.json").exists()
    assert (dest / "manifest.json").is_file()
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".")]
