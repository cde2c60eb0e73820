"""Collection benchmark: one account with N users and N roles on the stand-in.

Prints, per size, the API calls made (from the bundle's manifest) and the wall time of collecting
the account. Run: ``.venv/bin/python benchmarks/collect.py [10 300 3000]``. The calls must stay
flat with the number of principals except for GetAccountAuthorizationDetails pages (100 items a
page, as AWS pages it). Numbers only; no assertions.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from moto.iam.models import iam_backends

from iamkit.aws.session import AwsTarget, open_session
from iamkit.collect import ALL_OPERATIONS
from iamkit.collect.bundle import collect_account
from iamkit.demo.standin import StandIn

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def populate(n: int) -> None:
    """N users and N roles, created in moto's backend directly (seeding over HTTP is not measured)."""
    backend = iam_backends["123456789012"]["global"]
    for i in range(n):
        backend.create_user(region_name="us-east-1", user_name=f"user{i:05d}", path="/", tags=[])
        backend.create_role(role_name=f"role{i:05d}", assume_role_policy_document=TRUST, path="/",
                            permissions_boundary=None, description="", tags=[], max_session_duration="3600")


def main(sizes: list[int]) -> None:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    print(f"{'users+roles':>12} {'API calls':>10} {'GAAD pages':>11} {'wall s':>8}")
    with StandIn() as standin, tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            urllib.request.urlopen(urllib.request.Request(f"{standin.url}/moto-api/reset", method="POST")).read()
            standin.state.account("123456789012").regions = ["us-east-1", "eu-west-1"]
            populate(n)
            session = open_session(AwsTarget(endpoint_url=standin.url), ALL_OPERATIONS)
            t0 = time.perf_counter()
            path = collect_account(session, Path(tmp) / str(n))
            wall = time.perf_counter() - t0
            ops = json.loads((path / "manifest.json").read_text())["operations"]
            print(f"{n:>5}+{n:<6} {sum(ops.values()):>10} {ops.get('iam:GetAccountAuthorizationDetails', 0):>11} "
                  f"{wall:>8.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 300, 3000])
