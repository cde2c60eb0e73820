"""``SHA256SUMS`` of a run's deliverables and ``iamkit verify RUN_DIR``.

The run writes ``SHA256SUMS`` (the format of GNU ``sha256sum``, so ``sha256sum -c SHA256SUMS`` works
too) over what an auditor receives: the index, every account report (HTML, PDF), the findings exports,
the accepted-risk report, the diff, the resolved parameters and every evidence manifest. Each manifest
in turn holds the sha256 of every evidence file, so ``verify`` re-hashes both levels and names every
file that changed, disappeared, or is listed nowhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from iamkit.errors import BadInputError, EvidenceError
from iamkit.evidence import MANIFEST, Bundle, atomic_write

SUMS = "SHA256SUMS"
TOP_LEVEL = ("index.html", "findings.json", "findings.csv", "findings.ocsf.json", "findings.asff.json",
             "exceptions_report.json", "diff.json", "diff.html", "parameters.resolved.yaml")
ACCOUNT_FILES = ("report.html", "report.pdf", "findings.json")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def deliverables(run_dir: Path) -> Iterator[Path]:
    """The run's deliverables that exist, as paths relative to ``run_dir`` (sorted, stable)."""
    run_dir = Path(run_dir)
    found = [Path(n) for n in TOP_LEVEL if (run_dir / n).is_file()]
    for acct in sorted((run_dir / "accounts").glob("*")) if (run_dir / "accounts").is_dir() else []:
        found += [p.relative_to(run_dir) for p in (acct / n for n in ACCOUNT_FILES) if p.is_file()]
        found += [p.relative_to(run_dir) for p in sorted((acct / "tables").glob("*.csv"))]  # section tables in full
    evidence = run_dir / "evidence"
    if evidence.is_dir():
        found += sorted(p.relative_to(run_dir) for p in evidence.glob(f"*/{MANIFEST}"))
    yield from found


def write_sums(run_dir: Path) -> Path:
    run_dir = Path(run_dir)
    lines = [f"{sha256_file(run_dir / rel)}  {rel.as_posix()}\n" for rel in deliverables(run_dir)]
    out = run_dir / SUMS
    atomic_write(out, "".join(lines).encode())
    return out


def read_sums(path: Path) -> dict[str, str]:
    out = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise BadInputError(f"{path}:{n}: not a sha256sum line")
        out[name] = digest
    return out


def verify(run_dir: Path) -> list[str]:
    """Problems with a run's integrity (empty: every deliverable and evidence file matches)."""
    run_dir = Path(run_dir)
    sums_path = run_dir / SUMS
    if not sums_path.is_file():
        raise BadInputError(f"{run_dir}: no {SUMS} (not a run folder, or written by an iamkit before 0.2)")
    problems = []
    listed = read_sums(sums_path)
    for name, digest in sorted(listed.items()):
        path = run_dir / name
        if not path.is_file():
            problems.append(f"missing: {name}")
        elif sha256_file(path) != digest:
            problems.append(f"changed: {name}")
    for rel in deliverables(run_dir):
        if rel.as_posix() not in listed:
            problems.append(f"not listed in {SUMS}: {rel.as_posix()}")
    for manifest in sorted((run_dir / "evidence").glob(f"*/{MANIFEST}")):
        try:
            bundle = Bundle(manifest.parent)
        except EvidenceError as exc:
            problems.append(f"unreadable evidence bundle {manifest.parent.relative_to(run_dir)}: {exc}")
            continue
        problems += [f"evidence: {p}" for p in bundle.verify()]
    return problems
