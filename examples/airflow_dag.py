"""Nightly iamkit assessment of an AWS organization with Apache Airflow (2.5+ or 3), one mapped task per
batch of accounts (dynamic task mapping).

    plan       iamkit run --org --no-reports        collect + assess every account (cheap): the account list
    batches    read plan/run.json                   account ids in batches of IAMKIT_BATCH (default 20)
    report[i]  iamkit run --org --accounts A,B,...  full reports of one batch, in its own run folder
    summarize  read every batch's run.json          counts; fails if an account failed everywhere

Each batch is an ordinary ``iamkit run`` with ``--resume``: an Airflow retry of a batch skips the
accounts whose reports are complete and redoes only the rest. Batches write to separate run folders
under ``$IAMKIT_RUNS/<ds>/`` (a shared filesystem when the Airflow workers are several machines).
Credentials are the Airflow worker's standard AWS chain (instance role, profile, SSO); nothing secret
is in this file. iamkit does not depend on Airflow: copy this file into your DAGs folder.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

IAMKIT = os.environ.get("IAMKIT_BIN", "iamkit")
RUNS = os.environ.get("IAMKIT_RUNS", "/shared/iamkit/runs")
ROLE = os.environ.get("IAMKIT_ROLE_NAME", "OrganizationAccountAccessRole")
BATCH = int(os.environ.get("IAMKIT_BATCH", "20"))
WORKERS = int(os.environ.get("IAMKIT_WORKERS", "2"))  # accounts in parallel inside one batch task


def plan_command(run_dir: str) -> list[str]:
    return [IAMKIT, "--quiet", "run", "--org", "--role-name", ROLE, "--no-reports", "--resume",
            "--fail-on", "never", "--out", f"{run_dir}/plan"]


def batch_command(run_dir: str, accounts: str, batch: str) -> list[str]:
    return [IAMKIT, "--quiet", "run", "--org", "--role-name", ROLE, "--accounts", accounts, "--resume",
            "--workers", str(WORKERS), "--fail-on", "never", "--json-log", "--out", f"{run_dir}/batch-{batch}"]


def batches(plan_run_json: Path, size: int = BATCH) -> list[dict[str, str]]:
    """One environment per batch: ``ACCOUNTS`` (comma-separated ids) and ``BATCH`` (its number)."""
    doc = json.loads(Path(plan_run_json).read_text())
    ids = sorted(a["account_id"] for a in doc["accounts"] if a.get("status") == "ok")
    return [{"ACCOUNTS": ",".join(ids[i:i + size]), "BATCH": f"{i // size:04d}"} for i in range(0, len(ids), size)]


def summarize(run_dir: Path) -> dict[str, int]:
    counts = {"batches": 0, "ok": 0, "failed": 0}
    for path in sorted(Path(run_dir).glob("batch-*/run.json")):
        counts["batches"] += 1
        for acct in json.loads(path.read_text())["accounts"]:
            counts["ok" if acct.get("status") == "ok" else "failed"] += 1
    return counts


try:  # Airflow 3 (task SDK, standard provider), else Airflow 2.5+
    try:
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import dag, task
    except ImportError:
        from airflow.decorators import dag, task
        from airflow.operators.bash import BashOperator
except ImportError:  # outside Airflow: the helpers above stay importable (and tested)
    dag = None


if dag is not None:
    import shlex

    def _sh(cmd: list[str]) -> str:
        # $ACCOUNTS and $BATCH come from each mapped task's environment: expanded by the shell
        return " ".join(f'"{c}"' if "$" in c else shlex.quote(c) for c in cmd)

    @dag(dag_id="iamkit_nightly", schedule="0 1 * * *", start_date=datetime(2025, 1, 1), catchup=False,
         max_active_tasks=4, default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
         tags=["security", "iam", "iamkit"])
    def iamkit_nightly() -> None:
        run_dir = RUNS + "/{{ ds }}"
        # exit 3 (some accounts could not be collected) still gives the list of the others
        plan = BashOperator(task_id="plan", bash_command=_sh(plan_command(run_dir)) + " || [ $? -eq 3 ]")

        @task
        def account_batches(ds: str | None = None) -> list[dict[str, str]]:
            return batches(Path(RUNS) / str(ds) / "plan" / "run.json")

        envs = account_batches()
        report = BashOperator.partial(
            task_id="report", append_env=True,
            bash_command=_sh(batch_command(run_dir, "$ACCOUNTS", "$BATCH")),
        ).expand(env=envs)

        @task(trigger_rule="all_done")
        def summarize_run(ds: str | None = None) -> dict[str, int]:
            counts = summarize(Path(RUNS) / str(ds))
            if counts["failed"]:
                raise RuntimeError(f"{counts['failed']} account(s) failed; see the batches' run.json and index.html")
            return counts

        plan >> envs
        report >> summarize_run()

    nightly = iamkit_nightly()
