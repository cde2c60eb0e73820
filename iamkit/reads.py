"""Declared reads: which evidence files a check may read, enforced while it runs.

A check declares the evidence files it reads (patterns such as ``iam/credential_report.csv`` for the
account's bundle and ``organization/organizations/policies.json`` for the organization's). While it runs,
``declared_reads`` holds those patterns and every read of a bundle (:class:`iamkit.evidence.Bundle`'s ``has``,
``read_bytes``, ``json``, ``ref``, including facts served from a model's cache, see :class:`fact`) is
checked against them: a read of an undeclared file raises :class:`UndeclaredEvidence`, which is a bug in the
check, not in the evidence. Outside a check nothing is enforced. This module knows nothing of bundles: a
read is named by its key (``iamkit.evidence.evidence_key``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from fnmatch import fnmatchcase
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary


class UndeclaredEvidence(RuntimeError):
    """A check read an evidence file it does not declare (a bug in iamkit, never a verdict)."""


_DECLARED: ContextVar[tuple[str, tuple[str, ...]] | None] = ContextVar("iamkit_declared_reads", default=None)
_RECORDERS: ContextVar[tuple[set[str], ...]] = ContextVar("iamkit_read_recorders", default=())


@contextmanager
def declared_reads(owner: str, patterns: Iterable[str]) -> Iterator[None]:
    """Within the block, reading a file that matches none of ``patterns`` raises UndeclaredEvidence."""
    token = _DECLARED.set((owner, tuple(patterns)))
    try:
        yield
    finally:
        _DECLARED.reset(token)


@contextmanager
def context_reads() -> Iterator[None]:
    """Within the block, reads are neither checked nor recorded: for files read to locate a fact, not as
    evidence of it (the partition, which the manifest's caller identity names and the credential report or
    GAAD only confirm), so a check is not held to files whose absence cannot change its verdict."""
    declared, recorders = _DECLARED.set(None), _RECORDERS.set(())
    try:
        yield
    finally:
        _RECORDERS.reset(recorders)
        _DECLARED.reset(declared)


def note_read(key: str) -> None:
    """Record that ``key`` (see :func:`evidence_key`) is read now; refuse it when the running check
    does not declare it."""
    for rec in _RECORDERS.get():
        rec.add(key)
    declared = _DECLARED.get()
    if declared is not None and not any(fnmatchcase(key, p) for p in declared[1]):
        raise UndeclaredEvidence(f"{declared[0]} read {key} but does not declare it (declared: "
                                 f"{', '.join(declared[1]) or 'nothing'})")


class fact:  # noqa: N801 (used as a decorator, like functools.cached_property)
    """A cached property of a model whose value rests on evidence files: the files read while computing
    it are remembered and re-noted (:func:`note_read`) on every later access, so a check that reaches
    a cached fact is held to its declared reads just as the check that computed it was."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        cache = obj.__dict__.setdefault("_iamkit_facts", {})
        hit = cache.get(self.name)
        if hit is None:
            hit = cache[self.name] = _recorded(lambda: self.fn(obj))
        return _replayed(hit)


def _recorded(compute: Callable[[], Any]) -> tuple[Any, frozenset[str]]:
    """``compute()`` and the evidence keys read while it ran."""
    rec: set[str] = set()
    token = _RECORDERS.set((*_RECORDERS.get(), rec))
    try:
        value = compute()
    finally:
        _RECORDERS.reset(token)
    return value, frozenset(rec)


def _replayed(hit: tuple[Any, frozenset[str]]) -> Any:
    for key in hit[1]:
        note_read(key)
    return hit[0]


class Memo:
    """A cache of values computed from evidence, weakly keyed by an owner (a bundle or a model) and then by
    a key: like :class:`fact`, a value served from it re-notes the evidence files it was computed from, so
    sharing an expensive analysis between checks never lets a check read what it does not declare."""

    def __init__(self) -> None:
        self._data: WeakKeyDictionary[Any, dict[Any, tuple[Any, frozenset[str]]]] = WeakKeyDictionary()
        self._lock = Lock()

    def get(self, owner: Any, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._data.get(owner, {}).get(key)
        if hit is None:
            hit = _recorded(compute)
            with self._lock:
                self._data.setdefault(owner, {})[key] = hit
        return _replayed(hit)

    def put(self, owner: Any, key: Any, value: Any) -> None:
        """Serve ``value`` for (owner, key) from now on: a value the same computation made earlier and saved
        (outside any check: it re-notes no evidence reads)."""
        with self._lock:
            self._data.setdefault(owner, {})[key] = (value, frozenset())
