"""The two ways through the stages: :func:`run` (plan -> collect -> assess -> render -> finalize) and
:func:`render_run` (the evidence of a finished run -> assess -> render -> finalize, no AWS)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from iamkit.aws.session import open_session
from iamkit.collect import ALL_OPERATIONS
from iamkit.collect.bundle import AccountTarget
from iamkit.errors import BadInputError
from iamkit.evidence import load_bundles
from iamkit.report.index import write_index
from iamkit.runner import stages
from iamkit.runner.events import EventLog, Monitor, Progress, as_monitor
from iamkit.runner.planning import plan_targets
from iamkit.runner.resume import previous_accounts, reusable_findings
from iamkit.runner.state import (
    RESOLVED_PARAMETERS,
    RunOptions,
    RunResult,
    RunState,
    settings_fingerprint,
    write_resolved_parameters,
)
from iamkit.settings import Settings


def _checked(opts: RunOptions) -> RunOptions:
    """Bad options fail before any work; the accepted-risk file's path made absolute once, so run.json,
    the fingerprint and the resolved parameters name the same file whatever the working directory."""
    if opts.workers is not None and opts.workers < 1:
        raise BadInputError(f"--workers must be 1 or more, not {opts.workers}")
    if opts.baseline:
        from iamkit.diff import load_run_findings

        load_run_findings(Path(opts.baseline))  # a bad baseline is bad input: fail before any work
    exceptions = opts.settings.exceptions_file
    if exceptions and not Path(exceptions).is_absolute():
        absolute = str(Path(exceptions).resolve())
        opts = replace(opts, settings=opts.settings.model_copy(update={"exceptions_file": absolute}))
    return opts


def _record(state: RunState, targets: list[AccountTarget], previous: dict[str, dict[str, Any]]) -> list[AccountTarget]:
    """The accounts' records in run.json; those complete in the previous run are taken over (--resume).
    Returns the accounts still to do."""
    for t in targets:
        state.accounts[t.account_id] = {"account_id": t.account_id, "name": t.name, "ou_path": t.ou_path,
                                        "status": "pending"}
    state.events.monitor.start(len(targets))
    state.emit(event="run_start", accounts=len(targets), workers=state.workers)
    todo = []
    for t in targets:
        reused = reusable_findings(state, previous.get(t.account_id))
        if reused is None:
            todo.append(t)
            continue
        state.accounts[t.account_id] = {**previous[t.account_id], "resumed": True}
        state.findings[t.account_id] = reused
        state.emit(event="account_skipped", account_id=t.account_id)
    return todo


def run(opts: RunOptions, progress: Progress | Monitor = lambda _msg: None) -> RunResult:
    """Collect, assess and report on the accounts of ``opts``; see :mod:`iamkit.runner`."""
    opts = _checked(opts)
    Path(opts.out).mkdir(parents=True, exist_ok=True)
    state = RunState(opts, EventLog(Path(opts.out), opts.run_id, as_monitor(progress)), settings_fingerprint(opts))
    previous = previous_accounts(state)
    assert opts.target is not None
    if opts.target.session_name == "iamkit":
        opts.target.session_name = f"iamkit-{opts.run_id}"
    session = open_session(opts.target, ALL_OPERATIONS)
    targets, org_bundle = plan_targets(state, session)
    todo = _record(state, targets, previous)
    write_index(state.run_dir, state.save(), [])  # the index says "in progress" until the run finishes
    write_resolved_parameters(opts.settings, state.run_dir)
    stages.warm_up(state)
    try:
        stages.collect(state, session, todo, previous)
        stages.assess(state, org_bundle)
    except BaseException:
        stages.cool_down(state)
        raise
    stages.render(state)
    return stages.finalize(state)


def _rerender_options(run_dir: Path, doc: dict[str, Any], settings: Settings, pdf: bool,
                      workers: int | None) -> RunOptions:
    return RunOptions(out=run_dir, target=None, settings=settings, pdf=pdf, workers=workers,
                      run_id=str(doc.get("run_id")), source=str(doc.get("source") or "aws"),
                      title=str(doc.get("title") or RunOptions.title))


def _read_run(run_dir: Path, allow_modified: bool) -> tuple[dict[str, Any], Settings]:
    """run.json of ``run_dir`` and the settings it records (``allow_modified`` added)."""
    path = run_dir / "run.json"
    if not path.is_file():
        raise BadInputError(f"{run_dir}: not a run folder (no run.json)")
    try:
        doc = json.loads(path.read_text())
        settings = Settings.model_validate({**(doc.get("settings") or {}),
                                            **({"allow_modified_evidence": True} if allow_modified else {})})
    except ValueError as exc:
        raise BadInputError(f"{path}: unreadable run.json ({str(exc).splitlines()[0]})") from None
    return doc, settings


def render_run(run_dir: Path, *, pdf: bool = True, workers: int | None = None,
               progress: Progress | Monitor = lambda _msg: None, allow_modified: bool = False) -> RunResult:
    """``iamkit render RUN_DIR``: re-assess and re-render every account of a run from its evidence
    only (no AWS), with the settings recorded in its run.json. Altered evidence is refused (one line
    naming the file) unless ``allow_modified``, which every output then states."""
    run_dir = Path(run_dir)
    doc, settings = _read_run(run_dir, allow_modified)
    bundles, org_bundle = load_bundles([run_dir / "evidence"], allow_modified=settings.allow_modified_evidence)
    opts = _rerender_options(run_dir, doc, settings, pdf, workers)
    state = RunState(opts, EventLog(run_dir, opts.run_id, as_monitor(progress)),
                     str(doc.get("settings_fingerprint") or settings_fingerprint(opts)), rerender=doc,
                     organization=doc.get("organization"))
    state.accounts = {a["account_id"]: a for a in doc.get("accounts", [])}
    for b in bundles:
        state.accounts.setdefault(b.account_id, {"account_id": b.account_id, "name": None})
    state.bundles = {b.account_id: b for b in bundles}
    if not (run_dir / RESOLVED_PARAMETERS).is_file() or allow_modified:
        write_resolved_parameters(settings, run_dir)  # the notebooks must accept altered evidence too
    state.events.monitor.start(len(bundles))
    stages.assess(state, org_bundle)
    stages.render(state)
    return stages.finalize(state)

