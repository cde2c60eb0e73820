"""IAM evidence of one account.

Bulk calls only: the credential report and GetAccountAuthorizationDetails carry almost every fact
the checks need, so the number of calls does not grow with the number of users or roles beyond
pagination.
"""

from __future__ import annotations

import time
from typing import Any

from iamkit.aws.session import AwsSession
from iamkit.collect.base import step, strip_metadata
from iamkit.evidence import BundleWriter

COLLECTOR = "iam"

OPERATIONS = frozenset({
    ("iam", "GenerateCredentialReport"),
    ("iam", "GetCredentialReport"),
    ("iam", "GetAccountSummary"),
})

CREDENTIAL_REPORT = "iam/credential_report.csv"
CREDENTIAL_REPORT_META = "iam/credential_report.json"
ACCOUNT_SUMMARY = "iam/account_summary.json"


class ReportNotReady(Exception):
    """The credential report did not complete within the polling budget."""


def credential_report(client: Any, *, budget_s: float = 120.0, first_wait_s: float = 0.5) -> dict[str, Any]:
    """Generate the credential report and poll with exponential back-off until it is COMPLETE.

    AWS serves a cached report if one younger than four hours exists; ``GeneratedTime`` is kept so
    the checks can say how old the facts are.
    """
    wait, deadline = first_wait_s, time.monotonic() + budget_s
    while True:
        state = client.generate_credential_report().get("State")
        if state == "COMPLETE":
            break
        if time.monotonic() + wait > deadline:
            raise ReportNotReady(f"credential report still {state} after {budget_s:.0f}s")
        time.sleep(wait)
        wait = min(wait * 2, 16.0)
    return client.get_credential_report()


def collect(session: AwsSession, writer: BundleWriter) -> None:
    iam = session.client("iam")

    def _report() -> dict[str, Any]:
        resp = credential_report(iam)
        writer.write_text(CREDENTIAL_REPORT, resp["Content"].decode("utf-8"))
        return {"GeneratedTime": resp.get("GeneratedTime"), "ReportFormat": resp.get("ReportFormat")}

    try:
        step(writer, COLLECTOR, "GetCredentialReport", CREDENTIAL_REPORT_META, _report)
    except ReportNotReady as exc:
        writer.add_error(COLLECTOR, "GenerateCredentialReport", "ReportNotReady", str(exc), file=CREDENTIAL_REPORT)
    if not writer.has(CREDENTIAL_REPORT):
        # the report's error was recorded against the metadata file; the CSV is missing for the same reason
        for err in writer.errors:
            if err.file == CREDENTIAL_REPORT_META:
                writer.add_error(err.collector, err.operation, err.code, err.message, file=CREDENTIAL_REPORT)
                break

    step(writer, COLLECTOR, "GetAccountSummary", ACCOUNT_SUMMARY,
         lambda: strip_metadata(iam.get_account_summary()))

