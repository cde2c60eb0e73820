"""``iamkit diff OLD_RUN NEW_RUN``: new, resolved and changed findings between two runs.

A finding's identity across runs is ``(check_id, account_id, region, resource_arn)``
(:attr:`Finding.key`). Against the old run:

* **new**: a FAIL (or ERROR) in the new run whose key was not failing (or erroring) before: either
  the resource is new, or it used to PASS / be NOT_APPLICABLE;
* **resolved**: a FAIL (or ERROR) in the old run whose key is no longer failing (it passes now, or
  the resource is gone);
* **changed**: the same key failing in both runs with a different severity, detail or accepted-risk
  state (e.g. a key that aged from 120 to 150 days), and any other status change between two
  non-passing statuses (FAIL -> ERROR).

Only problems matter to an auditor: a PASS that stays PASS, or whose detail changes ("key is 12 days
old" -> "13 days"), is not listed. Ages in details change between any two runs, so ``changed``
compares details only when severity and exception are equal *and* ``detail_changes`` is asked for;
by default a FAIL that stays FAIL with the same severity and exception state is unchanged.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamkit.errors import BadInputError
from iamkit.evidence import atomic_write
from iamkit.findings import Finding, Status, load_json, sort_key

PROBLEM = {Status.FAIL, Status.ERROR}


@dataclass
class Change:
    old: Finding
    new: Finding

    @property
    def what(self) -> str:
        parts = []
        if self.old.status != self.new.status:
            parts.append(f"status {self.old.status.value} -> {self.new.status.value}")
        if self.old.severity != self.new.severity:
            parts.append(f"severity {self.old.severity.value} -> {self.new.severity.value}")
        if (self.old.exception is None) != (self.new.exception is None):
            parts.append("accepted risk " + ("added" if self.new.exception else "removed"))
        if self.old.detail != self.new.detail and not parts:
            parts.append("detail changed")
        return "; ".join(parts)


@dataclass
class Diff:
    new: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    old_source: str = ""
    new_source: str = ""

    @property
    def empty(self) -> bool:
        return not (self.new or self.resolved or self.changed)

    def summary(self) -> str:
        return (f"{len(self.new)} new, {len(self.resolved)} resolved, {len(self.changed)} changed "
                f"finding(s)")

    def to_json(self) -> dict[str, Any]:
        def rec(f: Finding) -> dict[str, Any]:
            return {"check_id": f.check_id, "account_id": f.account_id, "region": f.region,
                    "resource_arn": f.resource_arn, "status": f.status.value, "severity": f.severity.value,
                    "detail": f.detail}

        return {
            "old": self.old_source, "new": self.new_source,
            "summary": {"new": len(self.new), "resolved": len(self.resolved), "changed": len(self.changed)},
            "new_findings": [rec(f) for f in self.new],
            "resolved_findings": [rec(f) for f in self.resolved],
            "changed_findings": [{"old": rec(c.old), "new": rec(c.new), "what": c.what} for c in self.changed],
        }

    def html(self, title: str | None = "Changes since the baseline run") -> str:
        """A small HTML section (escaped) for the index and the summary notebook."""
        e = html.escape
        out = [f"<h2>{e(title)}</h2>"] if title else []
        out.append(f"<p>Against <code>{e(self.old_source or 'the baseline')}</code>: "
                   f"<strong>{e(self.summary())}</strong>.</p>")

        def table(rows: list[list[str]], head: list[str]) -> str:
            h = "".join(f"<th>{e(c)}</th>" for c in head)
            body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in r) + "</tr>" for r in rows)
            return f'<table class="iamkit-table"><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>'

        head = ["change", "status", "severity", "account", "check", "region", "resource", "detail"]
        rows = ([["new", f.status.value, f.severity.value, f.account_id, f.check_id, f.region, f.resource_arn,
                  f.detail] for f in self.new]
                + [["resolved", f.status.value, f.severity.value, f.account_id, f.check_id, f.region,
                    f.resource_arn, f.detail] for f in self.resolved]
                + [["changed: " + c.what, c.new.status.value, c.new.severity.value, c.new.account_id,
                    c.new.check_id, c.new.region, c.new.resource_arn, c.new.detail] for c in self.changed])
        if rows:
            out.append(table(rows, head))
        return "\n".join(out)


def diff_findings(old: Iterable[Finding], new: Iterable[Finding], *, detail_changes: bool = False) -> Diff:
    olds = {f.key: f for f in old}
    news = {f.key: f for f in new}
    d = Diff()
    for key, f in news.items():
        o = olds.get(key)
        if f.status in PROBLEM and (o is None or o.status not in PROBLEM):
            d.new.append(f)
        elif f.status in PROBLEM and o is not None:
            if (o.status != f.status or o.severity != f.severity
                    or (o.exception is None) != (f.exception is None)
                    or (detail_changes and o.detail != f.detail)):
                d.changed.append(Change(o, f))
    for key, o in olds.items():
        f = news.get(key)
        if o.status in PROBLEM and (f is None or f.status not in PROBLEM):
            d.resolved.append(o)
    d.new.sort(key=sort_key)
    d.resolved.sort(key=sort_key)
    d.changed.sort(key=lambda c: sort_key(c.new))
    return d


def load_run_findings(path: Path) -> list[Finding]:
    """Findings of a run folder (``findings.json`` in it), or of a findings.json file itself."""
    p = Path(path)
    f = p / "findings.json" if p.is_dir() else p
    if not f.is_file():
        raise BadInputError(f"{path}: no findings.json (give a run folder or a findings.json file)")
    return load_json(f)


def diff_runs(old_run: Path, new_run: Path, *, out: Path | None = None,
              accounts: Sequence[str] | None = None) -> Diff:
    """Diff two runs; writes ``diff.json`` and ``diff.html`` into ``out`` (default: the new run)."""
    old = load_run_findings(old_run)
    new = load_run_findings(new_run)
    if accounts is not None:
        old = [f for f in old if f.account_id in accounts]
    d = diff_findings(old, new)
    d.old_source, d.new_source = str(old_run), str(new_run)
    target = Path(out) if out is not None else (Path(new_run) if Path(new_run).is_dir() else Path(new_run).parent)
    target.mkdir(parents=True, exist_ok=True)
    atomic_write(target / "diff.json", json.dumps(d.to_json(), indent=1).encode())
    page = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>iamkit diff</title></head><body>'
            + d.html("iamkit diff") + "</body></html>")
    atomic_write(target / "diff.html", page.encode())
    return d
