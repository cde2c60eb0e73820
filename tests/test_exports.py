"""OCSF Compliance Finding and ASFF exports validated against compact JSON schemas of their required fields.

OCSF 1.1 Compliance Finding (class_uid 2003) extends Finding extends Base Event: required activity_id,
category_uid, class_uid, type_uid, severity_id, time, metadata (version, product with vendor_name),
finding_info (uid, title), compliance (standards). ASFF 2018-10-08 required top-level fields per the
Security Hub user guide ("AWS Security Finding Format (ASFF)": SchemaVersion, Id, ProductArn, GeneratorId,
AwsAccountId, Types, CreatedAt, UpdatedAt, Severity, Title, Description, Resources).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from iamkit.exports import to_asff, to_ocsf, write_all
from iamkit.findings import AcceptedRisk, Evidence, Finding, Severity, Status

INT = {"type": "integer"}
STR = {"type": "string", "minLength": 1}
OCSF_SCHEMA = {
    "type": "object",
    "required": ["activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata",
                 "finding_info", "compliance"],
    "properties": {
        "activity_id": {"enum": [0, 1, 2, 3, 99]},
        "category_uid": {"const": 2},
        "class_uid": {"const": 2003},
        "type_uid": {"const": 200301},
        "severity_id": {"enum": [0, 1, 2, 3, 4, 5, 6, 99]},
        "time": INT,
        "metadata": {"type": "object", "required": ["version", "product"],
                     "properties": {"version": STR, "product": {"type": "object", "required": ["vendor_name"],
                                                                "properties": {"vendor_name": STR}}}},
        "finding_info": {"type": "object", "required": ["uid", "title"], "properties": {"uid": STR, "title": STR}},
        "compliance": {"type": "object", "required": ["standards"],
                       "properties": {"standards": {"type": "array", "items": STR, "minItems": 1},
                                      "status_id": {"enum": [0, 1, 2, 3, 99]}}},
        "resources": {"type": "array", "items": {"type": "object", "required": ["uid"]}},
    },
}
ISO = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"}
ASFF_SCHEMA = {
    "type": "object",
    "required": ["SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt",
                 "UpdatedAt", "Severity", "Title", "Description", "Resources"],
    "properties": {
        "SchemaVersion": {"const": "2018-10-08"},
        "Id": {"type": "string", "minLength": 1, "maxLength": 512},
        "ProductArn": {"type": "string", "pattern": r"^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:\d{12}:product/\d{12}/"},
        "GeneratorId": {"type": "string", "minLength": 1, "maxLength": 512},
        "AwsAccountId": {"type": "string", "pattern": r"^\d{12}$"},
        "Types": {"type": "array", "minItems": 1, "maxItems": 50,
                  "items": {"type": "string", "pattern": r"^[^/]+(/[^/]+){1,2}$"}},
        "CreatedAt": ISO, "UpdatedAt": ISO,
        "Severity": {"type": "object", "required": ["Label"],
                     "properties": {"Label": {"enum": ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]}}},
        "Title": {"type": "string", "minLength": 1, "maxLength": 256},
        "Description": {"type": "string", "minLength": 1, "maxLength": 1024},
        "Resources": {"type": "array", "minItems": 1, "maxItems": 32,
                      "items": {"type": "object", "required": ["Type", "Id"],
                                "properties": {"Type": STR, "Id": STR}}},
        "Compliance": {"type": "object", "required": ["Status"],
                       "properties": {"Status": {"enum": ["PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"]}}},
    },
}


def _finding(status: Status, **kw) -> Finding:
    base = dict(check_id="iam.root.mfa_enabled", status=status, severity=Severity.critical,
                account_id="111122223333", resource_arn="arn:aws:iam::111122223333:root", resource_type="AwsAccount",
                title="Root user has MFA enabled", detail="x" * 2000, remediation="do it",
                controls=["CIS-AWS-7.0:2.5", "CIS-AWS-5.0:1.4", "AWS-FSBP:IAM.9"],
                evidence=[Evidence(file="111122223333/iam/credential_report.csv", locator="user=<root_account>",
                                   sha256="ab" * 32)],
                observed_at=datetime(2026, 11, 1, 12, tzinfo=UTC), area="root")
    base.update(kw)
    return Finding(**base)


@pytest.mark.parametrize("status", list(Status))
def test_ocsf_and_asff_valid_for_every_status(status):
    f = _finding(status)
    jsonschema.validate(to_ocsf(f), OCSF_SCHEMA)
    jsonschema.validate(to_asff(f), ASFF_SCHEMA)


def test_asff_compliance_status_mapping():
    want = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.ERROR: "WARNING",
            Status.NOT_APPLICABLE: "NOT_AVAILABLE", Status.MANUAL: "WARNING"}
    assert {s: to_asff(_finding(s))["Compliance"]["Status"] for s in Status} == want


def test_ocsf_status_and_exception():
    f = _finding(Status.FAIL, exception=AcceptedRisk(reason="r", owner="o", expires="2027-01-01"))
    e = to_ocsf(f)
    assert e["compliance"]["status_id"] == 3 and e["unmapped"]["iamkit_status"] == "FAIL"
    assert e["compliance"]["standards"] == ["AWS-FSBP", "CIS-AWS-5.0", "CIS-AWS-7.0"]
    a = to_asff(f)
    assert a["Workflow"]["Status"] == "SUPPRESSED" and "Accepted risk" in a["Note"]["Text"]
    assert a["Compliance"]["Status"] == "FAILED"


def test_regional_and_analyzer_resources():
    f = _finding(Status.FAIL, region="eu-west-1", resource_arn="arn:aws:s3:::bucket", resource_type="AWS::S3::Bucket",
                 check_id="accessanalyzer.active_findings")
    a = to_asff(f)
    assert a["Region"] == "eu-west-1" and a["ProductArn"].startswith("arn:aws:securityhub:eu-west-1:")
    assert a["Resources"][0]["Type"] == "AwsS3Bucket"
    assert to_ocsf(f)["cloud"]["region"] == "eu-west-1"
    g = _finding(Status.PASS, resource_type="AwsIamServerCertificate")
    assert to_asff(g)["Resources"][0]["Type"] == "Other"


def test_write_all(tmp_path):
    paths = write_all([_finding(s) for s in Status], tmp_path)
    assert [p.name for p in paths] == ["findings.json", "findings.csv", "findings.ocsf.json", "findings.asff.json"]
    for e in json.loads((tmp_path / "findings.ocsf.json").read_text()):
        jsonschema.validate(e, OCSF_SCHEMA)
    asff = json.loads((tmp_path / "findings.asff.json").read_text())
    assert len(asff["Findings"]) == 5
    assert len({f["Id"] for f in asff["Findings"]}) == 1  # same check/resource -> same stable id
