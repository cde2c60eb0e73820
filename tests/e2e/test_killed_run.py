"""A run killed with SIGKILL leaves nothing running: the kernel fork server sees its stdin close and
exits, the kernels it forked die with it (PR_SET_PDEATHSIG), and Playwright's driver closes Chromium."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")]


def _alive_now(pid: int) -> tuple[list[psutil.Process], bool, bool]:
    """(every descendant, a kernel forked by the fork server is alive, a Chromium is alive)."""
    procs, lines = [], {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            lines[child.pid] = " ".join(child.cmdline()).lower()
            procs.append(child)
        except psutil.Error:
            continue
    zygotes = {p.pid for p in procs if "iamkit.report.zygote" in lines[p.pid]}
    kernel = any(p.pid in zygotes and p.ppid() in zygotes for p in procs if p.is_running())
    chrome = any("chrom" in lines[p.pid] for p in procs)
    return procs, kernel, chrome


@pytest.mark.parametrize("pdf", [False, True], ids=["no-pdf", "pdf"])
def test_sigkilled_run_leaves_no_process(tmp_path, pdf):
    """Killed while a forked kernel runs (--no-pdf), or while Chromium is printing (with PDFs)."""
    cmd = [sys.executable, "-m", "iamkit.cli", "--quiet", "demo", "--out", str(tmp_path / "run"), "--workers", "2"]
    proc = subprocess.Popen(cmd if pdf else [*cmd, "--no-pdf"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + 600
    try:
        ready = False
        while not ready and proc.poll() is None and time.monotonic() < deadline:
            procs, kernel, chrome = _alive_now(proc.pid)
            seen.update((p.pid, p) for p in procs)
            ready = chrome if pdf else kernel
            time.sleep(0.02)
        assert ready and proc.poll() is None, "the run ended before it could be killed where wanted"
        os.kill(proc.pid, signal.SIGKILL)  # the run only, not its process group: children must go by themselves
        proc.wait()
        _, alive = psutil.wait_procs(list(seen.values()), timeout=30)
        left = [(p.pid, " ".join(p.cmdline())[:120]) for p in alive
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not left, f"left running after the run was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in seen.values():
            if p.is_running():
                p.kill()
