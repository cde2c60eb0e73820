"""Declared reads: a check that reads an evidence file it does not declare fails loudly, also when the
fact it reaches was cached by an earlier check that did declare the file."""

import json

import pytest

from iamkit.evidence import Bundle
from iamkit.reads import UndeclaredEvidence, declared_reads, fact


def _bundle(tmp_path):
    (tmp_path / "iam").mkdir()
    data = b'{"a": 1}'
    (tmp_path / "iam" / "x.json").write_bytes(data)
    import hashlib
    manifest = {"schema_version": 1, "account_id": "111122223333", "collected_at": "2026-01-01T00:00:00Z",
                "files": {"iam/x.json": {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return Bundle(tmp_path)


class _Model:
    def __init__(self, bundle):
        self.bundle = bundle

    @fact
    def x(self):
        return self.bundle.json("iam/x.json")["a"]

    @fact
    def y(self):
        return self.x + 1


def test_undeclared_read_raises_and_declared_read_passes(tmp_path):
    b = _bundle(tmp_path)
    with declared_reads("toy", ["iam/x.json"]):
        assert b.json("iam/x.json") == {"a": 1}
    with declared_reads("toy", ["iam/other.json"]), pytest.raises(UndeclaredEvidence, match="toy read iam/x.json"):
        b.has("iam/x.json")
    assert b.has("iam/x.json")  # outside a check nothing is enforced


def test_cached_fact_replays_its_reads(tmp_path):
    m = _Model(_bundle(tmp_path))
    with declared_reads("first", ["iam/*.json"]):
        assert m.y == 2
    with declared_reads("second", []), pytest.raises(UndeclaredEvidence, match="second read iam/x.json"):
        _ = m.y  # cached, computed from x, which read iam/x.json
    with declared_reads("third", ["iam/x.json"]):
        assert m.x == 1 and m.y == 2


def test_memo_replays_the_reads_of_a_shared_analysis(tmp_path):
    """An analysis shared between checks (admin verdicts, the reach graph) served from a Memo holds the
    second check to the files the first one read to compute it."""
    from iamkit.reads import Memo

    b = _bundle(tmp_path)
    memo, calls = Memo(), []

    def compute():
        calls.append(1)
        return b.json("iam/x.json")["a"]

    with declared_reads("first", ["iam/x.json"]):
        assert memo.get(b, "k", compute) == 1
    with declared_reads("second", ["iam/y.json"]), pytest.raises(UndeclaredEvidence, match="second read iam/x.json"):
        memo.get(b, "k", compute)
    with declared_reads("third", ["iam/x.json"]):
        assert memo.get(b, "k", compute) == 1
    assert len(calls) == 1
