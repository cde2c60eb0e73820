"""The model's cached tables are evidence facts: a missing file raises MissingEvidence every time (never
cached), and a table served from the cache still holds the reader to its declared reads."""

from __future__ import annotations

import pytest

from iamkit.evidence import Bundle
from iamkit.model import AccountModel, MissingEvidence
from iamkit.model.organization import OrgModel
from iamkit.reads import UndeclaredEvidence, declared_reads
from tests.checks.helpers import cred_report, cred_row, write_bundle, write_org_bundle


def test_missing_evidence_is_raised_each_time_and_not_cached(tmp_path):
    acct = AccountModel(Bundle(write_bundle(tmp_path / "a", {})))
    for _ in range(2):
        with pytest.raises(MissingEvidence, match="iam/credential_report.csv"):
            _ = acct.credential_report
    assert "credential_report" not in acct.__dict__.get("_iamkit_facts", {})


def test_a_cached_table_replays_its_reads(tmp_path):
    acct = AccountModel(Bundle(write_bundle(tmp_path / "a", {
        "iam/credential_report.csv": cred_report(cred_row("<root_account>", pw_used=None))})))
    with declared_reads("first", ["iam/credential_report.csv"]):
        assert len(acct.credential_report) == 1
    with declared_reads("second", ["iam/password_policy.json"]), pytest.raises(UndeclaredEvidence, match="second"):
        _ = acct.credential_report
    org = OrgModel(Bundle(write_org_bundle(tmp_path / "o")))
    with declared_reads("org", ["organization/organizations/*"]):
        assert len(org.accounts) == 3
    with declared_reads("not-org", []), pytest.raises(UndeclaredEvidence):
        _ = org.accounts
