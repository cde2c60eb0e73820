"""Privilege-escalation path catalog.

The catalog (package data ``data/escalation_paths.json``) is derived from DataDog's
pathfinding.cloud ``paths.json`` (Apache-2.0; its LICENSE and NOTICE ship beside it as
``pathfinding.LICENSE`` and ``pathfinding.NOTICE``). Only facts are taken: path id, category
(``self-escalation``, ``principal-access``, ``new-passrole``, ``existing-passrole``), the
required actions and the parent path; the descriptions are iamkit's own one-line summaries.

Decisions:

* A path matches when *every* required action is in the allowed set. Matching is
  case-insensitive, and the allowed set may contain IAM wildcards (``iam:*``, ``*``), so both
  :func:`iamkit.policy.evaluate.effective_actions` output and raw patterns work.
* Matching is on actions only: resource constraints, conditions and the prerequisites (an
  existing privileged role, a project, an instance...) are not checked. A match therefore means
  "this principal holds the permissions of this path", which is what a catalog check reports; a
  finding should say the path is potential.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from iamkit.policy import actions as catalog

__all__ = ["CATEGORIES", "EscalationPath", "escalation_paths", "escalation_paths_for"]

CATEGORIES: tuple[str, ...] = ("self-escalation", "principal-access", "new-passrole", "existing-passrole")


@dataclass(frozen=True, slots=True)
class EscalationPath:
    id: str  # pathfinding.cloud id, e.g. "iam-001"
    category: str  # one of CATEGORIES
    required_actions: tuple[str, ...]  # canonical spelling, e.g. ("iam:CreatePolicyVersion",)
    services: tuple[str, ...]
    parent: str | None  # the path this one varies, if any
    description: str
    passes_role_to: tuple[str, ...] = ()  # service principals a role passed by iam:PassRole must trust

    @property
    def name(self) -> str:
        return " + ".join(self.required_actions)


@functools.lru_cache(maxsize=1)
def escalation_paths() -> tuple[EscalationPath, ...]:
    """All catalogued paths, sorted by id."""
    raw = json.loads(resources.files("iamkit.policy").joinpath("data", "escalation_paths.json").read_text("utf-8"))
    return tuple(
        EscalationPath(
            id=p["id"],
            category=p["category"],
            required_actions=tuple(p["required_actions"]),
            services=tuple(p["services"]),
            parent=p.get("parent"),
            description=p["description"],
            passes_role_to=tuple(p.get("passes_role_to", ())),
        )
        for p in raw["paths"]
    )


def escalation_paths_for(allowed_actions: Iterable[str]) -> list[EscalationPath]:
    """Paths whose required actions are all in ``allowed_actions`` (names or IAM patterns)."""
    exact: set[str] = set()
    patterns: list[str] = []
    for action in allowed_actions:
        a = action.strip().lower()
        if a == "*":
            return list(escalation_paths())
        if "*" in a or "?" in a:
            patterns.append(a)
        else:
            exact.add(a)

    def allowed(action: str) -> bool:
        low = action.lower()
        return low in exact or any(catalog.matches(p, low) for p in patterns)

    return [p for p in escalation_paths() if all(allowed(a) for a in p.required_actions)]
