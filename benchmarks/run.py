"""Benchmark of ``iamkit run``: the demo organization scaled to N accounts (default 20) on the stand-in.

Prints, for each local worker count (``--workers``, default 1 and 2) and for each Dask LocalCluster
size (``--dask local --dask-workers 1 2``: worker *processes*, one thread each), accounts per minute
of a full run (collect -> assess -> notebooks -> HTML -> PDF), the load average, and run.json's
split: seconds per stage summed over accounts with each stage's share, per area notebook, and CPU
time (iamkit's process and its children: kernels, Chromium), and the PDF pages of each account report (in all
and the body before the appendices). Then compares report generation (no
PDF, 1 worker) with forked and cold kernels and with the naive way on the same evidence: one
``papermill`` CLI call per notebook per account, then one ``jupyter nbconvert --to html --no-input``
per executed notebook. The ratio is naive seconds per account / iamkit seconds per account.

    .venv/bin/python benchmarks/run.py                       # 20 accounts, workers 1 and 2, naive on 4
    .venv/bin/python benchmarks/run.py --accounts 8 --workers 2 --naive-accounts 2
    .venv/bin/python benchmarks/run.py --workers --dask local --dask-workers 1 2 --naive-accounts 0

The extra accounts are clones of the scenario's member accounts (iamkit.demo.scale). On a machine
shared with other work, wall time follows the load: compare CPU seconds and the stage split too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iamkit.aws.session import AwsTarget  # noqa: E402
from iamkit.demo import seed as seed_mod  # noqa: E402
from iamkit.demo.run import demo_parameters  # noqa: E402
from iamkit.demo.scale import scaled_scenario  # noqa: E402
from iamkit.demo.standin import StandIn  # noqa: E402
from iamkit.report.render import AREAS, notebooks_dir  # noqa: E402
from iamkit.report.toc import page_counts  # noqa: E402
from iamkit.runner import RunOptions, render_run, run  # noqa: E402
from iamkit.settings import load_settings  # noqa: E402


def stage_split(run_dir: Path) -> dict:
    """run.json's ``timings``: stage seconds summed over accounts, shares, notebooks by area, wall, CPU."""
    return json.loads((run_dir / "run.json").read_text())["timings"]


def show_split(t: dict) -> str:
    split = {**{k: v for k, v in t["stages"].items() if k != "dask"}, **t.get("worker_stages", {})}
    stages = ", ".join(f"{k} {v:.1f}s ({t['share'].get(k, 0) * 100:.0f}%)" for k, v in split.items())
    if "dask" in t["stages"]:
        stages += f"; waited on Dask {t['stages']['dask']:.1f}s (queue included)"
    areas = ", ".join(f"{k[:2]} {v:.1f}" for k, v in t["notebooks_by_area"].items())
    return (f"  stages summed over accounts: {stages}\n  notebooks by area (s): {areas}\n"
            f"  CPU {t.get('cpu_seconds', 0):.1f}s (iamkit {t.get('cpu_seconds_self', 0):.1f}s + kernels, Chromium and "
            f"other children {t.get('cpu_seconds_children', 0):.1f}s) for {t.get('wall_seconds', 0):.1f}s wall")


def full_run(url: str, out: Path, workers: int, pdf: bool = True, dask: str | None = None,
             run_id: str | None = None) -> tuple[float, int, dict]:
    org = seed_mod.scenario()["organization"]
    target = AwsTarget(endpoint_url=url, organization=True, role_name=org["member_role"],
                       regions=tuple(org["regions"]), session_name="iamkit-bench")
    params = demo_parameters()
    opts = RunOptions(out=out, target=target, settings=load_settings([params]), parameters_files=[str(params)],
                      pdf=pdf, source="demo", run_id=run_id or f"bench-w{workers}", workers=workers, dask=dask)
    t0 = time.monotonic()
    result = run(opts)
    wall = time.monotonic() - t0
    ok = len(result.accounts) - len(result.failed)
    return wall, ok, stage_split(out)


def naive(run_dir: Path, accounts: list[str], work: Path) -> float:
    """papermill CLI per notebook per account, then jupyter nbconvert per executed notebook."""
    bin_dir = Path(sys.executable).parent
    evidence = run_dir / "evidence"
    t0 = time.monotonic()
    for aid in accounts:
        out = work / aid
        out.mkdir(parents=True, exist_ok=True)
        for area in AREAS:
            dst = out / f"{area.notebook}.ipynb"
            cmd = [str(bin_dir / "papermill"), str(notebooks_dir() / f"{area.notebook}.ipynb"), str(dst),
                   "-p", "account_id", aid, "-p", "evidence_dir", str(evidence), "-p", "output_dir", str(out),
                   "--no-progress-bar", "--log-level", "ERROR"]
            subprocess.run(cmd, check=True, capture_output=True)
            subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(dst)],
                           check=True, capture_output=True)
    return time.monotonic() - t0


def bench_dir(keep: Path | None, prefix: str) -> Path:
    """The output folder (``--keep`` or a new temporary one); the stand-in's dummy keys for this process."""
    tmp = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo")
    os.environ.pop("AWS_PROFILE", None)
    return tmp


def pdf_pages(run_dir: Path, show: int = 10) -> str:
    """PDF pages per account report: in all and the body before the appendices (issue 10's page budget)."""
    counts = {p.parent.name: page_counts(p) for p in sorted((run_dir / "accounts").glob("*/report.pdf"))}
    if not counts:
        return "  PDF pages: no PDF in this run"
    total = sorted(t for t, _ in counts.values())
    body = sorted(b for _, b in counts.values() if b is not None)
    each = ", ".join(f"{a} {t}/{b}" for a, (t, b) in list(counts.items())[:show])
    more = f" (first {show} of {len(counts)})" if len(counts) > show else ""
    return (f"  PDF pages (in all / body before the appendices): {each}{more}; in all min {total[0]} median "
            f"{total[len(total) // 2]} max {total[-1]}; body max {body[-1] if body else '?'}")


def report(label: str, wall: float, ok: int, split: dict, run_dir: Path | None = None) -> None:
    print(f"{label}: {ok} accounts in {wall:.1f}s = {ok / wall * 60:.1f} accounts/minute (collect -> PDF); "
          f"load average {os.getloadavg()[0]:.1f}\n{show_split(split)}", flush=True)
    if run_dir is not None:
        print(pdf_pages(run_dir), flush=True)


def dask_runs(url: str, tmp: Path, sizes: list[int]) -> Path | None:
    """Full runs whose reports are rendered on a LocalCluster of ``n`` worker processes."""
    from distributed import LocalCluster

    from iamkit.runstats import Clock

    last = None
    for n in sizes:
        out = tmp / f"dask-{n}"
        shutil.rmtree(out, ignore_errors=True)
        clock = Clock()
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            wall, ok, split = full_run(url, out, 2, dask=cluster.scheduler_address, run_id=f"bench-dask{n}")
        cpu = clock.read()  # the workers (and their kernels and browsers) have exited: their CPU counts
        split.update(cpu_seconds=cpu["cpu_seconds"], cpu_seconds_self=cpu["cpu_seconds_self"],
                     cpu_seconds_children=cpu["cpu_seconds_children"])
        report(f"dask local, {n} worker process(es)", wall, ok, split, out)
        last = out
    return last


def compare(last_run: Path, tmp: Path, n_accounts: int) -> None:
    accounts = sorted(p.name for p in (last_run / "evidence").iterdir() if p.name.isdigit())[:n_accounts]
    # the same report generation with iamkit (no AWS, no PDF), 1 worker, on the same accounts
    sub = tmp / "render-subset"
    shutil.rmtree(sub, ignore_errors=True)
    (sub / "evidence").mkdir(parents=True)
    for a in [*accounts, "organization"]:
        shutil.copytree(last_run / "evidence" / a, sub / "evidence" / a)
    doc = json.loads((last_run / "run.json").read_text())
    doc["accounts"] = [a for a in doc["accounts"] if a["account_id"] in accounts]
    (sub / "run.json").write_text(json.dumps(doc))
    n = len(accounts)
    times = {}
    for mode in ("fresh", "fork"):
        os.environ["IAMKIT_KERNELS"] = mode
        t0 = time.monotonic()
        render_run(sub, pdf=False, workers=1)
        times[mode] = time.monotonic() - t0
        cpu = json.loads((sub / "run.json").read_text())["render_timings"]["cpu_seconds"]
        print(f"  render, {mode} kernels: {times[mode] / n:.1f}s/account, {cpu / n:.1f} CPU s/account", flush=True)
    os.environ.pop("IAMKIT_KERNELS")
    theirs = naive(last_run, accounts, tmp / "naive")
    print(f"report generation for {n} accounts, 1 worker, no PDF: iamkit {times['fork'] / n:.1f}s/account "
          f"(forked kernels; {times['fresh'] / n:.1f}s/account with a cold kernel per notebook), "
          f"naive papermill+nbconvert CLI {theirs / n:.1f}s/account: naive/iamkit = {theirs / times['fork']:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="local runs with these --workers")
    ap.add_argument("--dask", choices=["local"], help="also render on a Dask LocalCluster (worker processes)")
    ap.add_argument("--dask-workers", type=int, nargs="+", default=[1, 2], help="LocalCluster sizes")
    ap.add_argument("--naive-accounts", type=int, default=4, help="accounts for the naive comparison (0: none)")
    ap.add_argument("--keep", type=Path, help="keep the run folders here")
    args = ap.parse_args()

    tmp = bench_dir(args.keep, "iamkit-bench-")
    print(f"iamkit run benchmark: {args.accounts} accounts, {os.cpu_count()} cores, output in {tmp}")
    last_run = None
    with StandIn() as standin:
        seed_mod.seed(standin.url, data=scaled_scenario(args.accounts))
        for w in args.workers:
            out = tmp / f"run-w{w}"
            shutil.rmtree(out, ignore_errors=True)
            wall, ok, split = full_run(standin.url, out, w)
            report(f"workers={w}", wall, ok, split, out)
            last_run = out
        if args.dask:
            last_run = dask_runs(standin.url, tmp, args.dask_workers) or last_run
    if last_run is not None and args.naive_accounts > 0:
        compare(last_run, tmp, args.naive_accounts)


if __name__ == "__main__":
    main()
