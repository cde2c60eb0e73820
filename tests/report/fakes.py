"""Model stand-ins built in code: the documented model tables as plain DataFrames."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from iamkit.findings import Finding, Severity, Status
from iamkit.model import OrgModel

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


def org_model(tmp_path: Path) -> OrgModel:
    """The real OrgModel of an organization bundle (root r-root > Workloads (ou-work) > Prod (ou-prod)):
    a fake of its tables would drift from what the model really gives (e.g. no root row in ``ous``)."""
    from iamkit.evidence import Bundle
    from tests.checks.helpers import write_org_bundle

    return OrgModel(Bundle(write_org_bundle(tmp_path)))
