"""Helpers every model table shares: frames, dates, the partition, :class:`MissingEvidence`."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from iamkit.errors import EvidenceError
from iamkit.evidence import AUTHORIZATION_DETAILS, CREDENTIAL_REPORT, Bundle
from iamkit.policy.document import policy_dict
from iamkit.reads import context_reads, fact

#: what AWS writes in a credential report date column that holds no date
_NO_DATE = ["N/A", "no_information", "not_supported"]


class MissingEvidence(Exception):
    """A fact a check needs is not in the bundle; ``str()`` says which file and why."""

    def __init__(self, bundle: Bundle, relpath: str) -> None:
        self.relpath = relpath
        super().__init__(f"{relpath}: {bundle.missing_reason(relpath)}")


_PARTITION_RE = re.compile(r"arn:(aws[a-z0-9-]*):")


def partition_of(bundle: Bundle) -> str:
    """The partition named by the first ARN of the caller identity, credential report or GAAD."""
    identity = bundle.manifest.get("caller_identity") or {}
    sources: list[Any] = [identity.get("Arn")]
    with context_reads():  # locating the account, not evidence a verdict rests on
        for rel in (CREDENTIAL_REPORT, AUTHORIZATION_DETAILS):
            if not bundle.has(rel):
                continue
            try:
                sources.append(bundle.read_bytes(rel)[:65536].decode("utf-8", "replace"))
            except EvidenceError:  # an altered file: every check that reads it says ERROR; try the next source
                continue
    for text in sources:
        m = _PARTITION_RE.search(text) if isinstance(text, str) else None
        if m:
            return m.group(1)
    return "aws"



def _dt(values: Any, strict: str | None = None) -> pd.Series:
    """Strings/datetimes -> UTC timestamps (NaT for empty values and AWS's N/A markers). With ``strict``
    (a phrase naming the file and field), a value that is not a date raises :class:`EvidenceError`
    instead of becoming NaT, so a fact a check needs never silently vanishes."""
    s = pd.Series(values, dtype="object")
    if s.empty:
        return pd.Series([], dtype="datetime64[ns, UTC]")
    text = s.astype("string").where(~s.astype("string").isin(_NO_DATE))
    out = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if strict is not None:
        bad = text.notna() & (text.str.strip() != "") & out.isna()
        if bool(bad.any()):
            raise EvidenceError(f"{strict}: {int(bad.sum())} value(s) are not dates (e.g. {text[bad].iloc[0]!r})")
    return out


#: a policy document of the evidence as a dict: the one decoder, shared with :func:`iamkit.policy.parse_policy`
_doc = policy_dict


def _frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)


def _days(now: datetime, ts: pd.Series) -> pd.Series:
    """Whole days from ``ts`` to ``now`` (float, NaN where ``ts`` is NaT)."""
    return np.floor((pd.Timestamp(now) - ts).dt.total_seconds() / 86400.0)


class BundleFacts:
    """What every part of an account model shares: the bundle, its collection time, reading a file
    (raising :class:`MissingEvidence` when it is absent), the partition and the root ARN."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.account_id = bundle.account_id
        self.now: datetime = bundle.collected_at

    def require(self, relpath: str) -> None:
        if not self.bundle.has(relpath):
            raise MissingEvidence(self.bundle, relpath)

    def json(self, relpath: str) -> Any:
        self.require(relpath)
        return self.bundle.json(relpath)

    def ref(self, relpath: str, locator: str = "") -> dict[str, Any]:
        return self.bundle.ref(relpath, locator)

    @fact
    def partition(self) -> str:
        """The AWS partition (``aws``, ``aws-us-gov``, ``aws-cn`` ...) of the account, read from the
        evidence: the caller identity ARN in the manifest, else the credential report's ARNs, else the
        ARNs in GAAD. ``aws`` only when no ARN at all is in the bundle (nothing is then built on it but
        the root ARN that names the account's findings)."""
        return partition_of(self.bundle)

    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def is_root_arn(self, arn: Any) -> bool:
        """True for this account's root user ARN in any partition."""
        return isinstance(arn, str) and bool(re.fullmatch(rf"arn:[a-z0-9-]+:iam::{self.account_id}:root", arn))

