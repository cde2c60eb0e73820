"""Rendering accounts on a Dask cluster (``--dask ADDRESS``): a real local cluster with a worker
process, the demo organization (with PDFs, printed by the worker's browser), and the scheduler's task
stream as proof of where the work ran."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")


def test_demo_renders_every_account_on_the_dask_cluster(tmp_path):
    from distributed import Client, LocalCluster, get_task_stream

    # the demo runs in its own process (its stand-in's AWS state is per process), as a batch job would
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        with get_task_stream(client=client) as stream:
            proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "--quiet", "demo", "--out",
                                   str(tmp_path / "run"), "--dask", cluster.scheduler_address],
                                  capture_output=True, text=True, timeout=600)
        keys = {t["key"] for t in stream.data}
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    ids = [a["account_id"] for a in run["accounts"]]
    assert len(ids) == 5 and all(a["status"] == "ok" for a in run["accounts"])
    for aid in ids:
        assert any(isinstance(k, str) and k.startswith(f"iamkit-render-demo-{aid}-") for k in keys), aid
        assert (tmp_path / "run" / "accounts" / aid / "report.html").is_file()
        # printed by the worker process's own browser; the worker's split comes back into run.json
        assert (tmp_path / "run" / "accounts" / aid / "report.pdf").stat().st_size > 0
    for a in run["accounts"]:
        assert set(a["worker_timings"]) == {"notebooks", "html", "pdf"} and "dask" in a["timings"]
    assert run["timings"]["worker_stages"]["pdf"] > 0


def test_unreachable_scheduler_is_bad_input(tmp_path):
    from iamkit.errors import BadInputError
    from iamkit.runner import dask_client

    with pytest.raises(BadInputError, match="cannot reach the Dask scheduler"):
        dask_client("tcp://127.0.0.1:9", timeout="2s")
