"""One account's passage through a stage: timed, logged to its ``log.txt``, and isolated (any exception
fails that account, recorded with its stage and a one-line reason, and the others go on). Also the
report cover, which says what the account's evidence is."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from iamkit.errors import IamkitError
from iamkit.evidence import Bundle, iso
from iamkit.model import alias_of
from iamkit.runner.state import RunState

Enter = Callable[[str], None]


def _line(log: IO[str], text: str) -> None:
    log.write(f"{iso(datetime.now(UTC))} {text}\n")
    log.flush()


class _StageClock:
    """The wall seconds of each (sub-)stage of one account, added to its record as they end."""

    def __init__(self, timings: dict[str, float], stage: str) -> None:
        self.timings = timings
        self.stage = stage
        self.since = time.monotonic()

    def switch(self, stage: str) -> None:
        now = time.monotonic()
        self.timings[self.stage] = round(self.timings.get(self.stage, 0.0) + now - self.since, 3)
        self.stage, self.since = stage, now


def _failed(state: RunState, aid: str, stage: str, exc: Exception, log: IO[str]) -> None:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not isinstance(exc, IamkitError):
        reason = f"{type(exc).__name__}: {reason}"
    _line(log, f"{aid} FAILED at {stage}: {reason}")
    log.write("".join(traceback.format_exception(exc)))
    state.accounts[aid].update(status="failed", stage=stage, error=reason)
    state.emit(event="account_failed", account_id=aid, stage=stage, error=reason)


def step(state: RunState, aid: str, stage: str, fn: Callable[[Enter], Any]) -> Any:
    """Run ``fn(enter)`` as ``stage`` of account ``aid``; ``enter(sub)`` starts a sub-stage (notebooks,
    html, pdf). Times every stage; any exception fails the account (recorded in run.json, the run log
    and the account's log.txt with its traceback) and returns None."""
    acct = state.accounts[aid]
    adir = state.account_dir(aid)
    adir.mkdir(parents=True, exist_ok=True)
    timings = acct.setdefault(state.timings_key, {})
    clock = _StageClock(timings, stage)
    with (adir / "log.txt").open("a", encoding="utf-8") as log:
        state.logs[aid] = log

        def enter(name: str) -> None:
            clock.switch(name)
            acct["stage"] = name
            _line(log, f"{aid} stage {name}")
            state.emit(event="stage", account_id=aid, stage=name)

        acct.update(status="running", stage=stage)
        _line(log, f"{aid} run {state.opts.run_id} stage {stage}")
        state.emit(event="stage", account_id=aid, stage=stage)
        try:
            result = fn(enter)
        except Exception as exc:  # recorded: one account never stops the others
            _failed(state, aid, clock.stage, exc, log)
            result = None
        finally:
            clock.switch(clock.stage)
            acct[state.seconds_key] = round(sum(timings.values()), 3)
            state.logs.pop(aid, None)
    state.save()
    return result


def finish_account(state: RunState, aid: str) -> None:
    """The account went through every stage (unless one failed): record it done."""
    acct = state.accounts[aid]
    if acct["status"] == "failed":
        return
    acct.update(status="ok", stage="done", error=None, settings_fingerprint=state.fingerprint)
    state.emit(event="account_done", account_id=aid, seconds=acct.get(state.seconds_key),
               timings=acct.get(state.timings_key))
    state.save()


def integrity_cover(bundle: Bundle) -> dict[str, str]:
    """The report cover's line for evidence assessed with --allow-modified (empty when intact)."""
    if not (bundle.allow_modified and bundle.altered):
        return {}
    return {"Evidence integrity": f"ALTERED after collection ({', '.join(bundle.altered)} no longer match the "
                                  "manifest); assessed with --allow-modified"}


def cover(state: RunState, bundle: Bundle) -> dict[str, str]:
    """The report cover of an account: who it is, where and when its evidence was collected."""
    acct = state.accounts[bundle.account_id]
    out = {"Account": bundle.account_id}
    alias = alias_of(bundle)
    if alias:
        out["Account alias"] = alias
    if acct.get("name"):
        out["Account name"] = acct["name"]
    if acct.get("ou_path"):
        out["Organizational unit"] = acct["ou_path"]
    out.update({"Collected at": iso(bundle.collected_at),
                "Collected by": (bundle.manifest.get("caller_identity") or {}).get("Arn", "unknown"),
                "Evidence source": bundle.source, "Run": state.opts.run_id})
    if state.rerender is not None:
        out["Rendered again at"] = iso(datetime.now(UTC))
    out.update(integrity_cover(bundle))
    return out
