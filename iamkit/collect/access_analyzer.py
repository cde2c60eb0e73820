"""IAM Access Analyzer: analyzers and their ACTIVE findings in every collected region.

``access_analyzer/<region>.json`` is ``{"analyzers": [AnalyzerSummary...], "findings": {<analyzer
arn>: [finding...]}}``. Analyzers of every type are listed (ACCOUNT and ORGANIZATION external access,
ACCOUNT_UNUSED_ACCESS and ORGANIZATION_UNUSED_ACCESS). Findings are the ACTIVE ones only: external
access analyzers through ListFindings (whose summaries carry ``principal``, ``isPublic``,
``action``, ``condition``), unused access analyzers through ListFindingsV2 (``findingType``), filtered on
the four unused finding types. Both operations need the one IAM action ``access-analyzer:ListFindings``
(API Reference, ListFindingsV2). Only
analyzers with status ACTIVE are asked for findings. An empty ``analyzers`` list means "no analyzer
in this region" (AWS answered); a denied or unavailable service writes no file and a manifest error.
"""

from __future__ import annotations

from typing import Any

from iamkit.aws.session import AWS_ERRORS, AwsSession, error_code, one_line
from iamkit.collect.base import paginate
from iamkit.evidence import BundleWriter, analyzer_file

COLLECTOR = "access_analyzer"
OPERATIONS = frozenset({
    ("accessanalyzer", "ListAnalyzers"),
    ("accessanalyzer", "ListFindings"),
    ("accessanalyzer", "ListFindingsV2"),
})
#: evidence file (one per region) -> the operations it needs
FILES = {"access_analyzer/*.json": OPERATIONS}
EXTERNAL_TYPES = frozenset({"ACCOUNT", "ORGANIZATION"})
UNUSED_TYPES = frozenset({"ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS"})
ACTIVE_FILTER = {"status": {"eq": ["ACTIVE"]}}
#: ListFindingsV2 filter of unused-access analyzers ("findingType" filters unused access findings only; IAM User
#: Guide, "IAM Access Analyzer filter keys")
UNUSED_FILTER = {**ACTIVE_FILTER, "findingType": {"eq": ["UnusedIAMRole", "UnusedIAMUserAccessKey",
                                                         "UnusedIAMUserPassword", "UnusedPermission"]}}


path = analyzer_file  # the per-region file, named in iamkit.evidence


def region_evidence(client: Any) -> dict[str, Any]:
    analyzers = paginate(client, "list_analyzers", "analyzers")
    findings: dict[str, list[Any]] = {}
    for a in analyzers:
        if a.get("status") != "ACTIVE":
            continue
        if a.get("type") in EXTERNAL_TYPES:
            findings[a["arn"]] = paginate(client, "list_findings", "findings", analyzerArn=a["arn"],
                                          filter=ACTIVE_FILTER)
        else:
            findings[a["arn"]] = paginate(client, "list_findings_v2", "findings", analyzerArn=a["arn"],
                                          filter=UNUSED_FILTER if a.get("type") in UNUSED_TYPES else ACTIVE_FILTER)
    return {"analyzers": analyzers, "findings": findings}


def collect(session: AwsSession, writer: BundleWriter, regions: list[str]) -> None:
    for region in regions:
        try:
            data = region_evidence(session.client("accessanalyzer", region))
        except AWS_ERRORS as exc:
            op = getattr(exc, "operation_name", None) or "ListAnalyzers"
            writer.add_error(COLLECTOR, op, error_code(exc), one_line(exc), region=region, file=path(region))
            continue
        writer.write_json(path(region), data)
