"""Sessions: retry configuration and forking keep the guard per bundle."""

from __future__ import annotations

import pytest

from iamkit.aws.session import AwsTarget, open_session
from iamkit.collect import ALL_OPERATIONS
from iamkit.errors import BadInputError


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
