"""Machine-readable exports of findings besides ``findings.json``/``findings.csv`` (iamkit.findings).

* ``findings.ocsf.json``: a JSON array of OCSF 1.1 **Compliance Finding** events (class_uid 2003,
  category_uid 2 Findings, activity_id 1 Create, type_uid 200301). Required attributes filled:
  activity_id, category_uid, class_uid, type_uid, severity_id, time, metadata{version, product{name,
  vendor_name, version}}, finding_info{uid, title}, compliance{standards}. ``compliance.status_id``:
  PASS 1 Pass, FAIL 3 Fail, ERROR and MANUAL 2 Warning ("did not yield a result"), NOT_APPLICABLE
  99 Other (status "Not Applicable"); iamkit's own status is kept in ``unmapped.iamkit_status``.
* ``findings.asff.json``: ``{"Findings": [...]}`` in the AWS Security Finding Format (SchemaVersion
  2018-10-08) for ``aws securityhub batch-import-findings``: every required field, Compliance.Status
  PASS->PASSED, FAIL->FAILED, ERROR->WARNING, NOT_APPLICABLE->NOT_AVAILABLE, MANUAL->WARNING. An accepted
  risk sets ``Workflow.Status`` SUPPRESSED and a ``Note`` (the FAIL stays visible).

Both are pure functions of the findings (no clock): ``time``/``CreatedAt``/``UpdatedAt`` are the
finding's ``observed_at`` (the bundle's collection time).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from iamkit import __version__
from iamkit.evidence import atomic_write_chunks, iso
from iamkit.findings import Finding, Status, json_array, to_records, write_csv, write_json

OCSF_VERSION = "1.1.0"
OCSF_SEVERITY = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
OCSF_COMPLIANCE = {Status.PASS: (1, "Pass"), Status.FAIL: (3, "Fail"), Status.ERROR: (2, "Warning"),
                   Status.MANUAL: (2, "Warning"), Status.NOT_APPLICABLE: (99, "Not Applicable")}
ASFF_STATUS = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.ERROR: "WARNING",
               Status.NOT_APPLICABLE: "NOT_AVAILABLE", Status.MANUAL: "WARNING"}
ASFF_SEVERITY = {"informational": "INFORMATIONAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH",
                 "critical": "CRITICAL"}
ASFF_RESOURCE_TYPES = {"AwsAccount", "AwsIamUser", "AwsIamRole", "AwsIamPolicy", "AwsIamAccessKey", "AwsIamGroup",
                       "AwsS3Bucket", "AwsKmsKey", "AwsLambdaFunction", "AwsSqsQueue", "AwsSnsTopic",
                       "AwsSecretsManagerSecret"}
ASFF_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
HOME_REGION = "us-east-1"


def finding_uid(f: Finding) -> str:
    """Stable id of a finding (same check, account, region and resource -> same id across runs)."""
    raw = f"iamkit/{f.account_id}/{f.region}/{f.check_id}/{f.resource_arn}"
    return raw if len(raw) <= 500 else raw[:440] + "/" + hashlib.sha256(raw.encode()).hexdigest()


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def to_ocsf(f: Finding) -> dict[str, Any]:
    status_id, status = OCSF_COMPLIANCE[f.status]
    region = None if f.region == "global" else f.region
    event: dict[str, Any] = {
        "activity_id": 1, "activity_name": "Create",
        "category_uid": 2, "category_name": "Findings",
        "class_uid": 2003, "class_name": "Compliance Finding",
        "type_uid": 200301, "type_name": "Compliance Finding: Create",
        "severity_id": OCSF_SEVERITY[f.severity.value], "severity": f.severity.value.capitalize(),
        "time": int(f.observed_at.timestamp() * 1000),
        "status_id": 1, "status": "New",
        "message": f.detail,
        "metadata": {"version": OCSF_VERSION, "product": {"name": "iamkit", "vendor_name": "iamkit",
                                                          "version": __version__}},
        "finding_info": {"uid": finding_uid(f), "title": f.title, "desc": f.detail,
                         "types": [f.area or "iam"], "created_time": int(f.observed_at.timestamp() * 1000)},
        "compliance": {"standards": sorted({c.split(":", 1)[0] for c in f.controls}) or ["iamkit"],
                       "requirements": list(f.controls), "control": f.check_id,
                       "status_id": status_id, "status": status, "status_detail": f.detail},
        "cloud": {"provider": "AWS", "account": {"uid": f.account_id}, **({"region": region} if region else {})},
        "resources": [{"uid": f.resource_arn, "type": f.resource_type, "cloud_partition": _partition(f.resource_arn),
                       **({"region": region} if region else {})}],
        "unmapped": {"iamkit_status": f.status.value,
                     "evidence": [{"file": e.file, "locator": e.locator, "sha256": e.sha256} for e in f.evidence],
                     "exception": f.exception.model_dump() if f.exception else None},
    }
    if f.remediation:
        event["remediation"] = {"desc": f.remediation}
    return event


def _asff_resource_type(t: str) -> str:
    if t.startswith("AWS::"):
        t = "Aws" + "".join(t.split("::")[1:])
    return t if t in ASFF_RESOURCE_TYPES else "Other"


def to_asff(f: Finding) -> dict[str, Any]:
    region = HOME_REGION if f.region == "global" else f.region
    ts = iso(f.observed_at)
    out: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_uid(f),
        "ProductArn": f"arn:{_partition(f.resource_arn)}:securityhub:{region}:{f.account_id}:product/{f.account_id}"
                      "/default",
        "ProductName": "iamkit",
        "CompanyName": "iamkit",
        "GeneratorId": f"iamkit/{f.check_id}",
        "AwsAccountId": f.account_id,
        "Region": region,
        "Types": [f"{ASFF_TYPE}/{std}" for std in sorted({c.split(":", 1)[0] for c in f.controls})] or [ASFF_TYPE],
        "CreatedAt": ts, "UpdatedAt": ts,
        "Severity": {"Label": ASFF_SEVERITY[f.severity.value]},
        "Title": _cut(f.title, 256),
        "Description": _cut(f.detail, 1024),
        "Resources": [{"Type": _asff_resource_type(f.resource_type), "Id": f.resource_arn,
                       "Partition": _partition(f.resource_arn), "Region": region}],
        "Compliance": {"Status": ASFF_STATUS[f.status], "RelatedRequirements": list(f.controls)[:32]},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "SUPPRESSED" if f.exception else "NEW"},
        "ProductFields": {"iamkit/Status": f.status.value, "iamkit/CheckId": f.check_id,
                          "iamkit/Evidence": _cut(";".join(f"{e.file}#{e.locator}" for e in f.evidence), 1024)},
    }
    if f.remediation:
        out["Remediation"] = {"Recommendation": {"Text": _cut(f.remediation, 512)}}
    if f.exception:
        out["Note"] = {"Text": _cut(f"Accepted risk until {f.exception.expires}: {f.exception.reason}", 512),
                       "UpdatedBy": _cut(f.exception.owner, 512), "UpdatedAt": ts}
    return out


def write_ocsf(findings: Iterable[Finding], path: Path) -> None:
    atomic_write_chunks(Path(path), json_array(to_ocsf(f) for f in findings))


def write_asff(findings: Iterable[Finding], path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"Findings":'
        yield from json_array(to_asff(f) for f in findings)
        yield b"}\n"

    atomic_write_chunks(Path(path), chunks())


def write_all(findings: list[Finding], out: Path) -> list[Path]:
    """findings.json, findings.csv, findings.ocsf.json and findings.asff.json in ``out``."""
    out = Path(out)
    paths = [out / "findings.json", out / "findings.csv", out / "findings.ocsf.json", out / "findings.asff.json"]
    records = to_records(findings)
    write_json(records, paths[0])
    write_csv(records, paths[1])
    write_ocsf(findings, paths[2])
    write_asff(findings, paths[3])
    return paths
