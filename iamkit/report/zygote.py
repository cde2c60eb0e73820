"""The kernel fork server (see :mod:`iamkit.report.kernels`): ``python -m iamkit.report.zygote``.

Imports the kernel and report stack once, prints ``ready``, then for each JSON line on stdin
(``{"connection_file", "cwd", "log"}``) forks a child that becomes a new ipykernel on that
connection file, and answers ``{"pid": ...}``. It never runs notebook code itself. Exited children
are waited for on SIGCHLD; the server exits when its stdin closes (its parent ended or died),
and every kernel it forked is then killed by the kernel (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import json
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _preload() -> None:
    import ipykernel.debugger  # noqa: F401  (debugpy: imported by every kernel's start, ~0.06 s)
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import IPython.core.interactiveshell  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import plotly.io  # noqa: F401

    import iamkit.report.charts  # noqa: F401
    import iamkit.report.identity_center  # noqa: F401
    import iamkit.report.leastpriv  # noqa: F401
    import iamkit.report.nb  # noqa: F401
    import iamkit.report.sections  # noqa: F401  (every notebook's first import)

    _warm()


def _warm() -> None:
    """Load what every notebook would otherwise load lazily, on first use, in its own kernel: the IAM
    action catalog, the escalation paths, the control metadata (YAML), the default settings, and
    plotly's templates and validators for every trace and shape the charts use. Measured: ~0.45 s of
    CPU per notebook (docs/performance.md). These are library loaders of packaged data, the same in
    every process; no evidence is read and no notebook code runs here."""
    import plotly.graph_objects as go

    from iamkit.checks.registry import metadata
    from iamkit.policy import actions, privesc
    from iamkit.settings import load_settings

    actions.catalog_size()
    privesc.escalation_paths()
    metadata()
    load_settings([])
    bars = go.Figure()
    bars.add_bar(x=[1], y=["a"], orientation="h", marker_color="#b00")
    bars.add_histogram(x=[1, 2])
    bars.add_scatter(x=[1], y=[1], mode="markers+lines", text=["a"], hovertext=["a"])
    bars.add_hline(y=1, line_dash="dash")
    bars.add_vline(x=1, line_dash="dash")
    bars.add_annotation(text="a", x=1, y=1, showarrow=False)
    bars.update_layout(title="a", barmode="stack", height=100, margin={"l": 1}, legend={"orientation": "h"})
    bars.update_xaxes(title="x")
    bars.update_yaxes(title="y", autorange="reversed")
    sun = go.Figure()
    sun.add_sunburst(ids=["r", "a"], labels=["r", "a"], parents=["", "r"], marker={"colors": ["#0a0", "#b00"]})
    for fig in (bars, sun):
        fig.to_html(include_plotlyjs=False, full_html=False)
        fig.to_json()


def _die_with_parent(parent: int) -> None:
    """Linux: this process gets SIGKILL when ``parent`` (the single-threaded zygote) exits, however it
    exits; the zygote itself exits when its stdin closes, i.e. when the run that started it ends or
    dies (even by SIGKILL). So no kernel outlives its run. If the zygote is already gone, exit now."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


def _child(req: dict[str, str], zygote: int) -> None:
    """In the forked child: become a fresh kernel. Never returns."""
    code = 1
    try:
        _die_with_parent(zygote)
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
        argv = ["-f", req["connection_file"], *req.get("args", [])]
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
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
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            _child(req, zygote)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
