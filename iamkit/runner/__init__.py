"""A run: accounts x (collect -> assess -> notebooks -> render), then the index and exports.

The package, one concern per module: :mod:`~iamkit.runner.planning` (which accounts, OU selection),
:mod:`~iamkit.runner.state` (options, the state passed between stages, run.json, the settings
fingerprint, the resolved parameters), :mod:`~iamkit.runner.resume` (what ``--resume`` reuses),
:mod:`~iamkit.runner.account` (one account through one stage), :mod:`~iamkit.runner.stages` (collect,
assess, render, finalize), :mod:`~iamkit.runner.pipeline` (:func:`run` and :func:`render_run`) and
:mod:`~iamkit.runner.events` (the events a run emits; how they are displayed is the CLI's business).

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

from iamkit.runner.account import integrity_cover
from iamkit.runner.events import MessageMonitor, Monitor, Progress
from iamkit.runner.pipeline import render_run, run
from iamkit.runner.planning import select_ous, with_ou_paths
from iamkit.runner.stages import dask_client
from iamkit.runner.state import RunOptions, RunResult, default_workers, settings_fingerprint

__all__ = [
    "MessageMonitor", "Monitor", "Progress", "RunOptions", "RunResult", "dask_client", "default_workers",
    "integrity_cover", "render_run", "run", "select_ous", "settings_fingerprint", "with_ou_paths",
]
