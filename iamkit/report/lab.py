"""``iamkit lab`` / ``make lab``: JupyterLab on ``notebooks/`` defaulting to the last demo run.

The notebooks' parameters cells are committed empty. To explore interactively without editing them,
``lab`` sets ``IAMKIT_DEFAULT_EVIDENCE`` and ``IAMKIT_DEFAULT_ACCOUNT`` for the server; ``nb.load``
falls back to them when ``evidence_dir`` / ``account_id`` are empty, so "Run all" works at once on
the demo run's evidence (the management account), and any cell can be re-run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from iamkit.errors import BadInputError

ENV_EVIDENCE = "IAMKIT_DEFAULT_EVIDENCE"
ENV_ACCOUNT = "IAMKIT_DEFAULT_ACCOUNT"


def demo_defaults(run_dir: Path) -> dict[str, str]:
    """Evidence folder and management account of a run folder (empty when there is no such run)."""
    run_dir = Path(run_dir)
    evidence = run_dir / "evidence"
    if not evidence.is_dir():
        return {}
    account = ""
    org_manifest = evidence / "organization" / "manifest.json"
    if org_manifest.is_file():
        account = str(json.loads(org_manifest.read_text()).get("management_account_id") or "")
    if not account:
        ids = sorted(p.name for p in evidence.iterdir() if (p / "manifest.json").is_file() and p.name.isdigit())
        account = ids[0] if ids else ""
    return {ENV_EVIDENCE: str(evidence.resolve()), ENV_ACCOUNT: account}


def lab(demo_run: Path) -> int:
    from iamkit.report.render import notebooks_dir  # heavy (nbconvert); nb.load needs only demo_defaults

    env = dict(os.environ)
    defaults = demo_defaults(demo_run)
    if not defaults:
        print(f"No demo run in {demo_run}: run 'make demo' first for ready-to-run notebooks; "
              "otherwise fill evidence_dir and account_id in a notebook's parameters cell.", file=sys.stderr)
    env.update(defaults)
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={notebooks_dir()}"]
    try:
        return subprocess.call(cmd, env=env)
    except OSError as exc:
        raise BadInputError(f"cannot start JupyterLab ({exc})") from None
