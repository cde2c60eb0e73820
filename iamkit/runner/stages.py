"""The stages after planning, shared by ``iamkit run``/``demo`` and ``iamkit render``: collect, assess,
render, finalize. Each takes the run's :class:`~iamkit.runner.state.RunState` and leaves its results
there (``bundles``, ``findings``, ``accounts``); an account that fails a stage leaves ``bundles``."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from iamkit.checks import reach
from iamkit.checks.registry import CheckContext
from iamkit.collect import bundle as collect_bundle
from iamkit.collect.bundle import AccountTarget
from iamkit.errors import BadInputError, IamkitError
from iamkit.evidence import Bundle, iso
from iamkit.findings import Finding, Status, sort_key, write_json
from iamkit.integrity import write_sums
from iamkit.model import alias_of
from iamkit.report import browser, kernels
from iamkit.report.assessment import Assessment
from iamkit.report.index import write_index
from iamkit.report.render import render_account
from iamkit.report.render import warm_up as warm_up_renderer
from iamkit.runner.account import Enter, cover, finish_account, step
from iamkit.runner.resume import reusable_evidence
from iamkit.runner.state import RESOLVED_PARAMETERS, RunResult, RunState


def _collect_one(state: RunState, session: Any, target: AccountTarget) -> Bundle | None:
    def go(_enter: Enter) -> Bundle:
        path = collect_bundle.collect_account(collect_bundle.session_for(session, target), state.evidence_root,
                                              source=state.opts.source)
        bundle = Bundle(path)
        state.accounts[target.account_id].update(collected_at=iso(bundle.collected_at), alias=alias_of(bundle))
        return bundle

    return step(state, target.account_id, "collect", go)


def collect(state: RunState, session: Any, todo: list[AccountTarget], previous: dict[str, dict[str, Any]]) -> None:
    """Evidence of every account in ``todo`` into ``state.bundles``, ``workers`` at a time; with --resume
    the evidence an interrupted run already collected is reused."""
    with ThreadPoolExecutor(max_workers=state.workers, thread_name_prefix="iamkit-collect") as pool:
        futures = {}
        for t in todo:
            prev = reusable_evidence(state, previous.get(t.account_id))
            if prev is None:
                futures[pool.submit(_collect_one, state, session, t)] = t.account_id
                continue
            state.bundles[t.account_id] = prev
            state.accounts[t.account_id].update(collected_at=previous[t.account_id]["collected_at"],
                                                alias=alias_of(prev), evidence_reused=True)
            state.emit(event="message", message=f"{t.account_id}: evidence of the interrupted run reused")
        for fut in as_completed(futures):
            b = fut.result()  # the step records every failure itself; anything raised here is a bug
            if b is not None:
                state.bundles[futures[fut]] = b


def _assess_one(state: RunState, bundle: Bundle) -> list[Finding] | None:
    aid = bundle.account_id
    if bundle.allow_modified and bundle.altered:
        state.accounts[aid]["evidence_altered"] = list(bundle.altered)

    def go(_enter: Enter) -> list[Finding]:
        assert state.assessment is not None
        found = state.assessment.findings(bundle)
        write_json(found, state.account_dir(aid) / "findings.json")
        state.accounts[aid].update(findings=len(found), failing=sum(1 for f in found if f.status == Status.FAIL))
        return found

    return step(state, aid, "assess", go)


def assess(state: RunState, org_bundle: Bundle | None) -> None:
    """One assessment over every bundle of the run (the organization context comes from all of them,
    resumed accounts included), then each account's findings."""
    every = [*state.bundles.values(), *(state.bundle(state.evidence_root / a) for a in state.findings)]
    state.assessment = Assessment.build(every, org_bundle, state.opts.settings)
    for aid in sorted(state.bundles):
        found = _assess_one(state, state.bundles[aid])
        if found is None:
            del state.bundles[aid]
        else:
            state.findings[aid] = found
    _save_reach_graph(state, every)


def _save_reach_graph(state: RunState, every: list[Bundle]) -> None:
    """The organization-wide reach graph, built once here, for notebook 03 of every account
    (:func:`iamkit.checks.reach.save_graph`). When it cannot be built (evidence the assessment already reported
    as ERROR), nothing is saved and the run's log says why: each notebook builds it and shows why it could not."""
    assert state.assessment is not None
    if state.assessment.org is None or not every:
        return
    ctx = CheckContext(account=state.assessment.model(every[0]), settings=state.opts.settings,
                       org=state.assessment.org)
    try:
        reach.save_graph(ctx, state.run_dir / "accounts" / reach.GRAPH_FILE)
    except IamkitError as exc:
        state.emit(event="message", message=f"reach graph not saved for the notebooks ({str(exc).splitlines()[0]}); "
                                            "notebook 03 of each account builds it and shows why it cannot")


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


def _render_one(state: RunState, bundle: Bundle, client: Any = None) -> None:
    """Notebooks, HTML and PDF of one account: here, or as one task on a Dask cluster (``client``)."""
    aid = bundle.account_id
    opts = state.opts

    def go(enter: Enter) -> bool:
        kwargs: dict[str, Any] = dict(
            account_id=aid, evidence_dir=state.evidence_root, out_dir=state.account_dir(aid),
            cover=cover(state, bundle), parameters_files=[str((state.run_dir / RESOLVED_PARAMETERS).resolve())],
            pdf=opts.pdf, baseline=str(opts.baseline) if opts.baseline else None)
        if client is None:
            done = render_account(**kwargs, log=state.logs.get(aid), on_stage=enter)
        else:
            done = client.submit(render_account, **kwargs, pure=False,
                                 key=f"iamkit-render-{opts.run_id}-{aid}-{os.getpid()}").result()
            # the worker's split: what the "dask" wait of this process was spent on over there
            state.accounts[aid]["worker_timings"] = done.timings
        state.accounts[aid]["notebook_seconds"] = done.notebooks
        return True

    # on Dask this process only waits ("dask": queue + work); the worker's own split comes back with the result
    if step(state, aid, "notebooks" if client is None else "dask", go):
        finish_account(state, aid)


def warm_up(state: RunState) -> None:
    """Start the report machinery (kernel fork server, browser) while the run collects and assesses: here in a
    thread, or on every worker of the Dask cluster (each worker process has its own). Measured with Dask: each
    worker spent its first ~5 s starting them, after collection, while the other waited. :func:`render` (or
    :func:`cool_down`) waits for the thread; what could not start is written to the run's log."""
    if not state.opts.reports:
        return
    if state.opts.dask:
        state.client = dask_client(state.opts.dask)
    state.warming = threading.Thread(target=_warm_up, args=(state, state.client), name="iamkit-warm-up", daemon=True)
    state.warming.start()


def _warm_up(state: RunState, client: Any) -> None:
    if client is None:
        why = warm_up_renderer(state.opts.pdf)
        whys = [why] if why else []
    else:
        try:
            whys = [w for w in client.run(warm_up_renderer, state.opts.pdf).values() if w]  # every worker process
        except Exception as exc:  # noqa: BLE001 — any failure of the cluster call: logged, the renders say the rest
            whys = [f"{type(exc).__name__}: {exc}".splitlines()[0]]
    for why in dict.fromkeys(whys):
        state.emit(event="message", message=f"reports: could not start ahead of the first report ({why}); "
                                            "the first report tries again")


def _warmed(state: RunState) -> None:
    if state.warming is not None:
        state.warming.join()
        state.warming = None


def cool_down(state: RunState) -> None:
    """Undo :func:`warm_up` when the run stops before its reports: the Dask client, the browser and the fork
    server of this process."""
    _warmed(state)
    if state.client is not None:
        state.client.close()
        state.client = None
    browser.shutdown()
    kernels.SERVER.close()


def render(state: RunState) -> None:
    """Every assessed account's report (without reports: the accounts are done)."""
    if not state.opts.reports:
        for aid in sorted(state.bundles):
            finish_account(state, aid)
        return
    _warmed(state)
    client = state.client or (dask_client(state.opts.dask) if state.opts.dask else None)
    state.client = None
    # with Dask the cluster decides the parallelism; local threads only wait for its results
    width = state.workers if client is None else max(1, min(len(state.bundles), 64))
    try:
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="iamkit-render") as pool:
            jobs = [pool.submit(_render_one, state, state.bundles[a], client) for a in sorted(state.bundles)]
            for fut in as_completed(jobs):
                fut.result()
    finally:
        if client is not None:
            client.close()
        # one browser and one fork server per run: closed now, so that their CPU time counts
        browser.shutdown()
        kernels.SERVER.close()


def finalize(state: RunState) -> RunResult:
    """The run's findings files, run.json (finished), the diff against the baseline, the index and
    SHA256SUMS."""
    for aid, rec in state.accounts.items():
        if rec["status"] == "failed":
            state.findings.pop(aid, None)
    all_findings = sorted((f for fs in state.findings.values() for f in fs), key=sort_key)
    assert state.assessment is not None
    state.assessment.write_findings(all_findings, state.run_dir)
    doc = state.save(finished=True)
    diff = None
    if state.opts.baseline:
        from iamkit.diff import diff_runs

        diff = diff_runs(Path(state.opts.baseline), state.run_dir, out=state.run_dir)
    write_index(state.run_dir, doc, all_findings, diff=diff)
    write_sums(state.run_dir)
    state.emit(event="run_done", accounts=len(state.accounts),
               failed=sum(1 for a in state.accounts.values() if a["status"] == "failed"))
    state.events.monitor.finish()
    state.events.close()
    return state.result(doc, all_findings)
