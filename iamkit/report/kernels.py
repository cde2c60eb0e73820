"""Fast, isolated notebook kernels: a fork server.

Why: executing an area notebook takes ~3 s, of which ~2.7 s is starting a kernel process and
importing ipykernel, pandas, plotly and iamkit in it (measured: benchmarks/run.py, docs/reports.md).
The notebook's own work is a few hundred milliseconds.

How: one *zygote* process per render process imports that stack once and then never executes any
notebook code. For every notebook it ``fork()``s a child that becomes a brand-new ipykernel on the
connection file jupyter_client prepared. So:

* every notebook still runs in its **own process** with its own fresh IPython namespace, its own
  memory (copy-on-write), its own kernel that is shut down afterwards and never reused: nothing a
  notebook does can leak into another notebook (unlike reusing a warm kernel with a "fresh
  namespace", where imported modules, caches and monkeypatches survive from one notebook to the next);
* what the child shares with its siblings is exactly what a fresh ``import`` would give it (the
  zygote only imported modules), so executed notebooks and reports are identical to the ones a cold
  kernel produces (``tests/report/test_kernels.py`` compares them).

The zygote sets ``OPENBLAS_NUM_THREADS=1``-style variables before importing numpy so that it has no
extra threads when it forks. POSIX only; elsewhere, or with ``IAMKIT_KERNELS=fresh``, each notebook
gets a cold kernel started the usual way.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from queue import Empty
from typing import Any

from jupyter_client import AsyncKernelClient, AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from iamkit.errors import RenderError

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def enabled() -> bool:
    return hasattr(os, "fork") and os.environ.get("IAMKIT_KERNELS", "fork") != "fresh"


class ForkServer:
    """The zygote process and the one-line JSON protocol to ask it for a kernel."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        env = dict(os.environ)
        for var in THREAD_VARS:
            env.setdefault(var, "1")
        proc = subprocess.Popen([sys.executable, "-m", "iamkit.report.zygote"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                                start_new_session=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "ready":
            proc.kill()
            raise RenderError(f"the kernel fork server did not start (said {line.strip()!r}); "
                              "set IAMKIT_KERNELS=fresh to start every kernel cold")
        return proc

    def _ensure(self) -> subprocess.Popen[str]:
        """The running zygote, started if needed (call with the lock held)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
            atexit.register(self.close)
        return self.proc

    def warm(self) -> None:
        """Start the zygote now (ahead of the first notebook: :func:`iamkit.report.render.warm_up`)."""
        with self.lock:
            self._ensure()

    def spawn(self, connection_file: str, cwd: str, log_path: str, args: tuple[str, ...] = ()) -> int:
        """A new kernel process on ``connection_file``; returns its pid."""
        with self.lock:
            self._ensure()
            assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps({"connection_file": connection_file, "cwd": cwd,
                                              "log": log_path, "args": list(args)}) + "\n")
            self.proc.stdin.flush()
            reply = self.proc.stdout.readline()
        try:
            return int(json.loads(reply)["pid"])
        except (ValueError, KeyError, TypeError):
            raise RenderError(f"the kernel fork server failed to start a kernel ({reply.strip()!r})") from None

    def close(self) -> None:
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None


SERVER = ForkServer()


class ForkedProcess:
    """The Popen-like handle jupyter_client's LocalProvisioner expects, for a kernel that is the
    zygote's child (the zygote reaps it; we observe it by pid)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


#: every report kernel, forked or cold: no IPython history database. Each kernel would record its cells
#: (their sources hold the run's paths and parameters) in ~/.ipython's one SQLite file, which concurrent
#: kernels lock against each other; measured ~30 ms of every notebook, and nothing reads it back.
KERNEL_ARGS: tuple[str, ...] = ("--HistoryManager.enabled=False",)


class ForkProvisioner(LocalProvisioner):  # type: ignore[misc]
    """LocalProvisioner whose kernel process comes from the fork server instead of Popen."""

    log_path: str = os.devnull

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid = SERVER.spawn(self.parent.connection_file, cwd, self.log_path, KERNEL_ARGS)
        self.process = ForkedProcess(pid)
        self.pid = pid
        self.pgid = pid  # the child calls setsid()
        self.cwd = cwd
        return self.connection_info


class ReadyKernelClient(AsyncKernelClient):  # type: ignore[misc]
    """jupyter_client's start-up handshake (a kernel_info reply on shell, then one IOPub message to
    know IOPub is connected, else ask again) without its final IOPub flush, which always waits 0.2 s
    for a message that does not come (measured: 0.2 s of every 0.6 s notebook). Nothing needs the
    flush: nbclient matches every IOPub message to its request by parent header and ignores others."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    continue  # IOPub not connected yet: ask again
                self._handle_kernel_info_reply(msg)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    wait_for_ready = _async_wait_for_ready


class ColdKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """A kernel started the usual way (``IAMKIT_KERNELS=fresh``), with :class:`ReadyKernelClient`,
    :data:`KERNEL_ARGS` and a 10 ms instead of 100 ms poll for the killed kernel to be gone (~0.1 s lost
    per notebook)."""

    client_class = DottedObjectName("iamkit.report.kernels.ReadyKernelClient")
    client_factory = Type(ReadyKernelClient, klass=AsyncKernelClient)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return list(super().format_kernel_cmd([*(extra_arguments or []), *KERNEL_ARGS]))

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=0.01)


class ForkKernelManager(ColdKernelManager):
    """A kernel manager using :class:`ForkProvisioner`. Subclass it with ``log_path`` set."""

    log_path: str = os.devnull

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            prov = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            prov.log_path = self.log_path
            self.provisioner = prov
        return await super()._async_pre_start_kernel(**kw)


def manager_class(log_path: str | None) -> type[ForkKernelManager]:
    return type("IamkitForkKernelManager", (ForkKernelManager,), {"log_path": log_path or os.devnull})
