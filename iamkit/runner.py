"""A run: accounts x (collect -> assess -> notebooks -> render), then the index and exports.

Decisions (see also docs/reports.md):

* **Accounts in parallel with threads**, ``workers`` at a time (default: the number of cores).
  Every heavy stage already runs outside this process: collection waits on HTTP, each notebook runs
  in its own kernel process, the PDF is printed by a Chromium process. The in-process parts
  (assessment, nbconvert) are short. Threads share the guarded AWS session (boto3 clients are
  thread-safe) and need no pickling of sessions or settings; processes would add start-up and
  pickling for no gain.
* **One failing account never stops the others**: any exception in an account's pipeline is recorded
  (stage and one-line reason in ``run.json`` and the index, the traceback in the account's
  ``log.txt``), and the run exits 3 at the end.
* **Resume**: ``run.json`` is rewritten atomically after every account. With ``resume`` an account is
  skipped when its previous record is complete (status ok, same settings fingerprint), its evidence
  manifest verifies, its report files exist and its per-account ``findings.json`` loads.
* **Logs**: ``run.log.jsonl`` (one JSON object per event, for batches) in the run folder and a
  human-readable ``accounts/<id>/log.txt`` per account (kernel stderr goes there too).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from iamkit import __version__
from iamkit.aws.session import AwsTarget, open_session
from iamkit.collect import ALL_OPERATIONS
from iamkit.collect import bundle as collect_bundle
from iamkit.errors import BadInputError, CollectionError, IamkitError
from iamkit.evidence import MANIFEST, Bundle, atomic_write, check_integrity, iso
from iamkit.exceptions import write_report as write_exception_report
from iamkit.exports import write_all
from iamkit.findings import Finding, Status, load_json, sort_key, write_json
from iamkit.integrity import write_sums
from iamkit.model import OrgModel, alias_of
from iamkit.outcome import exit_code
from iamkit.report import browser, kernels
from iamkit.report.assessment import Assessment
from iamkit.report.index import write_index
from iamkit.report.render import render_account
from iamkit.runstats import Clock, summary
from iamkit.settings import Settings

Progress = Callable[[str], None]
STAGES = ("collect", "assess", "notebooks", "html", "pdf")


class Monitor:
    """Receives run events. The CLI's rich display and JSON-lines output subclass it; a plain
    ``progress(message)`` callable is wrapped by :class:`MessageMonitor`."""

    def start(self, total: int) -> None:  # noqa: B027  (optional hook)
        pass

    def event(self, ev: dict[str, Any]) -> None:  # noqa: B027
        pass

    def finish(self) -> None:  # noqa: B027
        pass


class MessageMonitor(Monitor):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def event(self, ev: dict[str, Any]) -> None:
        if ev.get("event") == "stage":
            self.progress(f"{ev['account_id']}: {ev['stage']}")
        elif ev.get("event") == "account_failed":
            self.progress(f"{ev['account_id']}: failed at {ev['stage']}: {ev['error']}")
        elif ev.get("event") == "account_skipped":
            self.progress(f"{ev['account_id']}: complete in the previous run, skipped (--resume)")
        elif ev.get("event") == "message":
            self.progress(ev["message"])


@dataclass
class RunOptions:
    out: Path
    target: AwsTarget
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


def dask_client(address: str, timeout: str = "30s") -> Any:
    """A client of the Dask scheduler at ``address``. Its workers must run the same iamkit (same
    environment) and see the run folder at the same path (a shared filesystem): a task reads the
    evidence and writes the account's notebooks and report there."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise BadInputError("--dask needs Dask's distributed scheduler: pip install 'iamkit[dask]'") from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise BadInputError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _norm_ou(path: str) -> str:
    """``/Workloads/Prod``, ``Workloads/Prod/`` and ``Root/Workloads/Prod`` -> ``Workloads/Prod``."""
    parts = [x for x in path.strip().strip("/").split("/") if x]
    return "/".join(parts[1:] if parts and parts[0].lower() == "root" else parts)


def select_ous(targets: list[Any], selectors: list[str] | None, org: Any = None) -> list[Any]:
    """Targets inside any of the OUs ``selectors``: OU ids (``ou-ab12-...``, or the root id) or paths from the
    root (``Workloads/Prod``, ``/Workloads/Prod``, ``Root/Workloads/Prod``); an OU includes every account
    below it. ``org`` is the run's :class:`~iamkit.model.OrgModel`. Without selectors: all targets. A
    selector naming no OU of the organization, or a selection that matches no account, is bad input."""
    if not selectors:
        return list(targets)
    if org is None:
        raise BadInputError("organizational_units selects accounts of an organization: run with --org from the "
                            "management account or a delegated administrator (the OU of an account is known only "
                            "from the organization's data)")
    ous = org.ous
    by_path = {_norm_ou(str(p)): str(i) for i, p in zip(ous["id"], ous["path"], strict=True)}
    ids = set(by_path.values()) | ({org.root_id} if org.root_id else set())
    wanted: set[str] = set()
    for sel in selectors:
        sel_s = str(sel).strip()
        if sel_s in ids:
            wanted.add(sel_s)
        elif _norm_ou(sel_s) in by_path:
            wanted.add(by_path[_norm_ou(sel_s)])
        elif _norm_ou(sel_s) == "" and org.root_id:
            wanted.add(org.root_id)
        else:
            known = ", ".join(sorted(by_path)[:10])
            raise BadInputError(f"organizational_units: '{sel}' is neither an OU id nor an OU path of the organization "
                                f"(OU paths: {known or 'none'})")
    out = [t for t in targets if wanted & set(org.account_chain(t.account_id))]
    if not out:
        raise BadInputError(f"no account of the run is in {', '.join(str(s) for s in selectors)}")
    return out


def with_ou_paths(targets: list[Any], org: Any) -> list[Any]:
    """Targets with ``ou_path`` filled from the organization evidence (OrgModel.accounts) when known."""
    from dataclasses import replace

    if org is None:
        return list(targets)
    paths = {str(i): p for i, p in zip(org.accounts["id"], org.accounts["ou_path"], strict=True)
             if isinstance(p, str)}
    return [t if getattr(t, "ou_path", None) or t.account_id not in paths else replace(t, ou_path=paths[t.account_id])
            for t in targets]


def settings_fingerprint(opts: RunOptions) -> str:
    """What must be equal for a previous account result to be reused by ``--resume``."""
    doc = {"settings": opts.settings.model_dump(mode="json", exclude={"external_id", "profile", "workers",
                                                                     "allow_modified_evidence"}),
           "pdf": opts.pdf, "reports": opts.reports, "iamkit": __version__,
           "baseline": str(opts.baseline) if opts.baseline else None}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


class _Run:
    def __init__(self, opts: RunOptions, monitor: Monitor) -> None:
        self.opts = opts
        self.monitor = monitor
        self.run_dir = Path(opts.out)
        self.evidence_root = self.run_dir / "evidence"
        self.lock = threading.Lock()
        self.fingerprint = settings_fingerprint(opts)
        self.started = datetime.now(UTC)
        self.clock = Clock()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.organization: dict[str, Any] | None = None
        self.findings: dict[str, list[Finding]] = {}
        self.assessment: Assessment | None = None
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._log = (self.run_dir / "run.log.jsonl").open("a", encoding="utf-8")
        self._logs: dict[str, IO[str]] = {}

    # -- events and logs ---------------------------------------------------------------------------
    def emit(self, **ev: Any) -> None:
        ev = {"time": iso(datetime.now(UTC)), "run_id": self.opts.run_id, **ev}
        with self.lock:
            self._log.write(json.dumps(ev, default=str) + "\n")
            self._log.flush()
        self.monitor.event(ev)

    def account_dir(self, account_id: str) -> Path:
        return self.run_dir / "accounts" / account_id

    # -- run.json ---------------------------------------------------------------------------------
    def run_doc(self, finished: bool) -> dict[str, Any]:
        return {
            "run_id": self.opts.run_id, "title": self.opts.title, "source": self.opts.source,
            "started_at": iso(self.started), "finished_at": iso(datetime.now(UTC)) if finished else None,
            "complete": finished, "iamkit_version": __version__, "python": platform.python_version(),
            "settings": self.opts.settings.model_dump(mode="json", exclude={"external_id", "profile"}),
            "settings_fingerprint": self.fingerprint, "parameters_files": self.opts.parameters_files,
            "pdf": self.opts.pdf, "workers": self.workers, "resume": self.opts.resume,
            "baseline": str(self.opts.baseline) if self.opts.baseline else None,
            "organization": self.organization,
            "accounts": [self.accounts[k] for k in sorted(self.accounts)],
            "timings": summary(self.accounts.values(), self.clock if finished else None),
        }

    def save(self, finished: bool = False) -> dict[str, Any]:
        with self.lock:
            doc = self.run_doc(finished)
            atomic_write(self.run_dir / "run.json", json.dumps(doc, indent=1, default=str).encode())
        return doc

    # -- resume -----------------------------------------------------------------------------------
    def previous(self) -> dict[str, dict[str, Any]]:
        path = self.run_dir / "run.json"
        if not self.opts.resume or not path.is_file():
            return {}
        try:
            doc = json.loads(path.read_text())
        except ValueError as exc:
            raise BadInputError(f"{path}: cannot resume, run.json is not valid JSON ({exc})") from None
        if doc.get("settings_fingerprint") != self.fingerprint:
            self.emit(event="message", message="settings differ from the previous run: every account is redone")
            return {}
        if doc.get("organization"):
            self.organization = doc["organization"]
        return {a["account_id"]: a for a in doc.get("accounts", [])}

    @property
    def allow_modified(self) -> bool:
        return self.opts.settings.allow_modified_evidence

    def bundle(self, path: Path) -> Bundle:
        """A bundle of this run's evidence, verified (:func:`iamkit.evidence.check_integrity`): altered
        evidence is refused (exit 2, naming the file) unless ``--allow-modified``."""
        return check_integrity(Bundle(path, allow_modified=self.allow_modified))

    def reusable_evidence(self, rec: dict[str, Any] | None) -> Bundle | None:
        """The bundle an interrupted run already collected for this account (same settings, the collection
        time recorded in run.json), so --resume does not collect it again. Altered evidence is refused."""
        if not rec or not rec.get("collected_at"):
            return None
        path = self.evidence_root / rec["account_id"]
        if not (path / MANIFEST).is_file():
            return None
        b = self.bundle(path)
        return b if iso(b.collected_at) == rec["collected_at"] else None

    def reusable(self, rec: dict[str, Any] | None) -> list[Finding] | None:
        """The previous findings of an account whose outputs are complete and whose evidence is unchanged,
        else None (altered evidence: see :meth:`reusable_evidence`, which refuses or re-assesses it)."""
        if not rec or rec.get("status") != "ok":
            return None
        aid = rec["account_id"]
        adir = self.account_dir(aid)
        bundle_dir = self.evidence_root / aid
        needed = [adir / "findings.json", bundle_dir / MANIFEST]
        if self.opts.reports:
            needed.append(adir / "report.html")
            if self.opts.pdf:
                needed.append(adir / "report.pdf")
        if not all(p.is_file() and p.stat().st_size > 0 for p in needed):
            return None
        try:
            if Bundle(bundle_dir).altered:
                return None
            return load_json(adir / "findings.json")
        except IamkitError as exc:
            self.emit(event="message", message=f"{aid}: previous outputs unusable ({exc}); redoing it")
            return None

    # -- one account, stage by stage -------------------------------------------------------------
    def step(self, aid: str, stage: str, fn: Callable[[Callable[[str], None]], Any]) -> Any:
        """Run ``fn(enter)`` as ``stage`` of account ``aid``; ``enter(sub)`` starts a sub-stage
        (notebooks, html, pdf). Times every stage; any exception fails the account (recorded in
        run.json, the run log and the account's log.txt with its traceback) and returns None."""
        acct = self.accounts[aid]
        adir = self.account_dir(aid)
        adir.mkdir(parents=True, exist_ok=True)
        timings = acct.setdefault("timings", {})
        current = [stage, time.monotonic()]
        with (adir / "log.txt").open("a", encoding="utf-8") as log:
            self._logs[aid] = log

            def enter(name: str) -> None:
                now = time.monotonic()
                timings[current[0]] = round(timings.get(current[0], 0.0) + now - current[1], 3)
                current[0], current[1] = name, now
                acct["stage"] = name
                log.write(f"{iso(datetime.now(UTC))} {aid} stage {name}\n")
                log.flush()
                self.emit(event="stage", account_id=aid, stage=name)

            acct.update(status="running", stage=stage)
            log.write(f"{iso(datetime.now(UTC))} {aid} run {self.opts.run_id} stage {stage}\n")
            self.emit(event="stage", account_id=aid, stage=stage)
            try:
                result = fn(enter)
            except Exception as exc:  # recorded: one account never stops the others
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if not isinstance(exc, IamkitError):
                    reason = f"{type(exc).__name__}: {reason}"
                log.write(f"{iso(datetime.now(UTC))} {aid} FAILED at {current[0]}: {reason}\n")
                log.write("".join(traceback.format_exception(exc)))
                acct.update(status="failed", stage=current[0], error=reason)
                self.emit(event="account_failed", account_id=aid, stage=current[0], error=reason)
                result = None
            finally:
                now = time.monotonic()
                timings[current[0]] = round(timings.get(current[0], 0.0) + now - current[1], 3)
                acct["seconds"] = round(sum(timings.values()), 3)
                self._logs.pop(aid, None)
        self.save()
        return result

    def collect(self, session: Any, target: Any) -> Bundle | None:
        def go(_enter: Callable[[str], None]) -> Bundle:
            path = collect_bundle.collect_account(collect_bundle.session_for(session, target),
                                                  self.evidence_root, source=self.opts.source)
            bundle = Bundle(path)
            self.accounts[target.account_id].update(collected_at=iso(bundle.collected_at), alias=_alias(bundle))
            return bundle

        return self.step(target.account_id, "collect", go)

    def assess(self, bundle: Bundle, assessment: Assessment) -> list[Finding] | None:
        aid = bundle.account_id
        if bundle.allow_modified and bundle.altered:
            self.accounts[aid]["evidence_altered"] = list(bundle.altered)

        def go(_enter: Callable[[str], None]) -> list[Finding]:
            found = assessment.findings(bundle)
            write_json(found, self.account_dir(aid) / "findings.json")
            self.accounts[aid].update(findings=len(found), failing=sum(1 for f in found if f.status == Status.FAIL))
            return found

        return self.step(aid, "assess", go)

    def render(self, bundle: Bundle, client: Any = None) -> bool:
        """Notebooks, HTML and PDF of one account: here, or as one task on a Dask cluster (``client``)."""
        aid = bundle.account_id

        def go(enter: Callable[[str], None]) -> bool:
            kwargs: dict[str, Any] = dict(
                account_id=aid, evidence_dir=self.evidence_root, out_dir=self.account_dir(aid),
                cover=self.cover(bundle), parameters_files=[str(self.resolved_parameters.resolve())],
                pdf=self.opts.pdf, baseline=str(self.opts.baseline) if self.opts.baseline else None)
            if client is None:
                done = render_account(**kwargs, log=self._logs.get(aid), on_stage=enter)
            else:
                done = client.submit(render_account, **kwargs, pure=False,
                                     key=f"iamkit-render-{self.opts.run_id}-{aid}-{os.getpid()}").result()
                # the worker's split: what the "dask" wait of this process was spent on over there
                self.accounts[aid]["worker_timings"] = done.timings
            self.accounts[aid]["notebook_seconds"] = done.notebooks
            return True

        # on Dask this process only waits ("dask": queue + work); the worker's own split comes back with the result
        ok = bool(self.step(aid, "notebooks" if client is None else "dask", go))
        if ok:
            self.finish_account(aid)
        return ok

    def finish_account(self, aid: str) -> None:
        acct = self.accounts[aid]
        if acct["status"] == "failed":
            return
        acct.update(status="ok", stage="done", error=None, settings_fingerprint=self.fingerprint)
        self.emit(event="account_done", account_id=aid, seconds=acct.get("seconds"), timings=acct.get("timings"))
        self.save()

    def cover(self, bundle: Bundle) -> dict[str, str]:
        acct = self.accounts[bundle.account_id]
        alias = _alias(bundle)
        cover = {"Account": bundle.account_id}
        if alias:
            cover["Account alias"] = alias
        if acct.get("name"):
            cover["Account name"] = acct["name"]
        if acct.get("ou_path"):
            cover["Organizational unit"] = acct["ou_path"]
        cover.update({"Collected at": iso(bundle.collected_at),
                      "Collected by": (bundle.manifest.get("caller_identity") or {}).get("Arn", "unknown"),
                      "Evidence source": bundle.source, "Run": self.opts.run_id})
        cover.update(integrity_cover(bundle))
        return cover

    @property
    def workers(self) -> int:
        return self.opts.workers or self.opts.settings.workers or default_workers()

    # -- the whole run ----------------------------------------------------------------------------
    def execute(self) -> RunResult:
        opts = self.opts
        if opts.workers is not None and opts.workers < 1:
            raise BadInputError(f"--workers must be 1 or more, not {opts.workers}")
        if opts.baseline:
            from iamkit.diff import load_run_findings

            load_run_findings(Path(opts.baseline))  # a bad baseline is bad input: fail before any work
        previous = self.previous()
        for rec in previous.values():  # refuse altered evidence before anything of the run is rewritten
            if rec.get("collected_at") and (self.evidence_root / rec["account_id"] / MANIFEST).is_file():
                self.bundle(self.evidence_root / rec["account_id"])
        if opts.target.session_name == "iamkit":
            opts.target.session_name = f"iamkit-{opts.run_id}"
        session = open_session(opts.target, ALL_OPERATIONS)
        s = opts.settings
        targets = collect_bundle.plan_accounts(session, accounts=s.accounts)
        org_bundle = self.collect_organization(session)
        org = OrgModel(org_bundle) if org_bundle is not None else None
        if s.organizational_units and org is None and self.organization and self.organization.get("error"):
            raise CollectionError(f"organizational_units needs the organization's data, whose collection failed: "
                                  f"{self.organization['error']}")
        targets = with_ou_paths(select_ous(targets, s.organizational_units, org), org)
        for t in targets:
            self.accounts[t.account_id] = {"account_id": t.account_id, "name": t.name,
                                           "ou_path": getattr(t, "ou_path", None), "status": "pending"}
        self.monitor.start(len(targets))
        self.emit(event="run_start", accounts=len(targets), workers=self.workers)
        todo = []
        for t in targets:
            reused = self.reusable(previous.get(t.account_id))
            if reused is not None:
                self.accounts[t.account_id] = {**previous[t.account_id], "resumed": True}
                self.findings[t.account_id] = reused
                self.emit(event="account_skipped", account_id=t.account_id)
            else:
                todo.append(t)
        write_index(self.run_dir, self.save(), [])  # the index says "in progress" until the run finishes
        self.write_resolved_parameters()
        bundles: dict[str, Bundle] = {}
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="iamkit-collect") as pool:
            futures = {}
            for t in todo:
                prev = self.reusable_evidence(previous.get(t.account_id))
                if prev is not None:
                    bundles[t.account_id] = prev
                    self.accounts[t.account_id].update(collected_at=previous[t.account_id]["collected_at"],
                                                       alias=_alias(prev), evidence_reused=True)
                    self.emit(event="message", message=f"{t.account_id}: evidence of the interrupted run reused")
                else:
                    futures[pool.submit(self.collect, session, t)] = t.account_id
            for fut in as_completed(futures):
                b = fut.result()  # collect() records every failure itself; anything raised here is a bug
                if b is not None:
                    bundles[futures[fut]] = b
        # one assessment over every bundle of the run (org context from the management account)
        every = [*bundles.values(), *(self.bundle(self.evidence_root / a) for a in self.findings)]
        assessment = self.assessment = Assessment.build(every, org_bundle, s)
        for aid in sorted(bundles):
            found = self.assess(bundles[aid], assessment)
            if found is None:
                del bundles[aid]
            else:
                self.findings[aid] = found
        if opts.reports:
            client = dask_client(opts.dask) if opts.dask else None
            # with Dask the cluster decides the parallelism; local threads only wait for its results
            width = self.workers if client is None else max(1, min(len(bundles), 64))
            try:
                with ThreadPoolExecutor(max_workers=width, thread_name_prefix="iamkit-render") as pool:
                    for fut in as_completed([pool.submit(self.render, bundles[a], client) for a in sorted(bundles)]):
                        fut.result()
            finally:
                if client is not None:
                    client.close()
                # one browser and one fork server per run: closed now, so that their CPU time counts
                browser.shutdown()
                kernels.SERVER.close()
        else:
            for aid in sorted(bundles):
                self.finish_account(aid)
        failed_ids = {a for a, rec in self.accounts.items() if rec["status"] == "failed"}
        for aid in failed_ids:
            self.findings.pop(aid, None)
        all_findings = sorted((f for fs in self.findings.values() for f in fs), key=sort_key)
        self.write_exports(all_findings)
        doc = self.save(finished=True)
        diff = None
        if opts.baseline:
            from iamkit.diff import diff_runs

            diff = diff_runs(Path(opts.baseline), self.run_dir, out=self.run_dir)
        write_index(self.run_dir, doc, all_findings, diff=diff)
        write_sums(self.run_dir)
        self.emit(event="run_done", accounts=len(self.accounts),
                  failed=sum(1 for a in self.accounts.values() if a["status"] == "failed"))
        self.monitor.finish()
        self._log.close()
        return RunResult(self.run_dir, doc["accounts"], all_findings, organization=self.organization)

    def collect_organization(self, session: Any) -> Bundle | None:
        """The organization bundle (collected once per run) when the collection layer provides it."""
        existing = self.evidence_root / "organization"
        if self.organization and self.organization.get("status") == "ok" and (existing / MANIFEST).is_file():
            return self.bundle(existing)
        fn = getattr(collect_bundle, "collect_organization", None)
        if fn is None or not (self.opts.org or getattr(self.opts.target, "organization", False)):
            return None
        t0 = time.monotonic()
        self.emit(event="stage", account_id="organization", stage="collect")
        try:
            path = fn(session, self.evidence_root, self.opts.source)
        except Exception as exc:  # recorded: the accounts are still assessed (scp checks say ERROR)
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.organization = {"status": "failed", "error": reason, "seconds": round(time.monotonic() - t0, 3)}
            self.emit(event="organization_failed", error=reason)
            return None
        self.organization = {"status": "ok", "path": "evidence/organization",
                             "seconds": round(time.monotonic() - t0, 3)}
        self.emit(event="organization_done", seconds=self.organization["seconds"])
        return self.bundle(Path(path))

    def write_exports(self, all_findings: list[Finding]) -> None:
        write_all(all_findings, self.run_dir)
        if self.assessment is not None and self.assessment.risks:
            write_exception_report(self.assessment.exception_report(all_findings),
                                   self.run_dir / "exceptions_report.json")

    @property
    def resolved_parameters(self) -> Path:
        return self.run_dir / "parameters.resolved.yaml"

    def write_resolved_parameters(self) -> None:
        """The settings of this run as one YAML file (no secrets) with absolute paths: what every
        notebook of the run loads, whatever its working directory."""
        import yaml

        data = self.opts.settings.model_dump(mode="json", exclude={"external_id", "profile", "endpoint_url"})
        if data.get("exceptions_file"):
            data["exceptions_file"] = str(Path(data["exceptions_file"]).resolve())
        atomic_write(self.resolved_parameters, yaml.safe_dump(data, sort_keys=True).encode())


def integrity_cover(bundle: Bundle) -> dict[str, str]:
    """The report cover's line for evidence assessed with --allow-modified (empty when intact)."""
    if not (bundle.allow_modified and bundle.altered):
        return {}
    return {"Evidence integrity": f"ALTERED after collection ({', '.join(bundle.altered)} no longer match the "
                                  "manifest); assessed with --allow-modified"}


_alias = alias_of  # the account alias, read in one place (iamkit.model)


def run(opts: RunOptions, progress: Progress | Monitor = lambda _msg: None) -> RunResult:
    monitor = progress if isinstance(progress, Monitor) else MessageMonitor(progress)
    return _Run(opts, monitor).execute()


def render_run(run_dir: Path, *, pdf: bool = True, workers: int | None = None,
               progress: Progress | Monitor = lambda _msg: None, log: IO[str] | None = None,
               allow_modified: bool = False) -> RunResult:
    """``iamkit render RUN_DIR``: re-assess and re-render every account of a run from its evidence
    only (no AWS), with the settings recorded in its run.json. Altered evidence is refused (one line
    naming the file) unless ``allow_modified``, which every output then states."""
    from iamkit.evidence import load_bundles
    from iamkit.settings import Settings as _Settings

    run_dir = Path(run_dir)
    path = run_dir / "run.json"
    if not path.is_file():
        raise BadInputError(f"{run_dir}: not a run folder (no run.json)")
    try:
        doc = json.loads(path.read_text())
        settings = _Settings.model_validate({**(doc.get("settings") or {}),
                                             **({"allow_modified_evidence": True} if allow_modified else {})})
    except ValueError as exc:
        raise BadInputError(f"{path}: unreadable run.json ({str(exc).splitlines()[0]})") from None
    monitor = progress if isinstance(progress, Monitor) else MessageMonitor(progress)
    bundles, org = load_bundles([run_dir / "evidence"], allow_modified=settings.allow_modified_evidence)
    assessment = Assessment.build(bundles, org, settings)
    resolved = run_dir / "parameters.resolved.yaml"
    if not resolved.is_file() or allow_modified:
        import yaml

        data = (yaml.safe_load(resolved.read_text()) if resolved.is_file() else None) or settings.model_dump(
            mode="json", exclude={"external_id", "profile", "endpoint_url"})
        data["allow_modified_evidence"] = settings.allow_modified_evidence  # the notebooks must accept it too
        atomic_write(resolved, yaml.safe_dump(data, sort_keys=True).encode())
    accounts = {a["account_id"]: a for a in doc.get("accounts", [])}
    lock = threading.Lock()
    results: dict[str, list[Finding]] = {}

    def one(bundle: Bundle) -> None:
        aid = bundle.account_id
        acct = accounts.setdefault(aid, {"account_id": aid, "name": None})
        adir = run_dir / "accounts" / aid
        adir.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        with (adir / "log.txt").open("a", encoding="utf-8") as alog:
            try:
                monitor.event({"event": "stage", "account_id": aid, "stage": "assess"})
                if bundle.allow_modified and bundle.altered:
                    acct["evidence_altered"] = list(bundle.altered)
                found = assessment.findings(bundle)
                write_json(found, adir / "findings.json")
                cover = {"Account": aid, "Collected at": iso(bundle.collected_at),
                         "Collected by": (bundle.manifest.get("caller_identity") or {}).get("Arn", "unknown"),
                         "Evidence source": bundle.source, "Run": str(doc.get("run_id")),
                         "Rendered again at": iso(datetime.now(UTC)), **integrity_cover(bundle)}
                done = render_account(account_id=aid, evidence_dir=run_dir / "evidence", out_dir=adir,
                                      cover=cover, parameters_files=[str(resolved.resolve())], pdf=pdf, log=alog,
                                      on_stage=lambda s: monitor.event({"event": "stage", "account_id": aid,
                                                                        "stage": s}))
            except Exception as exc:  # recorded in run.json; the other accounts go on
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                alog.write("".join(traceback.format_exception(exc)))
                acct.update(status="failed", stage="render", error=reason)
                monitor.event({"event": "account_failed", "account_id": aid, "stage": "render", "error": reason})
                return
            acct.update(status="ok", stage="done", error=None, rendered_seconds=round(time.monotonic() - t0, 3),
                        render_timings=done.timings, notebook_seconds=done.notebooks)
            with lock:
                results[aid] = found

    monitor.start(len(bundles))
    clock = Clock()
    try:
        with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
            for fut in as_completed([pool.submit(one, b) for b in bundles]):
                fut.result()
    finally:
        browser.shutdown()
        kernels.SERVER.close()
    all_findings = sorted((f for fs in results.values() for f in fs), key=sort_key)
    write_all(all_findings, run_dir)
    if assessment.risks:
        write_exception_report(assessment.exception_report(all_findings), run_dir / "exceptions_report.json")
    doc["accounts"] = [accounts[k] for k in sorted(accounts)]
    doc["rendered_at"] = iso(datetime.now(UTC))
    doc["render_timings"] = summary(({"timings": a.get("render_timings"), "notebook_seconds": a.get("notebook_seconds")}
                                     for a in doc["accounts"]), clock)
    atomic_write(path, json.dumps(doc, indent=1, default=str).encode())
    write_index(run_dir, doc, all_findings)
    write_sums(run_dir)
    monitor.finish()
    return RunResult(run_dir, doc["accounts"], all_findings, organization=doc.get("organization"))


class JsonLinesMonitor(Monitor):
    """One JSON object per event on a stream (stderr), for batch jobs and log collectors."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def event(self, ev: dict[str, Any]) -> None:
        with self.lock:
            self.stream.write(json.dumps(ev, default=str) + "\n")
            self.stream.flush()


class RichMonitor(Monitor):
    """A live display on stderr: a bar of accounts done/failed and each running account's stage."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[detail]}"), console=console,
                                 transient=False)
        self.task: Any = None
        self.done = self.failed = self.skipped = 0
        self.stages: dict[str, str] = {}
        self.lock = threading.Lock()

    def start(self, total: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("accounts", total=total, detail="")

    def _refresh(self) -> None:
        running = ", ".join(f"{a}:{s}" for a, s in sorted(self.stages.items())[:4])
        more = f" +{len(self.stages) - 4}" if len(self.stages) > 4 else ""
        detail = f"[green]{self.done} done[/] [red]{self.failed} failed[/]"
        if self.skipped:
            detail += f" {self.skipped} resumed"
        if running:
            detail += f"  [dim]{running}{more}[/]"
        self.progress.update(self.task, completed=self.done + self.failed + self.skipped, detail=detail)

    def event(self, ev: dict[str, Any]) -> None:
        kind = ev.get("event")
        with self.lock:
            if kind == "stage":
                self.stages[str(ev["account_id"])] = str(ev["stage"])
            elif kind == "account_done":
                self.done += 1
                self.stages.pop(str(ev["account_id"]), None)
            elif kind == "account_skipped":
                self.skipped += 1
            elif kind == "account_failed":
                self.failed += 1
                self.stages.pop(str(ev["account_id"]), None)
                self.progress.console.print(f"[red]failed[/] {ev['account_id']} at {ev['stage']}: {ev['error']}",
                                            highlight=False)
            elif kind == "organization_done":
                self.stages.pop("organization", None)
            elif kind in ("message", "organization_failed"):
                self.stages.pop("organization", None)
                self.progress.console.print(str(ev.get("message") or ev.get("error")), highlight=False)
            if self.task is not None:
                self._refresh()

    def finish(self) -> None:
        self.stages.clear()
        if self.task is not None:
            self._refresh()
        self.progress.stop()
