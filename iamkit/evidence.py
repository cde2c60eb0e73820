"""Evidence bundles: one folder per account (or ``organization``) with raw API responses.

Layout and manifest follow DESIGN.md section 3. Decisions:

* A bundle is written into a staging folder beside its final place and moved into place by
  ``finish()``; re-collecting replaces the old bundle whole, and a killed collection never
  leaves a half-written bundle behind that could read as complete.
* Every file gets a sha256 and byte count in ``manifest.json``. Reading a file through
  :class:`Bundle` verifies its hash, so a finding never rests on evidence that was altered.
  Every command that reads evidence loads it through :func:`load_bundles`, which verifies every file
  first and refuses an altered bundle with one line naming the file. ``allow_modified=True``
  (``--allow-modified``) reads altered files anyway; :attr:`Bundle.altered` lists them so every
  output can say so (findings, report cover, run.json).
* A collector that is denied or fails records an error (``collector, operation, region, code,
  message`` and the ``file`` it would have written) and writes no file: a missing file is
  "unknown", never "nothing there".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamkit import __version__
from iamkit.errors import EvidenceError
from iamkit.reads import note_read

SCHEMA_VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)
MANIFEST = "manifest.json"

#: the bundle layout of an account (DESIGN.md section 3): one name per file, shared by the collectors,
#: ``iamkit import`` and the model, so a file is named in one place only
AUTHORIZATION_DETAILS = "iam/authorization_details.json"
CREDENTIAL_REPORT = "iam/credential_report.csv"
CREDENTIAL_REPORT_META = "iam/credential_report.json"
ACCOUNT_SUMMARY = "iam/account_summary.json"
PASSWORD_POLICY = "iam/password_policy.json"
VIRTUAL_MFA_DEVICES = "iam/virtual_mfa_devices.json"
PROVIDERS = "iam/providers.json"
SERVER_CERTIFICATES = "iam/server_certificates.json"
ACCOUNT_ALIASES = "iam/account_aliases.json"
ORGANIZATIONS_FEATURES = "iam/organizations_features.json"
ROOT_ACTIVITY = "cloudtrail/root_activity.json"
REGIONS = "regions.json"
#: IAM Identity Center, in the organization bundle (``iamkit/collect/identity_center.py``)
SSO_INSTANCES = "identity_center/instances.json"
SSO_PERMISSION_SETS = "identity_center/permission_sets.json"
SSO_ASSIGNMENTS = "identity_center/assignments.json"
SSO_USERS = "identity_center/users.json"
SSO_GROUPS = "identity_center/groups.json"
SSO_GROUP_MEMBERSHIPS = "identity_center/group_memberships.json"
ORGANIZATION = "organization"
#: the organization bundle's files (``iamkit/collect/organizations.py``); ``OrgModel.json`` takes the bare name
ORG_DIR = "organizations/"
ORG_ORGANIZATION = f"{ORG_DIR}organization.json"
ORG_ROOTS = f"{ORG_DIR}roots.json"
ORG_OUS = f"{ORG_DIR}ous.json"
ORG_ACCOUNTS = f"{ORG_DIR}accounts.json"
ORG_POLICIES = f"{ORG_DIR}policies.json"
ORG_TARGETS = f"{ORG_DIR}targets.json"
ORG_DELEGATED_ADMINISTRATORS = f"{ORG_DIR}delegated_administrators.json"
ORG_FEATURES = f"{ORG_DIR}organizations_features.json"
#: IAM Access Analyzer, one file per region of an account bundle (``iamkit/collect/access_analyzer.py``)
ANALYZER_DIR = "access_analyzer/"


def analyzer_file(region: str) -> str:
    return f"{ANALYZER_DIR}{region}.json"


def evidence_key(scope: str, relpath: str) -> str:
    """How a declared read names a file: ``iam/...`` in an account bundle, ``organization/...`` otherwise."""
    return f"{ORGANIZATION}/{relpath}" if scope == ORGANIZATION else relpath



def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return iso(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, indent=1, sort_keys=True, default=_json_default).encode()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    atomic_write_chunks(path, (data,))


def atomic_write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """Like :func:`atomic_write`, streamed: ``chunks`` are written one after the other, then renamed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.chmod(tmp, 0o644 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class CollectionErrorRecord:
    collector: str
    operation: str
    region: str
    code: str
    message: str
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class BundleWriter:
    """Writes one bundle. Use as ``with BundleWriter(dest, ...) as w: ...`` or call ``finish``."""

    dest: Path
    account_id: str
    source: str = "aws"
    scope: str = "account"
    _files: dict[str, dict[str, Any]] = field(default_factory=dict)
    _errors: list[CollectionErrorRecord] = field(default_factory=list)
    _calls: Counter = field(default_factory=Counter)
    _stage: Path | None = None
    started_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self.dest = Path(self.dest)
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self._stage = Path(tempfile.mkdtemp(dir=self.dest.parent, prefix=f".{self.dest.name}.staging."))

    # -- writing -------------------------------------------------------------------------------
    def write_bytes(self, relpath: str, data: bytes) -> None:
        assert self._stage is not None, "bundle already finished"
        atomic_write(self._stage / relpath, data)
        self._files[relpath] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}

    def write_json(self, relpath: str, obj: Any) -> None:
        self.write_bytes(relpath, dumps(obj))

    def write_text(self, relpath: str, text: str) -> None:
        self.write_bytes(relpath, text.encode())

    def record_call(self, service: str, operation: str, n: int = 1) -> None:
        self._calls[f"{service}:{operation}"] += n

    def add_calls(self, counts: dict[str, int]) -> None:
        self._calls.update(counts)

    def add_error(self, collector: str, operation: str, code: str, message: str, *,
                  region: str = "global", file: str | None = None) -> None:
        self._errors.append(CollectionErrorRecord(collector, operation, region, code, message, file))

    @property
    def errors(self) -> list[CollectionErrorRecord]:
        return list(self._errors)

    def has(self, relpath: str) -> bool:
        return relpath in self._files

    # -- finishing -----------------------------------------------------------------------------
    def finish(self, *, caller_identity: dict[str, Any] | None, regions: Iterable[str] = (),
               extra: dict[str, Any] | None = None, collected_at: datetime | None = None) -> Path:
        assert self._stage is not None, "bundle already finished"
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "scope": self.scope,
            "account_id": self.account_id,
            "source": self.source,
            "collected_at": iso(collected_at or utcnow()),
            "collection_started_at": iso(self.started_at),
            "caller_identity": _public_identity(caller_identity),
            "iamkit_version": __version__,
            "regions": sorted(set(regions)),
            "operations": dict(sorted(self._calls.items())),
            "files": dict(sorted(self._files.items())),
            "errors": [e.as_dict() for e in self._errors],
            **(extra or {}),
        }
        atomic_write(self._stage / MANIFEST, dumps(manifest))
        old = None
        if self.dest.exists():
            old = self.dest.with_name(f".{self.dest.name}.old.{os.getpid()}")
            os.replace(self.dest, old)
        os.replace(self._stage, self.dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self._stage = None
        return self.dest

    def abort(self) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None


def _public_identity(identity: dict[str, Any] | None) -> dict[str, Any] | None:
    """Keep only Account, Arn and UserId of GetCallerIdentity (never response metadata)."""
    if not identity:
        return None
    return {k: identity[k] for k in ("Account", "Arn", "UserId") if k in identity}


class Bundle:
    """A bundle on disk, read-only. Files are verified against the manifest when read."""

    def __init__(self, path: Path, *, allow_modified: bool = False) -> None:
        self.path = Path(path)
        #: read files whose bytes no longer match the manifest instead of refusing them (--allow-modified)
        self.allow_modified = allow_modified
        mpath = self.path / MANIFEST
        if not mpath.is_file():
            raise EvidenceError(f"{self.path}: not an evidence bundle (no {MANIFEST})")
        try:
            self.manifest: dict[str, Any] = json.loads(mpath.read_bytes())
        except (OSError, ValueError) as exc:
            raise EvidenceError(f"{mpath}: unreadable manifest ({exc})") from None
        for key in ("schema_version", "account_id", "collected_at", "files"):
            if key not in self.manifest:
                raise EvidenceError(f"{mpath}: manifest lacks '{key}'")
        if self.manifest["schema_version"] != SCHEMA_VERSION:
            raise EvidenceError(f"{mpath}: schema_version {self.manifest['schema_version']} is not "
                                f"{SCHEMA_VERSION}; re-collect with this iamkit version")
        self._cache: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"Bundle({str(self.path)!r})"

    @property
    def account_id(self) -> str:
        return str(self.manifest["account_id"])

    @property
    def scope(self) -> str:
        return str(self.manifest.get("scope", "account"))

    @property
    def source(self) -> str:
        return str(self.manifest.get("source", "aws"))

    @property
    def collected_at(self) -> datetime:
        return parse_time(self.manifest["collected_at"])

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("errors", []))

    def has(self, relpath: str) -> bool:
        note_read(evidence_key(self.scope, relpath))
        return relpath in self.manifest["files"]

    def sha256(self, relpath: str) -> str | None:
        entry = self.manifest["files"].get(relpath)
        return entry["sha256"] if entry else None

    def read_bytes(self, relpath: str) -> bytes:
        note_read(evidence_key(self.scope, relpath))
        if relpath in self._cache:
            return self._cache[relpath]
        entry = self.manifest["files"].get(relpath)
        if entry is None:
            raise EvidenceError(f"{self.path}: {relpath} is not in the bundle ({self.missing_reason(relpath)})")
        try:
            data = (self.path / relpath).read_bytes()
        except OSError as exc:
            raise EvidenceError(f"{self.path}: {relpath} listed in the manifest but unreadable ({exc})") from None
        if hashlib.sha256(data).hexdigest() != entry["sha256"] and not self.allow_modified:
            raise EvidenceError(f"{self.path}: {relpath} does not match its sha256 in the manifest "
                                "(the evidence was altered after collection)")
        self._cache[relpath] = data
        return data

    def json(self, relpath: str) -> Any:
        try:
            return json.loads(self.read_bytes(relpath))
        except ValueError as exc:
            raise EvidenceError(f"{self.path}: {relpath} is not valid JSON ({exc})") from None

    def csv_rows(self, relpath: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.read_bytes(relpath).decode("utf-8-sig"))))

    def missing_reason(self, relpath: str) -> str:
        """Why a file is absent, in one phrase, from the manifest's error records."""
        for err in self.errors:
            if err.get("file") == relpath:
                where = "" if err.get("region") in (None, "global") else f" in {err['region']}"
                return (f"{err['operation']} failed{where}: {err['code']}: {err['message']}")
        if self.source == "offline":
            return "not supplied with the exported evidence"
        return "not collected"

    def ref(self, relpath: str, locator: str = "") -> dict[str, Any]:
        """The ``evidence`` field of a finding: where in the bundle a fact comes from."""
        note_read(evidence_key(self.scope, relpath))
        folder = ORGANIZATION if self.scope == ORGANIZATION else self.account_id  # evidence/organization/...
        return {"file": f"{folder}/{relpath}", "locator": locator, "sha256": self.sha256(relpath)}

    def verify(self) -> list[str]:
        """Problems with the bundle's integrity, one line each naming the file; empty when every file
        matches its hash (whatever ``allow_modified`` says)."""
        problems = []
        for relpath in self.manifest["files"]:
            path = self.path / relpath
            try:
                data = path.read_bytes()
            except OSError as exc:
                problems.append(f"{self.path}: {relpath} listed in the manifest but unreadable ({exc.strerror})")
                continue
            if hashlib.sha256(data).hexdigest() != self.manifest["files"][relpath]["sha256"]:
                problems.append(f"{self.path}: {relpath} does not match its sha256 in the manifest (the evidence "
                                "was altered after collection)")
        return problems

    @property
    def altered(self) -> list[str]:
        """Files (relative paths) that are missing or no longer match the manifest."""
        if not hasattr(self, "_altered"):
            prefix = f"{self.path}: "
            self._altered = [p[len(prefix):].split(" ", 1)[0] for p in self.verify()]
        return self._altered


def iter_bundle_dirs(paths: Iterable[Path]) -> Iterator[Path]:
    """Bundle folders found in ``paths``: a bundle itself, or any folder containing bundles
    (a run folder, ``DIR`` or ``DIR/evidence``), searched two levels deep."""
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise EvidenceError(f"{p}: no such folder")
        candidates = [p] if (p / MANIFEST).is_file() else sorted(
            {m.parent for pattern in (f"*/{MANIFEST}", f"evidence/*/{MANIFEST}") for m in p.glob(pattern)})
        for c in candidates:
            if c.resolve() not in seen and not c.name.startswith("."):
                seen.add(c.resolve())
                yield c


ALLOW_MODIFIED_HINT = "refusing altered evidence (--allow-modified assesses it anyway and says so in every output)"


def check_integrity(bundle: Bundle) -> Bundle:
    """``bundle`` when every file matches its manifest or altered evidence is allowed; else one-line
    :class:`EvidenceError` naming the first altered file."""
    if not bundle.allow_modified and bundle.altered:
        raise EvidenceError(f"{bundle.verify()[0]}; {ALLOW_MODIFIED_HINT}")
    return bundle


def load_bundles(paths: Iterable[Path], *, allow_modified: bool = False) -> tuple[list[Bundle], Bundle | None]:
    """Account bundles and the organization bundle (if any) under ``paths``, each verified against its
    manifest (:func:`check_integrity`)."""
    accounts, org = [], None
    for d in iter_bundle_dirs(paths):
        b = check_integrity(Bundle(d, allow_modified=allow_modified))
        if b.scope == ORGANIZATION:
            org = b
        else:
            accounts.append(b)
    if not accounts:
        raise EvidenceError("no account evidence bundle found in " + ", ".join(str(p) for p in paths))
    return accounts, org
