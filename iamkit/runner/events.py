"""What a run tells the world: events to an observer (:class:`Monitor`) and to ``run.log.jsonl``.

The library only emits events; how they are shown (a live display, JSON lines on stderr, nothing) is
the command line's business (:mod:`iamkit.cli.monitors`). Events are dicts with an ``event`` key:
``run_start``, ``stage``, ``account_done``, ``account_failed``, ``account_skipped``, ``message``,
``organization_done``, ``organization_failed``, ``run_done``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iamkit.evidence import iso

Progress = Callable[[str], None]


class Monitor:
    """Receives run events. The CLI's displays subclass it; a plain ``progress(message)`` callable is
    wrapped by :class:`MessageMonitor`."""

    def start(self, total: int) -> None:  # noqa: B027  (optional hook)
        pass

    def event(self, ev: dict[str, Any]) -> None:  # noqa: B027
        pass

    def finish(self) -> None:  # noqa: B027
        pass


class MessageMonitor(Monitor):
    """One line of text per event that says something to a person, given to ``progress``."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def event(self, ev: dict[str, Any]) -> None:
        kind = ev.get("event")
        if kind == "stage":
            self.progress(f"{ev['account_id']}: {ev['stage']}")
        elif kind == "account_failed":
            self.progress(f"{ev['account_id']}: failed at {ev['stage']}: {ev['error']}")
        elif kind == "account_skipped":
            self.progress(f"{ev['account_id']}: complete in the previous run, skipped (--resume)")
        elif kind == "message":
            self.progress(ev["message"])


def as_monitor(progress: Progress | Monitor) -> Monitor:
    return progress if isinstance(progress, Monitor) else MessageMonitor(progress)


class EventLog:
    """Every event of a run, stamped with the time and run id, appended to ``run.log.jsonl`` and given
    to the monitor. Thread-safe."""

    def __init__(self, run_dir: Path, run_id: str, monitor: Monitor) -> None:
        self.run_id = run_id
        self.monitor = monitor
        self.lock = threading.Lock()
        self._file = (Path(run_dir) / "run.log.jsonl").open("a", encoding="utf-8")

    def emit(self, **ev: Any) -> None:
        ev = {"time": iso(datetime.now(UTC)), "run_id": self.run_id, **ev}
        with self.lock:
            self._file.write(json.dumps(ev, default=str) + "\n")
            self._file.flush()
        self.monitor.event(ev)

    def close(self) -> None:
        with self.lock:
            self._file.close()
