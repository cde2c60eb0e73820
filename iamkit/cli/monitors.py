"""How the command line shows a run's events (:mod:`iamkit.runner.events`): a rich live display, JSON
lines on stderr (``--json-log``) or nothing (``--quiet``)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import IO, Any

from rich.console import Console

from iamkit.runner.events import MessageMonitor, Monitor


class JsonLinesMonitor(Monitor):
    """One JSON object per event on a stream (stderr), for batch jobs and log collectors."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def event(self, ev: dict[str, Any]) -> None:
        with self.lock:
            self.stream.write(json.dumps(ev, default=str) + "\n")
            self.stream.flush()


class RichMonitor(Monitor):
    """A live display on stderr: a bar of accounts done/failed and each running account's stage."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[detail]}"), console=console,
                                 transient=False)
        self.task: Any = None
        self.done = self.failed = self.skipped = 0
        self.stages: dict[str, str] = {}
        self.lock = threading.Lock()

    def start(self, total: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("accounts", total=total, detail="")

    def _refresh(self) -> None:
        running = ", ".join(f"{a}:{s}" for a, s in sorted(self.stages.items())[:4])
        more = f" +{len(self.stages) - 4}" if len(self.stages) > 4 else ""
        detail = f"[green]{self.done} done[/] [red]{self.failed} failed[/]"
        if self.skipped:
            detail += f" {self.skipped} resumed"
        if running:
            detail += f"  [dim]{running}{more}[/]"
        self.progress.update(self.task, completed=self.done + self.failed + self.skipped, detail=detail)

    def _print(self, text: str) -> None:
        self.progress.console.print(text, highlight=False)

    def _count(self, kind: str, ev: dict[str, Any]) -> None:
        if kind == "stage":
            self.stages[str(ev["account_id"])] = str(ev["stage"])
        elif kind == "account_done":
            self.done += 1
            self.stages.pop(str(ev["account_id"]), None)
        elif kind == "account_skipped":
            self.skipped += 1
        elif kind == "account_failed":
            self.failed += 1
            self.stages.pop(str(ev["account_id"]), None)
            self._print(f"[red]failed[/] {ev['account_id']} at {ev['stage']}: {ev['error']}")
        elif kind == "organization_done":
            self.stages.pop("organization", None)
        elif kind in ("message", "organization_failed"):
            self.stages.pop("organization", None)
            self._print(str(ev.get("message") or ev.get("error")))

    def event(self, ev: dict[str, Any]) -> None:
        with self.lock:
            self._count(str(ev.get("event")), ev)
            if self.task is not None:
                self._refresh()

    def finish(self) -> None:
        self.stages.clear()
        if self.task is not None:
            self._refresh()
        self.progress.stop()


def monitor(args: argparse.Namespace, err: Console) -> Monitor:
    """The run display: nothing (--quiet), JSON lines (--json-log) or a rich live display."""
    if args.json_log:
        return JsonLinesMonitor(sys.stderr)
    if args.quiet:
        return MessageMonitor(lambda _m: None)
    return RichMonitor(err)


def progress(console: Console, quiet: bool):  # noqa: ANN201
    """Plain progress lines (``collect``), or nothing with --quiet."""
    return (lambda _m: None) if quiet else (lambda m: console.print(f"[dim]·[/dim] {m}", highlight=False))
