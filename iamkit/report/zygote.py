"""The kernel fork server (see :mod:`iamkit.report.kernels`): ``python -m iamkit.report.zygote``.

Imports the kernel and report stack once, prints ``ready``, then for each JSON line on stdin
(``{"connection_file", "cwd", "log"}``) forks a child that becomes a new ipykernel on that
connection file, and answers ``{"pid": ...}``. It never runs notebook code itself. Exited children
are waited for on SIGCHLD; the server exits when its stdin closes.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def _preload() -> None:
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import IPython.core.interactiveshell  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import plotly.io  # noqa: F401

    import iamkit.report.charts  # noqa: F401
    import iamkit.report.nb  # noqa: F401


def _child(req: dict[str, str]) -> None:
    """In the forked child: become a fresh kernel. Never returns."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(req.get("log") or os.devnull, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(req["cwd"])
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.argv = ["ipykernel_launcher", "-f", req["connection_file"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=["-f", req["connection_file"]])
        code = 0
    except BaseException as exc:  # the kernel's log gets the reason; the parent sees the kernel die
        print(f"iamkit kernel child failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    finally:
        os._exit(code)


def _reap(_signum: int, _frame: object) -> None:
    """Wait for every exited kernel: no zombies, and their CPU time adds up in this process's
    children usage, hence in the run's (``run.json`` ``timings.cpu_seconds``) once it exits."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    _preload()
    signal.signal(signal.SIGCHLD, _reap)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(req)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
