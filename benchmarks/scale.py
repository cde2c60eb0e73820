"""Scale benchmark: an organization of N accounts (default 500) on the stand-in.

Prints: seeding time; ``iamkit run --org --no-reports`` (collect + assess + index, the part whose cost
grows with the organization) wall time, API calls in total and per account (from the manifests),
the driver's peak RSS; the index's size and the time Chromium takes to open it; the time one
notebook's ``nb.load`` takes on the N-account evidence; then a second run SIGKILLed when half of the
accounts are collected and resumed with ``--resume``: accounts reused, resume wall time, and whether
the resumed findings equal the uninterrupted run's.

    .venv/bin/python benchmarks/scale.py                 # 500 accounts, 8 collection workers
    .venv/bin/python benchmarks/scale.py --accounts 100 --workers 4 --keep /tmp/scale

The run is a separate process (as in production): it talks to the stand-in over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.run import bench_dir  # noqa: E402
from iamkit.demo import seed as seed_mod  # noqa: E402
from iamkit.demo.scale import scaled_scenario  # noqa: E402
from iamkit.demo.standin import StandIn  # noqa: E402


def run_cmd(url: str, out: Path, workers: int, *extra: str) -> list[str]:
    org = seed_mod.scenario()["organization"]
    return [sys.executable, "-m", "iamkit.cli", "--quiet", "run", "--endpoint-url", url, "--org", "--role-name",
            org["member_role"], "--regions", ",".join(org["regions"]), "--out", str(out), "--workers", str(workers),
            "--no-reports", "--fail-on", "never", *extra]


def timed_run(cmd: list[str]) -> tuple[float, int, float]:
    """(wall seconds, exit code, peak RSS in MiB) of one run process."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t0, proc.returncode, usage.ru_maxrss / 1024


def api_calls(run_dir: Path) -> tuple[int, int]:
    total, bundles = 0, 0
    for manifest in (run_dir / "evidence").glob("*/manifest.json"):
        total += sum(json.loads(manifest.read_text()).get("operations", {}).values())
        bundles += 1
    return total, bundles


def open_index(index: Path) -> tuple[float, int]:
    """Seconds until Chromium has loaded the index (scripts run), and its number of table rows."""
    from playwright.async_api import async_playwright

    from iamkit.report.browser import LAUNCH_ARGS, chromium

    async def go() -> tuple[float, int]:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium(), args=LAUNCH_ARGS)
            page = await browser.new_page()
            t0 = time.monotonic()
            await page.goto(index.resolve().as_uri(), wait_until="load")
            seconds = time.monotonic() - t0
            rows = await page.evaluate("document.querySelectorAll('tr').length")
            await browser.close()
            return seconds, rows

    return asyncio.run(go())


def load_seconds(run_dir: Path) -> float:
    from iamkit.report import nb

    ids = sorted(p.name for p in (run_dir / "evidence").iterdir() if p.name.isdigit())
    params = [str(run_dir / "parameters.resolved.yaml")]
    nb.load(str(run_dir / "evidence"), ids[0], params)  # first use loads packaged data (the zygote does that once)
    t0 = time.monotonic()
    nb.load(str(run_dir / "evidence"), ids[-1], params)
    return time.monotonic() - t0


def kill_at_half(cmd: list[str], out: Path, n: int) -> int:
    """Start the run, SIGKILL it when half of the accounts are collected; returns how many were."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    while proc.poll() is None:
        try:
            accounts = json.loads((out / "run.json").read_text())["accounts"]
        except (OSError, ValueError, KeyError):
            accounts = []
        done = sum(1 for a in accounts if a.get("collected_at"))
        if done >= n // 2:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.2)
    proc.wait()
    return done


def keyset(run_dir: Path) -> set[tuple]:
    return {(f["check_id"], f["account_id"], f["region"], f["resource_arn"], f["status"])
            for f in json.loads((run_dir / "findings.json").read_text())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=500)
    ap.add_argument("--workers", type=int, default=8, help="accounts collected in parallel")
    ap.add_argument("--keep", type=Path, help="keep the run folders here")
    args = ap.parse_args()
    tmp = bench_dir(args.keep, "iamkit-scale-")
    n = args.accounts
    print(f"scale benchmark: {n} accounts, {args.workers} collection workers, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, output in {tmp}", flush=True)
    with StandIn() as standin:
        t0 = time.monotonic()
        seed_mod.seed(standin.url, data=scaled_scenario(n))
        print(f"seeded the stand-in in {time.monotonic() - t0:.0f}s", flush=True)
        full = tmp / "full"
        shutil.rmtree(full, ignore_errors=True)
        wall, code, rss = timed_run(run_cmd(standin.url, full, args.workers))
        doc = json.loads((full / "run.json").read_text())
        ok = sum(1 for a in doc["accounts"] if a["status"] == "ok")
        calls, bundles = api_calls(full)
        t = doc["timings"]
        print(f"run --org --no-reports: exit {code}, {ok}/{len(doc['accounts'])} accounts ok in {wall:.0f}s "
              f"({ok / wall * 60:.0f} accounts/minute), collect {t['stages'].get('collect', 0):.0f}s and assess "
              f"{t['stages'].get('assess', 0):.0f}s summed over accounts, organization bundle "
              f"{(doc.get('organization') or {}).get('seconds', 0):.0f}s", flush=True)
        print(f"  API calls: {calls} over {bundles} bundles = {calls / max(1, bundles):.1f} per bundle; "
              f"driver peak RSS {rss:.0f} MiB; CPU {t.get('cpu_seconds', 0):.0f}s", flush=True)
        index = full / "index.html"
        seconds, rows = open_index(index)
        print(f"  index.html {index.stat().st_size / 1e3:.0f} kB, {rows} table rows, opened by Chromium in "
              f"{seconds:.1f}s; findings.json {(full / 'findings.json').stat().st_size / 1e6:.1f} MB", flush=True)
        print(f"  one notebook's nb.load on the {n}-account evidence: {load_seconds(full):.2f}s", flush=True)
        part = tmp / "killed"
        shutil.rmtree(part, ignore_errors=True)
        collected = kill_at_half(run_cmd(standin.url, part, args.workers), part, n)
        wall2, code2, rss2 = timed_run(run_cmd(standin.url, part, args.workers, "--resume"))
        reused = sum(1 for a in json.loads((part / "run.json").read_text())["accounts"] if a.get("evidence_reused"))
        same = keyset(part) == keyset(full)
        print(f"killed at {collected}/{n} collected; --resume: exit {code2} in {wall2:.0f}s "
              f"(full run {wall:.0f}s), {reused} accounts' evidence reused, peak RSS {rss2:.0f} MiB, "
              f"findings equal to the uninterrupted run's: {same}", flush=True)


if __name__ == "__main__":
    main()
