from __future__ import annotations

import boto3
import pytest

from iamkit.aws.guard import Guard, is_read_only, policy_document, validate_allowlist
from iamkit.collect import ALL_OPERATIONS
from iamkit.errors import ReadOnlyViolation


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")


def test_write_refused_before_it_leaves_the_process():
    s = _session()
    guard = Guard(ALL_OPERATIONS)
    guard.install(s)
    # an endpoint nothing listens on: if the guard let it through we would see a connection error
    iam = s.client("iam", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ReadOnlyViolation, match="iam:CreateUser"):
        iam.create_user(UserName="x")
    assert guard.take_calls() == {}


def test_allowlist_is_read_only():
    assert all(is_read_only(op) for op in ALL_OPERATIONS)
    with pytest.raises(ReadOnlyViolation):
        validate_allowlist({("iam", "DeleteUser")})


def test_policy_is_generated_from_allowlist():
    doc = policy_document(ALL_OPERATIONS)
    actions = doc["Statement"][0]["Action"]
    assert "iam:GetCredentialReport" in actions
    assert not any("*" in a for a in actions)
    assert "sts:GetCallerIdentity" not in actions  # needs no permission
    # ListFindings and ListFindingsV2 are both authorized by access-analyzer:ListFindings (API Reference)
    assert "access-analyzer:ListFindings" in actions and "access-analyzer:ListFindingsV2" not in actions
    assert ("accessanalyzer", "ListFindingsV2") in ALL_OPERATIONS  # the declared operation stays exact
    assert len(actions) == len(ALL_OPERATIONS) - 2
