"""examples/airflow_dag.py: its iamkit commands are valid for iamkit's own parser, batches cover every
account once, and (where Airflow is installed) the DAG maps one report task per batch."""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys
from pathlib import Path

import pytest

from iamkit.cli import build_parser

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "airflow_dag.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("iamkit_airflow_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_commands_parse_with_iamkit_cli(example):
    parser = build_parser()
    plan = parser.parse_args(example.plan_command("/runs/2025-01-01")[1:])
    assert plan.command == "run" and plan.org and plan.no_reports and plan.resume
    batch = parser.parse_args(example.batch_command("/runs/d", "111122223333,444455556666", "0001")[1:])
    assert batch.accounts == ["111122223333", "444455556666"] and batch.resume and not batch.no_reports
    assert str(batch.out) == "/runs/d/batch-0001" and batch.fail_on == "never"


def test_batches_cover_every_ok_account_once(example, tmp_path):
    ids = [f"{i:012d}" for i in range(45)]
    accounts = [{"account_id": a, "status": "ok"} for a in ids] + [{"account_id": "999999999999", "status": "failed"}]
    (tmp_path / "run.json").write_text(json.dumps({"accounts": accounts}))
    envs = example.batches(tmp_path / "run.json", size=20)
    assert [len(e["ACCOUNTS"].split(",")) for e in envs] == [20, 20, 5]
    assert sorted(a for e in envs for a in e["ACCOUNTS"].split(",")) == ids
    assert [e["BATCH"] for e in envs] == ["0000", "0001", "0002"]


def test_dag_maps_one_report_task_per_batch(example):
    pytest.importorskip("airflow", reason="Apache Airflow is not installed (iamkit does not depend on it); "
                                          "pip install apache-airflow to check the example DAG's structure")
    dag = example.nightly
    assert dag.dag_id == "iamkit_nightly"
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {"plan", "account_batches", "report", "summarize_run"}
    assert type(tasks["report"]).__name__ == "MappedOperator"  # one task instance per batch, at run time
    assert tasks["plan"].downstream_task_ids == {"account_batches"}
    assert tasks["account_batches"].downstream_task_ids == {"report"}
    assert tasks["report"].downstream_task_ids == {"summarize_run"}
    command = tasks["report"].partial_kwargs.get("bash_command") or tasks["report"].bash_command
    assert "--accounts" in shlex.split(command.replace('"$ACCOUNTS"', "A"))
