"""A run's options, its state passed from stage to stage, and what it writes about itself: ``run.json``
(rewritten atomically after every account), the settings fingerprint that ``--resume`` compares and
``parameters.resolved.yaml`` (the settings every notebook of the run loads)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from iamkit import __version__
from iamkit.aws.session import AwsTarget
from iamkit.evidence import Bundle, atomic_write, check_integrity, iso
from iamkit.findings import Finding
from iamkit.outcome import exit_code
from iamkit.report.assessment import Assessment
from iamkit.runner.events import EventLog
from iamkit.runstats import Clock, summary
from iamkit.settings import Settings

#: settings never written to run.json or the resolved parameters (secrets, the caller's own profile)
PRIVATE = frozenset({"external_id", "profile"})
RESOLVED_PARAMETERS = "parameters.resolved.yaml"


@dataclass
class RunOptions:
    out: Path
    target: AwsTarget | None  # None: ``iamkit render`` (evidence only, no AWS)
    settings: Settings
    parameters_files: list[str] = field(default_factory=list)
    pdf: bool = True
    source: str = "aws"
    title: str = "IAM security assessment"
    run_id: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    workers: int | None = None
    resume: bool = False
    baseline: Path | None = None
    org: bool = False
    reports: bool = True  # False: collect and assess only (no notebooks, no report files)
    dask: str | None = None  # a Dask scheduler address: render the accounts on its workers


@dataclass
class RunResult:
    run_dir: Path
    accounts: list[dict[str, Any]]
    findings: list[Finding]
    organization: dict[str, Any] | None = None  # run.json's organization record (status ok | failed)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [a for a in self.accounts if a["status"] == "failed"]

    @property
    def organization_failed(self) -> bool:
        return bool(self.organization) and self.organization.get("status") == "failed"

    def exit_code(self, fail_on: str = "never") -> int:
        """See :mod:`iamkit.outcome`: 3 when accounts or the organization collection failed, 1 for a
        FAIL or ERROR at or above ``fail_on``, else 0."""
        return exit_code(self.findings, fail_on, incomplete=bool(self.failed) or self.organization_failed)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def settings_fingerprint(opts: RunOptions) -> str:
    """What must be equal for a previous account result to be reused by ``--resume``."""
    doc = {"settings": opts.settings.model_dump(mode="json", exclude={*PRIVATE, "workers", "allow_modified_evidence"}),
           "pdf": opts.pdf, "reports": opts.reports, "iamkit": __version__,
           "baseline": str(opts.baseline) if opts.baseline else None}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def write_resolved_parameters(settings: Settings, run_dir: Path) -> Path:
    """The one writer of ``parameters.resolved.yaml``: the run's settings (no secrets, no endpoint) with
    absolute paths, what every notebook of the run loads whatever its working directory."""
    import yaml

    data = settings.model_dump(mode="json", exclude={*PRIVATE, "endpoint_url"})
    if data.get("exceptions_file"):
        data["exceptions_file"] = str(Path(data["exceptions_file"]).resolve())
    path = Path(run_dir) / RESOLVED_PARAMETERS
    atomic_write(path, yaml.safe_dump(data, sort_keys=True).encode())
    return path


@dataclass
class RunState:
    """Everything the stages of one run share. ``rerender`` is the run.json that ``iamkit render``
    starts from (its accounts are re-assessed and re-rendered; the rest of the record is kept)."""

    opts: RunOptions
    events: EventLog
    fingerprint: str
    rerender: dict[str, Any] | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    clock: Clock = field(default_factory=Clock)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    organization: dict[str, Any] | None = None
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)  # the accounts still going through the stages
    assessment: Assessment | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    logs: dict[str, IO[str]] = field(default_factory=dict)  # each running account's log.txt
    client: Any = None  # the Dask client, opened early by stages.warm_up
    warming: threading.Thread | None = None  # stages.warm_up's thread, joined before the reports

    @property
    def run_dir(self) -> Path:
        return Path(self.opts.out)

    @property
    def evidence_root(self) -> Path:
        return self.run_dir / "evidence"

    @property
    def workers(self) -> int:
        return self.opts.workers or self.opts.settings.workers or default_workers()

    @property
    def timings_key(self) -> str:
        """Where an account's stage seconds go: ``timings``, or ``render_timings`` when rendered again."""
        return "timings" if self.rerender is None else "render_timings"

    @property
    def seconds_key(self) -> str:
        return "seconds" if self.rerender is None else "rendered_seconds"

    def emit(self, **ev: Any) -> None:
        self.events.emit(**ev)

    def account_dir(self, account_id: str) -> Path:
        return self.run_dir / "accounts" / account_id

    def bundle(self, path: Path) -> Bundle:
        """A bundle of this run's evidence, verified (:func:`iamkit.evidence.check_integrity`): altered
        evidence is refused (exit 2, naming the file) unless ``--allow-modified``."""
        return check_integrity(Bundle(path, allow_modified=self.opts.settings.allow_modified_evidence))

    def document(self, finished: bool) -> dict[str, Any]:
        accounts = [self.accounts[k] for k in sorted(self.accounts)]
        if self.rerender is not None:
            return {**self.rerender, "accounts": accounts, "rendered_at": iso(datetime.now(UTC)),
                    "render_timings": summary(({"timings": a.get("render_timings"),
                                                "notebook_seconds": a.get("notebook_seconds")} for a in accounts),
                                              self.clock if finished else None)}
        opts = self.opts
        return {
            "run_id": opts.run_id, "title": opts.title, "source": opts.source,
            "started_at": iso(self.started), "finished_at": iso(datetime.now(UTC)) if finished else None,
            "complete": finished, "iamkit_version": __version__, "python": platform.python_version(),
            "settings": opts.settings.model_dump(mode="json", exclude=set(PRIVATE)),
            "settings_fingerprint": self.fingerprint, "parameters_files": opts.parameters_files,
            "pdf": opts.pdf, "workers": self.workers, "resume": opts.resume,
            "baseline": str(opts.baseline) if opts.baseline else None,
            "organization": self.organization, "accounts": accounts,
            "timings": summary(self.accounts.values(), self.clock if finished else None),
        }

    def save(self, finished: bool = False) -> dict[str, Any]:
        """Rewrite run.json atomically; returns what was written."""
        with self.lock:
            doc = self.document(finished)
            atomic_write(self.run_dir / "run.json", json.dumps(doc, indent=1, default=str).encode())
        return doc

    def result(self, doc: dict[str, Any], all_findings: list[Finding]) -> RunResult:
        return RunResult(self.run_dir, doc["accounts"], all_findings, organization=self.organization)
