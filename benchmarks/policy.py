"""Benchmark the policy evaluator: decisions per second on a realistic mix, and memory for 10,000 principals.

    .venv/bin/python benchmarks/policy.py [--requests N] [--principals N] [--keep FILE]

The mix (seeded, so every run decides the same requests; by default 2,000 principals asked 10 questions each,
as a consultant's principal x action matrix would): IAM users, roles and assumed-role sessions of two
accounts; shared managed policies (administrator, read-only with NotAction, S3 with ``${aws:username}``,
MFA-conditional) plus a unique inline policy per principal; a three-level SCP chain with a region guardrail
and a deny list; RCPs with a TLS guardrail; permissions boundaries and session policies on some; cross-account
bucket reads with bucket policies; anonymous reads; KMS key use with key policies; sts:AssumeRole with trust
policies; contexts with source IP, MFA and tags.

Printed:

* ``end-to-end``: ``iamkit simulate --request FILE --json`` on the whole array in a child process (wall time
  and CPU time, including interpreter start-up, reading and writing JSON), as requests per second;
* ``in-process``: reading the array and deciding every request (intake + decision) without start-up, and the
  decision alone on requests already taken in (per core: the process is single-threaded);
* ``memory``: Python heap (tracemalloc) of 10,000 principals' requests held at once (their policies
  compiled; shared managed policies compiled once), and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import orjson

from iamkit.policy.engine import decide
from iamkit.policy.intake import request_from_mapping

A, B = "111122223333", "444455556666"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


MANAGED = {
    "Admin": doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    "ReadOnlyish": doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "kms:Decrypt"], "Resource": "*",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
                       {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "dynamodb:Query", "ec2:Describe*"],
                        "Resource": "*"}),
    "S3Home": doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                   "Resource": "arn:aws:s3:::home/${aws:username}/*"},
                  {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::home",
                   "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}}),
    "Deploy": doc({"Effect": "Allow", "Action": ["lambda:*", "cloudformation:*", "iam:PassRole", "sts:AssumeRole"],
                   "Resource": "*"},
                  {"Effect": "Deny", "Action": "iam:PassRole", "NotResource": f"arn:aws:iam::{A}:role/app-*"}),
}
SCPS = [
    {"name": "root r-1", "policies": [{"name": "FullAWSAccess", "document": MANAGED["Admin"]}]},
    {"name": "OU Workloads", "policies": [{"name": "Guardrails", "document": doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "DenyLeave", "Effect": "Deny", "Action": ["organizations:LeaveOrganization", "cloudtrail:StopLogging",
                                                          "cloudtrail:DeleteTrail"], "Resource": "*"},
        {"Sid": "Regions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*"],
         "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}})}]},
    {"name": f"account {A}", "policies": [{"name": "FullAWSAccess", "document": MANAGED["Admin"]}]},
]
RCPS = [{"name": "root r-1", "policies": [{"name": "TLS", "document": doc(
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}})}]}]
ACTIONS = [("s3:GetObject", "arn:aws:s3:::home/{user}/f.txt"), ("s3:PutObject", "arn:aws:s3:::data/x"),
           ("ec2:RunInstances", "arn:aws:ec2:{region}:{acct}:instance/*"), ("iam:CreateUser", "*"),
           ("dynamodb:Query", "arn:aws:dynamodb:{region}:{acct}:table/orders"),
           ("lambda:UpdateFunctionCode", "arn:aws:lambda:{region}:{acct}:function:api"),
           ("iam:PassRole", "arn:aws:iam::{acct}:role/app-{n}"), ("organizations:LeaveOrganization", "*"),
           ("kms:Decrypt", "arn:aws:kms:{region}:{acct}:key/k-1"),
           ("sts:AssumeRole", "arn:aws:iam::{acct}:role/deploy")]


def principal(rng: random.Random, n: int) -> tuple[dict, str]:
    kind = rng.choice(["user", "user", "role", "session"])
    name = f"p{n}"
    if kind == "user":
        arn = f"arn:aws:iam::{A}:user/{name}"
    elif kind == "role":
        arn = f"arn:aws:iam::{A}:role/{name}"
    else:
        arn = f"arn:aws:sts::{A}:assumed-role/{name}/s{n}"
    managed = rng.sample(sorted(MANAGED), k=rng.choice([1, 1, 2]))
    policies = [{"name": m, "document": MANAGED[m]} for m in managed]
    policies.append({"name": f"{name}-inline", "document": doc(
        {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
         "Resource": f"arn:aws:sqs:us-east-1:{A}:q-{n}"})})
    req = {"principal": arn, "identity_policies": policies, "scps": SCPS}
    if rng.random() < 0.2:
        req["permissions_boundary"] = {"name": "Boundary", "document": doc(
            {"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "lambda:*", "sts:*", "kms:*"], "Resource": "*"})}
    if kind == "session" and rng.random() < 0.3:
        req["session_policy"] = doc({"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"})
    return req, name


def request(rng: random.Random, base: dict, name: str, n: int) -> dict:
    action, pattern = rng.choice(ACTIONS)
    region = rng.choice(["us-east-1", "eu-west-1", "ap-south-1"])
    acct = A if rng.random() < 0.85 else B
    req = dict(base, action=action, resource=pattern.format(user=name, region=region, acct=acct, n=n % 7))
    ctx: dict = {"aws:SourceIp": f"10.0.{n % 250}.{n % 200}"}
    if rng.random() < 0.5:
        ctx["aws:MultiFactorAuthPresent"] = rng.random() < 0.5
    if rng.random() < 0.2:
        ctx["aws:PrincipalTag/team"] = rng.choice(["blue", "red"])
    if action.startswith("s3:"):
        req["resource_account"] = acct
        req["rcps"] = RCPS
        ctx["s3:prefix"] = None
        if acct == B:
            req["resource_policy"] = doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "s3:GetObject",
                                          "Resource": "arn:aws:s3:::*"})
    if action.startswith("kms:"):
        req["resource_policy"] = doc({"Sid": "EnableIAM", "Effect": "Allow",
                                      "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*",
                                      "Resource": "*"})
    if action == "sts:AssumeRole":
        req["resource_policy"] = doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole",
                                      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    req["context"] = ctx
    return req


def mix(count: int, seed: int = 7, per_principal: int = 10) -> list[dict]:
    """``count`` requests: ``count / per_principal`` principals, each asked ``per_principal`` questions."""
    rng = random.Random(seed)
    out = []
    pool = [principal(rng, n) for n in range(max(1, count // per_principal))]
    for n in range(count):
        if rng.random() < 0.03:
            out.append({"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::public/x",
                        "resource_policy": doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::public/*"}),
                        "context": {"aws:SourceIp": "203.0.113.9"}})
            continue
        base, name = pool[n % len(pool)]
        out.append(request(rng, base, name, n))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--principals", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="write the request array here and keep it")
    args = ap.parse_args()

    requests = mix(args.requests)
    path = args.keep or Path(tempfile.mkdtemp(prefix="iamkit-policy-bench-")) / "requests.json"
    path.write_bytes(orjson.dumps(requests))
    print(f"{len(requests):,} requests, {path.stat().st_size / 1e6:.1f} MB of JSON")

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "simulate", "--request", str(path), "--json"],
                          capture_output=True, check=True)
    wall = time.perf_counter() - t0
    answers = json.loads(proc.stdout)
    counts: dict[str, int] = {}
    for a in answers:
        counts[a["decision"]] = counts.get(a["decision"], 0) + 1
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"end-to-end  wall {wall:6.2f} s = {len(requests) / wall:8,.0f} requests/s; CPU {cpu:6.2f} s = "
          f"{len(requests) / cpu:8,.0f} requests/s per core (child peak RSS {usage.ru_maxrss / 1024:,.0f} MB)")
    print(f"            decisions {json.dumps(counts, sort_keys=True)}")

    t0 = time.process_time()
    raw = orjson.loads(path.read_bytes())
    taken = [request_from_mapping(r, f"request[{i}]", NOW) for i, r in enumerate(raw)]
    intake = time.process_time() - t0
    t0 = time.process_time()
    for r in taken:
        decide(r)
    deciding = time.process_time() - t0
    print(f"in-process  CPU {intake + deciding:6.2f} s = {len(taken) / (intake + deciding):8,.0f} requests/s per core "
          f"(read + intake {len(taken) / intake:,.0f}/s; decision alone {len(taken) / deciding:,.0f}/s)")

    del taken, raw
    tracemalloc.start()
    held = [request_from_mapping(r, "r", NOW) for r in mix(args.principals, seed=11, per_principal=1)]
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"memory      {args.principals:,} principals' requests held: {current / 1e6:,.1f} MB "
          f"(peak {peak / 1e6:,.1f} MB, {current / len(held) / 1e3:,.1f} kB each)")
    print("(timings from a shared, loaded machine vary; compare runs on the same machine)")


if __name__ == "__main__":
    main()
