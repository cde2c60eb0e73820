"""The seeded demo organization collected through the real CLI (``collect --org``), as ``iamkit demo`` does."""

from __future__ import annotations

import urllib.request
from pathlib import Path


def collect_seeded_demo(url: str, out: Path) -> Path:
    """Reset the stand-in at ``url``, seed the demo scenario, collect it into ``out``; returns ``out``."""
    from iamkit.cli import main
    from iamkit.demo.run import demo_parameters
    from iamkit.demo.seed import scenario, seed
    from iamkit.demo.standin import ROOTS

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).read()
    ROOTS.clear()
    seed(url)
    role = scenario()["organization"]["member_role"]
    rc = main(["--quiet", "collect", "--endpoint-url", url, "--org", "--role-name", role, "--out", str(out),
               "--parameters", str(demo_parameters())])
    assert rc == 0, f"collection of the demo exited {rc}"
    return out
