"""How long a notebook's ``nb.load`` takes as a run grows: the run path (the assessment stage's
``findings.json``, this account's and the organization's bundles; with ``whole_run`` the other accounts'
bundles registered unread, as notebook 03 asks) against a full re-assessment (what ``nb.load`` did in every
notebook before, and still does in JupyterLab).

    .venv/bin/iamkit demo --out /tmp/demo --no-pdf
    .venv/bin/python benchmarks/nbload.py /tmp/demo --accounts 5 50 200

The run's member bundles are cloned under new account ids (same files, so every sha256 still matches) to
make an evidence folder of N accounts; the organization bundle is shared. Timings are wall seconds in this
process after one warm-up call (the kernels' fork server has the imports and packaged data loaded too).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iamkit.evidence import MANIFEST, ORGANIZATION  # noqa: E402
from iamkit.findings import write_json  # noqa: E402
from iamkit.report import nb  # noqa: E402
from iamkit.report.render import AREAS  # noqa: E402


def grow(run: Path, n: int, dest: Path) -> Path:
    """An evidence folder with ``n`` account bundles: the run's own, then clones of its members."""
    ev = dest / f"evidence-{n}"
    shutil.rmtree(ev, ignore_errors=True)
    shutil.copytree(run / "evidence" / ORGANIZATION, ev / ORGANIZATION)
    members = sorted(p for p in (run / "evidence").iterdir() if p.name.isdigit())
    for i in range(n):
        src = members[i % len(members)]
        aid = src.name if i < len(members) else f"{900000000000 + i:012d}"
        shutil.copytree(src, ev / aid)
        if aid != src.name:
            manifest = json.loads((ev / aid / MANIFEST).read_text())
            manifest["account_id"] = aid
            (ev / aid / MANIFEST).write_text(json.dumps(manifest))
    return ev


def timed(fn, repeat: int) -> float:
    fn()  # warm-up: first-use loading (catalog, plotly) is the fork server's, not the notebook's
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="a demo run folder (iamkit demo --out DIR [--no-pdf])")
    ap.add_argument("--accounts", type=int, nargs="+", default=[5, 50, 200])
    ap.add_argument("--account", default="345678901234", help="the account whose notebook loads")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    params = [str(args.run / "parameters.resolved.yaml")]
    with tempfile.TemporaryDirectory(prefix="iamkit-nbload-") as tmp:
        out = Path(tmp) / "account"
        out.mkdir()
        write_json(nb.load(args.run / "evidence", args.account, params, {}, None).findings, out / "findings.json")
        print(f"nb.load of account {args.account}, median of {args.repeat} (wall s, this machine's load included)")
        for n in args.accounts:
            ev = grow(args.run, n, Path(tmp))
            fast = timed(lambda ev=ev: nb.load(ev, args.account, params, {}, out), args.repeat)
            whole = timed(lambda ev=ev: nb.load(ev, args.account, params, {}, out, whole_run=True), args.repeat)
            full = timed(lambda ev=ev: nb.load(ev, args.account, params, {}, None), args.repeat)
            k = len(AREAS)
            per_account = (k - 1) * fast + whole
            print(f"  {n:4d} accounts: run path {fast:.3f}s ({whole:.3f}s with whole_run, notebook 03), full "
                  f"re-assessment {full:.3f}s; {k} notebooks per account: {per_account:.2f}s vs {k * full:.2f}s",
                  flush=True)


if __name__ == "__main__":
    main()
