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

One register, applied in one place: :func:`load_register` merges every source (the parameters'
``exceptions_file`` and ``iamkit assess --exceptions``; an entry present in both counts once),
:class:`~iamkit.report.assessment.Assessment` attaches it to each account's findings as they are made
(:func:`apply`), and :func:`unused_entries` reports, over all the findings of a run, the entries
that expired or matched no failing finding (``exceptions_report.json``), naming the file of each.
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


    def risk(self) -> AcceptedRisk:
        return AcceptedRisk(reason=self.reason, owner=self.owner, expires=self.expires.isoformat())


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


def load_register(paths: Iterable[Path | str | None]) -> list[tuple[str, ExceptionEntry]]:
    """``(source file, entry)`` of every file given (None skipped), in order; an entry that several files
    (or the same file given twice) contain is kept once, with its first file."""
    seen: set[ExceptionEntry] = set()
    out: list[tuple[str, ExceptionEntry]] = []
    done: set[Path] = set()
    for path in paths:
        if path is None or Path(path).resolve() in done:
            continue
        done.add(Path(path).resolve())
        for e in load_exceptions(path):
            if e not in seen:
                seen.add(e)
                out.append((str(path), e))
    return out


def _entries(entries: list[ExceptionEntry] | list[tuple[str, ExceptionEntry]]) -> list[tuple[str, ExceptionEntry]]:
    return [e if isinstance(e, tuple) else ("", e) for e in entries]


def apply(findings: Iterable[Finding], entries: list[ExceptionEntry] | list[tuple[str, ExceptionEntry]]
          ) -> list[Finding]:
    """Findings with the first matching unexpired entry (register order) attached to each FAIL/MANUAL."""
    findings = list(findings)
    by_check: dict[str, list[ExceptionEntry]] = {}
    for _src, e in _entries(entries):
        by_check.setdefault(e.check_id, []).append(e)
    if not by_check:
        return findings
    out = []
    for f in findings:
        risk = None
        for e in by_check.get(f.check_id, ()) if f.status in ACCEPTABLE else ():
            if e.matches(f) and not e.expired_at(f.observed_at.date()):
                risk = e.risk()
                break
        out.append(f if risk is None else f.model_copy(update={"exception": risk}))
    return out


def unused_entries(findings: Iterable[Finding], entries: list[ExceptionEntry] | list[tuple[str, ExceptionEntry]]
                   ) -> list[dict[str, Any]]:
    """Report rows of the entries that expired or matched no FAIL/MANUAL finding among ``findings`` (all the
    findings of a run, already carrying their accepted risks): ``{entry..., file, state: expired |
    unmatched, matched: n, message}``. An expired entry is listed with the findings it would still match."""
    findings = [f for f in findings if f.status in ACCEPTABLE]
    rows = []
    for src, e in _entries(entries):
        mine = [f for f in findings if e.matches(f)]
        if any(f.exception == e.risk() for f in mine):
            continue
        expired = sum(1 for f in mine if e.expired_at(f.observed_at.date()))
        state = "expired" if expired else "unmatched"
        rows.append({**e.model_dump(mode="json"), "file": src, "state": state, "matched": expired,
                     "message": (f"expired on {e.expires.isoformat()} and no longer applies to {expired} finding(s)")
                     if state == "expired" else "matched no FAIL or MANUAL finding"})
    return rows


def write_report(rows: list[dict[str, Any]], path: Path) -> None:
    atomic_write(Path(path), json.dumps(rows, indent=1).encode())
