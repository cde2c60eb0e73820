"""Cost of running every check inside its declared reads: ``assess`` of an evidence folder with the enforcement on
(as shipped) and off (``declared_reads`` replaced by a no-op), best of N runs each. Prints numbers only.

    .venv/bin/python benchmarks/declared_reads.py EVIDENCE_DIR [--runs 3] [--parameters FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

from iamkit.checks import assess, registry
from iamkit.evidence import load_bundles
from iamkit.settings import load_settings


def best(evidence: Path, settings: object, runs: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(runs):
        bundles, org = load_bundles([evidence])  # fresh models: nothing cached between runs
        t = time.perf_counter()
        n = len(assess(bundles, settings, org))
        times.append(time.perf_counter() - t)
    return min(times), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("evidence", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parameters", type=Path)
    a = ap.parse_args()
    settings = load_settings([a.parameters] if a.parameters else [])
    on, n = best(a.evidence, settings, a.runs)
    shipped = registry.declared_reads
    registry.declared_reads = lambda *_a: contextlib.nullcontext()  # type: ignore[assignment]
    try:
        off, _ = best(a.evidence, settings, a.runs)
    finally:
        registry.declared_reads = shipped
    print(f"findings: {n}")
    print(f"assess with declared reads enforced: {on:.3f} s (best of {a.runs})")
    print(f"assess without enforcement:          {off:.3f} s (best of {a.runs})")
    print(f"overhead: {on - off:+.3f} s ({(on - off) / off * 100:+.1f} %)")


if __name__ == "__main__":
    main()
