"""Findings: one record per check per resource (DESIGN.md section 4), and their exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from iamkit.errors import BadInputError
from iamkit.evidence import atomic_write_chunks


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    MANUAL = "MANUAL"


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    informational = "informational"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)  # 0 = critical


#: order in which statuses are "worse" (for roll-ups: worst status of an area)
STATUS_ORDER = [Status.FAIL, Status.ERROR, Status.MANUAL, Status.PASS, Status.NOT_APPLICABLE]


class Evidence(BaseModel):
    model_config = ConfigDict(frozen=True)
    file: str
    locator: str = ""
    sha256: str | None = None


class AcceptedRisk(BaseModel):
    model_config = ConfigDict(frozen=True)
    reason: str
    owner: str
    expires: str


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True, use_enum_values=False)

    check_id: str
    status: Status
    severity: Severity
    account_id: str
    region: str = "global"
    resource_arn: str
    resource_type: str
    title: str
    detail: str
    remediation: str = ""
    controls: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    exception: AcceptedRisk | None = None
    observed_at: datetime
    area: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of a finding across runs (for diff)."""
        return (self.check_id, self.account_id, self.region, self.resource_arn)


CSV_FIELDS = ["check_id", "status", "severity", "account_id", "region", "resource_arn", "resource_type",
              "title", "detail", "remediation", "controls", "evidence", "exception", "observed_at", "area"]


def sort_key(f: Finding) -> tuple[Any, ...]:
    return (STATUS_ORDER.index(f.status), f.severity.rank, f.account_id, f.check_id, f.resource_arn)


def to_records(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [f.model_dump(mode="json") for f in findings]


def json_array(items: Iterable[Any]) -> Iterator[bytes]:
    """Chunks of a JSON array with one compact item per line: C-encoder speed, still diff- and grep-friendly,
    and never the whole document in memory at once."""
    yield b"["
    sep = b"\n"
    for item in items:
        yield sep + json.dumps(item, separators=(",", ":")).encode()
        sep = b",\n"
    yield b"\n]\n"


def write_json(findings: Iterable[Finding] | list[dict[str, Any]], path: Path) -> None:
    recs = findings if isinstance(findings, list) and (not findings or isinstance(findings[0], dict)) \
        else to_records(findings)
    atomic_write_chunks(Path(path), json_array(recs))


def write_csv(findings: Iterable[Finding] | list[dict[str, Any]], path: Path) -> None:
    recs = findings if isinstance(findings, list) and (not findings or isinstance(findings[0], dict)) \
        else to_records(findings)

    def chunks() -> Iterator[bytes]:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
        w.writeheader()
        for i, rec in enumerate(recs, 1):
            rec = dict(rec)
            rec["controls"] = ";".join(rec["controls"])
            rec["evidence"] = ";".join(f"{e['file']}#{e['locator']}" for e in rec["evidence"])
            rec["exception"] = json.dumps(rec["exception"]) if rec["exception"] else ""
            w.writerow(rec)
            if i % 2000 == 0:
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue().encode()

    atomic_write_chunks(Path(path), chunks())


def load_json(path: Path) -> list[Finding]:
    try:
        data = json.loads(Path(path).read_text())
        return [Finding.model_validate(rec) for rec in data]
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise BadInputError(f"{path}: not a findings file ({first})") from None

