"""Where a run's time went: the per-stage split written to ``run.json`` (``timings``).

Per account the runner records wall seconds per stage (``timings``: collect, assess, notebooks,
html, pdf; ``dask`` for the wait on a Dask worker, whose own split is ``worker_timings``) and per area
notebook (``notebook_seconds``). :func:`summary` adds them up for the run and adds the run's wall
time and CPU time: this process's own, and its children's (kernels via the fork server, Chromium,
cold kernels), counted once they have exited, which is why the runner closes the browser and the
fork server before the final summary. On a shared machine wall time depends on the load; CPU time
much less so, which makes it the figure to compare before/after changes.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def _cpu(who: int) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


@dataclass
class Clock:
    """Wall and CPU time since this object was made."""

    wall0: float = field(default_factory=time.monotonic)
    self0: float = field(default_factory=lambda: _cpu(resource.RUSAGE_SELF))
    children0: float = field(default_factory=lambda: _cpu(resource.RUSAGE_CHILDREN))

    def read(self) -> dict[str, float]:
        own = _cpu(resource.RUSAGE_SELF) - self.self0
        children = _cpu(resource.RUSAGE_CHILDREN) - self.children0
        return {"wall_seconds": round(time.monotonic() - self.wall0, 3),
                "cpu_seconds": round(own + children, 3), "cpu_seconds_self": round(own, 3),
                "cpu_seconds_children": round(children, 3)}


def _add(into: dict[str, float], items: dict[str, float] | None) -> None:
    for key, sec in (items or {}).items():
        into[key] = into.get(key, 0.0) + float(sec)


def _rounded(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in sorted(d.items())}


def summary(accounts: Iterable[dict[str, Any]], clock: Clock | None = None) -> dict[str, Any]:
    """Stage seconds summed over the accounts, each stage's share, the notebooks by area, and (with
    ``clock``) the run's wall and CPU time."""
    stages: dict[str, float] = {}
    worker: dict[str, float] = {}
    areas: dict[str, float] = {}
    for acct in accounts:
        _add(stages, acct.get("timings"))
        _add(worker, acct.get("worker_timings"))
        _add(areas, acct.get("notebook_seconds"))
    split = {**{k: v for k, v in stages.items() if k != "dask"}, **worker} if worker else stages
    total = sum(split.values())
    out: dict[str, Any] = {
        "stages": _rounded(stages),
        "share": {k: round(v / total, 3) for k, v in sorted(split.items())} if total else {},
        "notebooks_by_area": _rounded(areas),
    }
    if worker:
        out["worker_stages"] = _rounded(worker)
    if clock is not None:
        out.update(clock.read())
    return out
