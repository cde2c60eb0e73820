"""Sessions: retry configuration and forking keep the guard per bundle."""

from __future__ import annotations

import pytest

from iamkit.aws.session import AwsTarget, new_boto_session, open_session
from iamkit.collect import ALL_OPERATIONS
from iamkit.errors import BadInputError, CollectionError


def test_retry_attempts_are_configurable(monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    assert AwsTarget().max_attempts == 3
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    with pytest.raises(BadInputError, match="AWS_MAX_ATTEMPTS"):
        AwsTarget()
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    assert AwsTarget().max_attempts == 8


def test_sessions_use_adaptive_retries_and_fork_with_their_own_guard(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    s = open_session(AwsTarget(endpoint_url="http://127.0.0.1:9", max_attempts=5), ALL_OPERATIONS)
    cfg = s.client("iam").meta.config
    assert cfg.retries["mode"] == "adaptive" and cfg.retries["total_max_attempts"] == 5
    f = s.fork()
    assert f.guard is not s.guard and f.guard.allowlist == s.guard.allowlist
    assert f.client("iam") is not s.client("iam")


def test_an_unknown_profile_is_a_one_line_collection_error(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with pytest.raises(CollectionError, match="could not be found"):
        open_session(AwsTarget(profile="no-such-profile"), ALL_OPERATIONS)


def test_sessions_share_botocore_data_but_not_credentials(monkeypatch):
    """Service models are parsed once per process (a new session per assumed account used to parse them
    again); each session keeps its own credentials and guard."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    a = new_boto_session(aws_access_key_id="A", aws_secret_access_key="a", region_name="us-east-1")
    b = new_boto_session(aws_access_key_id="B", aws_secret_access_key="b", region_name="us-east-1")
    ca, cb = a.client("iam"), b.client("iam")
    assert ca.meta.service_model._service_description is cb.meta.service_model._service_description
    assert a.get_credentials().access_key == "A" and b.get_credentials().access_key == "B"
    assert ca._request_signer._credentials.access_key == "A"
    assert cb._request_signer._credentials.access_key == "B"
