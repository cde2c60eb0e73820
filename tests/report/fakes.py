"""Model stand-ins built in code: the documented model tables as plain DataFrames."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from iamkit.findings import Finding, Severity, Status

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACCT = "111122223333"


class FakeAccount:
    """Only the tables passed exist, like a model that lacks the others."""

    def __init__(self, **tables: object) -> None:
        self.now = NOW
        self.account_id = ACCT
        cls = type("FakeAccountModel", (), {k: property(lambda self, v=v: v) for k, v in tables.items()})
        self.__class__ = type("FakeAccountModel", (FakeAccount,), dict(cls.__dict__))


def finding(check_id: str = "iam.root.mfa_enabled", status: Status = Status.FAIL, *, account: str = ACCT,
            resource: str | None = None, severity: Severity = Severity.critical, area: str = "root",
            detail: str = "detail", region: str = "global") -> Finding:
    return Finding(check_id=check_id, status=status, severity=severity, account_id=account, region=region,
                   resource_arn=resource or f"arn:aws:iam::{account}:root", resource_type="AwsAccount",
                   title="t", detail=detail, observed_at=NOW, area=area)


def org_model() -> FakeAccount:
    ous = pd.DataFrame([
        {"id": "r-root", "name": "Root", "parent_id": None, "path": "Root"},
        {"id": "ou-work", "name": "Workloads", "parent_id": "r-root", "path": "Root/Workloads"},
        {"id": "ou-sand", "name": "Sandbox", "parent_id": "r-root", "path": "Root/Sandbox"},
    ])
    accounts = pd.DataFrame([
        {"id": "111111111111", "name": "prod", "email": "p@x", "status": "ACTIVE", "ou_path": "Root/Workloads"},
        {"id": "222222222222", "name": "sandbox", "email": "s@x", "status": "ACTIVE", "ou_path": "Root/Sandbox"},
    ])
    policies = pd.DataFrame([
        {"id": "p-full", "name": "FullAWSAccess", "type": "SERVICE_CONTROL_POLICY", "aws_managed": True,
         "document": {}},
        {"id": "p-deny", "name": "DenyLeave", "type": "SERVICE_CONTROL_POLICY", "aws_managed": False,
         "document": {}},
    ])
    targets = pd.DataFrame([
        {"policy_id": "p-full", "target_id": "r-root", "target_type": "ROOT"},
        {"policy_id": "p-deny", "target_id": "ou-work", "target_type": "ORGANIZATIONAL_UNIT"},
    ])
    return FakeAccount(ous=ous, accounts=accounts, policies=policies, targets=targets)
