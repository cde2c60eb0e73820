"""``iamkit simulate --evidence`` on the demo organization's evidence, collected from the stand-in: the SCP and
RCP guardrails of scenario.yaml decide as the IAM User Guide says they must."""

from __future__ import annotations

import json

import pytest

from iamkit.cli import main
from iamkit.demo.seed import seed

pytestmark = pytest.mark.slow
PROD = "345678901234"


@pytest.fixture
def demo_evidence(fresh_standin, tmp_path):
    seed(fresh_standin.url)
    assert main(["--quiet", "collect", "--endpoint-url", fresh_standin.url, "--org", "--role-name",
                 "OrganizationAccountAccessRole", "--accounts", PROD, "--out", str(tmp_path)]) == 0
    return tmp_path / "evidence"


def ask(capsys, evidence, *argv):
    code = main(["simulate", "--evidence", str(evidence), *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out.strip()


def test_demo_guardrails(demo_evidence, capsys):
    dana = f"arn:aws:iam::{PROD}:user/dana.analyst"
    # SecurityBaseline is attached to the Workloads OU (scenario.yaml); Prod sits under it
    assert ask(capsys, demo_evidence, "--principal", dana, "--action", "organizations:LeaveOrganization") == (
        "DENIED by SCP SecurityBaseline at OU Workloads, statement 1 (Sid DenyLeaveOrganization)")
    # the member account's root user is denied everything by DenyRootUser
    root = ask(capsys, demo_evidence, "--principal", f"arn:aws:iam::{PROD}:root", "--action", "s3:ListAllMyBuckets")
    assert root.startswith("DENIED by SCP SecurityBaseline at OU Workloads, statement 2 (Sid DenyRootUser)")
    # an S3 ARN names no region: the region guardrail cannot be decided, so the answer is not "allowed"
    out = ask(capsys, demo_evidence, "--principal", dana, "--action", "s3:GetObject", "--resource",
              "arn:aws:s3:::reports/q1.csv")
    assert out.startswith("DENIED by SCP DenyUnapprovedRegions") and "cannot evaluate StringNotEquals " \
        "aws:requestedregion" in out
    # with the region given: AppReadOnly through the AppReaders group
    region = ("--context", "aws:RequestedRegion=eu-west-1")
    assert ask(capsys, demo_evidence, "--principal", dana, "--action", "s3:GetObject", "--resource",
               "arn:aws:s3:::reports/q1.csv", *region).startswith("ALLOWED: allowed by identity policy AppReadOnly")
    # the RCP EnforceSecureTransport on Workloads denies plain HTTP to the account's buckets
    out = ask(capsys, demo_evidence, "--principal", dana, "--action", "s3:GetObject", "--resource",
              "arn:aws:s3:::reports/q1.csv", "--context", "aws:SecureTransport=false", *region, "--json")
    answer = json.loads(out)
    assert answer["decision"] == "explicit_deny" and answer["decided_by"] == ["rcp"]
    assert answer["statements"][0]["policy"] == "EnforceSecureTransport"
    # DenyUnapprovedRegions: a region outside us-east-1/eu-west-1
    out = ask(capsys, demo_evidence, "--principal", f"arn:aws:iam::{PROD}:role/break-glass", "--action",
              "ec2:RunInstances", "--resource", f"arn:aws:ec2:ap-south-1:{PROD}:instance/*")
    assert out.startswith("DENIED by SCP DenyUnapprovedRegions at OU Workloads")
    # break-glass trusts the account with MFA: dana has no sts:AssumeRole
    out = ask(capsys, demo_evidence, "--principal", dana, "--action", "sts:AssumeRole", "--resource",
              f"arn:aws:iam::{PROD}:role/break-glass", "--context", "aws:MultiFactorAuthPresent=true")
    assert out.startswith("DENIED (implicitly): no identity policy")
