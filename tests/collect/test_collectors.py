"""Collector pieces with fake AWS clients: back-off, bounds, NoSuchEntity, secrets, declarations."""

from __future__ import annotations

import botocore.exceptions
import pytest

from iamkit.collect import ALL_OPERATIONS, COLLECTOR_MODULES, cloudtrail, iam
from iamkit.evidence import Bundle, BundleWriter


def _client_error(code: str, op: str = "GetAccountPasswordPolicy") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": f"{code} here"}}, op)


class FakeIam:
    def __init__(self, states: list[str], policy_error: str | None = None) -> None:
        self.states = list(states)
        self.generated = 0
        self.policy_error = policy_error

    def generate_credential_report(self) -> dict:
        self.generated += 1
        return {"State": self.states.pop(0) if len(self.states) > 1 else self.states[0]}

    def get_credential_report(self) -> dict:
        return {"Content": b"user,arn\n", "GeneratedTime": "2026-01-01T00:00:00Z", "ReportFormat": "text/csv"}

    def get_account_password_policy(self) -> dict:
        if self.policy_error:
            raise _client_error(self.policy_error)
        return {"PasswordPolicy": {"MinimumPasswordLength": 14}}


def test_credential_report_polls_with_backoff(monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr(iam.time, "sleep", sleeps.append)
    fake = FakeIam(["STARTED", "INPROGRESS", "INPROGRESS", "COMPLETE"])
    assert iam.credential_report(fake)["GeneratedTime"]
    assert fake.generated == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_credential_report_gives_up_within_budget(monkeypatch):
    monkeypatch.setattr(iam.time, "sleep", lambda _s: None)
    clock = iter(range(0, 10_000, 5))
    monkeypatch.setattr(iam.time, "monotonic", lambda: next(clock))
    with pytest.raises(iam.ReportNotReady, match="still STARTED"):
        iam.credential_report(FakeIam(["STARTED"]), budget_s=20)


def test_password_policy_no_such_entity_is_no_policy():
    assert iam.password_policy(FakeIam(["COMPLETE"], policy_error="NoSuchEntity")) == {"PasswordPolicy": None}
    assert iam.password_policy(FakeIam(["COMPLETE"]))["PasswordPolicy"]["MinimumPasswordLength"] == 14
    with pytest.raises(botocore.exceptions.ClientError):
        iam.password_policy(FakeIam(["COMPLETE"], policy_error="AccessDenied"))


class EndlessTrail:
    def __init__(self) -> None:
        self.calls = 0

    def lookup_events(self, **kwargs) -> dict:
        self.calls += 1
        assert kwargs["LookupAttributes"] == [{"AttributeKey": "Username", "AttributeValue": "root"}]
        return {"Events": [{"EventName": "ConsoleLogin"}] * kwargs["MaxResults"], "NextToken": "more"}


def test_root_events_pages_are_bounded():
    trail = EndlessTrail()
    events, truncated = cloudtrail.root_events(trail, None, None, max_pages=3)
    assert trail.calls == 3 and truncated and len(events) == 3 * cloudtrail.PAGE_SIZE


class _Session:
    def __init__(self, client: object) -> None:
        self._client = client

    def client(self, _service: str, _region: str | None = None) -> object:
        return self._client


class FailingTrail:
    def lookup_events(self, **_kwargs) -> dict:
        raise _client_error("UnrecognizedClientException", "LookupEvents")


def test_failed_regions_are_recorded_and_no_empty_file(tmp_path):
    w = BundleWriter(tmp_path / "111122223333", account_id="111122223333")
    cloudtrail.collect(_Session(FailingTrail()), w, ["us-east-1", "eu-west-1"])  # type: ignore[arg-type]
    b = Bundle(w.finish(caller_identity=None))
    assert not b.has(cloudtrail.ROOT_ACTIVITY)
    assert [(e["region"], e["code"]) for e in b.errors] == [("us-east-1", "UnrecognizedClientException"),
                                                            ("eu-west-1", "UnrecognizedClientException")]
    assert "UnrecognizedClientException" in b.missing_reason(cloudtrail.ROOT_ACTIVITY)


def test_every_module_declares_read_only_operations():
    from iamkit.aws.guard import is_read_only

    for m in COLLECTOR_MODULES:  # each collector declares what it calls; all of it is on the allowlist
        assert m.OPERATIONS and m.OPERATIONS <= ALL_OPERATIONS, m.__name__
    assert all(is_read_only(op) for op in ALL_OPERATIONS)
    assert ("iam", "GetAccountAuthorizationDetails") in ALL_OPERATIONS
    assert not any(op[1].startswith(("Create", "Put", "Delete", "Update", "Attach")) for op in ALL_OPERATIONS)


def test_virtual_mfa_seed_material_is_never_kept():
    assert {"Base32StringSeed", "QRCodePNG"} <= iam.MFA_SECRETS
