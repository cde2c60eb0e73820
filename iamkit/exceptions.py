"""Accepted risks (``parameters/exceptions.yaml``): documented decisions to live with a finding.

File format (validated with pydantic; a malformed file is a one-line :class:`BadInputError`, exit 2)::

    exceptions:
      - check_id: iam.user.direct_policies      # exact check id (required)
        account: "123456789012"                 # optional: only this account
        resource: "arn:aws:iam::*:user/ci-*"    # optional: glob (fnmatch) on the finding's resource ARN
        reason: "CI users are managed by Terraform"
        owner: "platform-team@example.com"
        expires: 2027-06-30                     # ISO date; the entry stops applying after that day

A matching entry that has not expired is attached to the finding (``finding.exception``) when the
finding is a FAIL or MANUAL (a PASS, ERROR or NOT_APPLICABLE has no risk to accept); the status is kept,
so a report shows the FAIL *and* that it is accepted, never hides it. Expiry is judged against the
finding's ``observed_at`` (the bundle's collection time), so re-assessing old evidence is reproducible.
Expired entries and entries that matched no failing finding (e.g. the risk was fixed) are returned by
:func:`apply` so the CLI and the report can list them (``exceptions_report.json``).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from iamkit.errors import BadInputError
from iamkit.evidence import atomic_write
from iamkit.findings import AcceptedRisk, Finding, Status
from iamkit.settings import read_yaml_mapping

ACCEPTABLE = frozenset({Status.FAIL, Status.MANUAL})


class ExceptionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check_id: str = Field(min_length=1)
    account: str | None = None
    resource: str | None = None
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    @field_validator("account", mode="before")
    @classmethod
    def _account(cls, v: Any) -> str | None:
        if v is None:
            return None
        v = str(v)
        if not (len(v) == 12 and v.isdigit()):
            raise ValueError(f"'{v}' is not a 12-digit AWS account id")
        return v

    def matches(self, f: Finding) -> bool:
        return (f.check_id == self.check_id and (self.account is None or f.account_id == self.account)
                and (self.resource is None or fnmatch.fnmatchcase(f.resource_arn, self.resource)))

    def expired_at(self, when: date) -> bool:
        return self.expires < when

    def label(self) -> str:
        return f"{self.check_id} account={self.account or '*'} resource={self.resource or '*'} (owner {self.owner})"


class ExceptionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exceptions: list[ExceptionEntry] = Field(default_factory=list)


def load_exceptions(path: Path | str) -> list[ExceptionEntry]:
    """Entries of an exceptions file; one-line BadInputError when it is unreadable or malformed."""
    data = read_yaml_mapping(path, "exceptions",
                             "an exceptions file is a mapping with one key 'exceptions' (a list)")
    if not data:
        return []
    try:
        parsed = ExceptionsFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise BadInputError(f"{path}: {loc}: {err['msg']}") from None
    from iamkit.checks.registry import metadata

    unknown = sorted({e.check_id for e in parsed.exceptions} - set(metadata()))
    if unknown:
        raise BadInputError(f"{path}: unknown check_id {unknown[0]}")
    return parsed.exceptions


def apply(findings: Iterable[Finding], entries: list[ExceptionEntry]) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Attach matching unexpired entries; return (findings, report rows of expired/unmatched entries).

    The first matching unexpired entry (file order) wins. Report rows: ``{entry..., state: expired |
    unmatched, matched: n}``; an expired entry that still matches findings is listed with their count.
    """
    findings = list(findings)
    if not entries:
        return findings, []
    by_check: dict[str, list[tuple[int, ExceptionEntry]]] = {}
    for i, e in enumerate(entries):
        by_check.setdefault(e.check_id, []).append((i, e))
    used = [0] * len(entries)
    expired_hits = [0] * len(entries)
    out = []
    for f in findings:
        risk = None
        for i, e in by_check.get(f.check_id, ()) if f.status in ACCEPTABLE else ():
            if not e.matches(f):
                continue
            if e.expired_at(f.observed_at.date()):
                expired_hits[i] += 1
                continue
            used[i] += 1
            risk = AcceptedRisk(reason=e.reason, owner=e.owner, expires=e.expires.isoformat())
            break
        out.append(f if risk is None else f.model_copy(update={"exception": risk}))
    report = []
    for i, e in enumerate(entries):
        if used[i]:
            continue
        state = "expired" if expired_hits[i] else "unmatched"
        report.append({**e.model_dump(mode="json"), "state": state, "matched": expired_hits[i],
                       "message": (f"expired on {e.expires.isoformat()} and no longer applies to {expired_hits[i]} "
                                   "finding(s)") if state == "expired" else "matched no FAIL or MANUAL finding"})
    return out, report


def write_report(rows: list[dict[str, Any]], path: Path) -> None:
    atomic_write(Path(path), json.dumps(rows, indent=1).encode())
