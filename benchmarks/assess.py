"""Benchmark ``iamkit assess`` on a synthetic account bundle (default 10,000 users and 10,000 roles).

    .venv/bin/python benchmarks/assess.py [--users N] [--roles N] [--keep DIR]

Then the least-privilege analyses alone, each timed in one child process with the organization bundle
(a root > 3 OUs > account chain with a guardrail baseline, a region restriction with NotAction and an exemption
through aws:PrincipalArn): the 11 SCP guardrails, iam.role.unused, Access Analyzer unused access, and the
cross-account reach graph with iam.role.external_admin_reach (every 25th role trusts its own account, every
50th holds a NotAction policy that allows sts:AssumeRole, so chains exist), and the per-principal analysis of
iam.principal.privilege_escalation (effective administrators with the SCP chain, escalation methods, role
chains; the administrator verdicts are shared with the reach step, as the checks share them in ``iamkit
assess``). Wall time per analysis and the child's peak RSS after it are printed.

The bundle is written with BundleWriter (GAAD, credential report, password policy, virtual MFA devices,
providers, server certificates, Access Analyzer for 4 regions, CloudTrail root events, organization
features). Users sit in groups, a share have direct and inline policies, keys of every age; roles trust
services, organization accounts, vendors, unknown accounts and OIDC providers; some inline policies are
unique per principal (the admin-equivalence cache cannot help there). ``iamkit assess`` then runs in a
child process; the script prints its wall time and peak RSS (``getrusage(RUSAGE_CHILDREN).ru_maxrss``)
and, to show the checks are linear, the same for half the size.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from iamkit.evidence import BundleWriter, iso

ACCT = "210987654321"
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
          "cert_2_active,cert_2_last_rotated")
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]


def ago(days: float | None) -> str:
    return "N/A" if days is None else iso(NOW - timedelta(days=days)).replace("Z", "+00:00")


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def build(dest: Path, n_users: int, n_roles: int, seed: int = 7) -> Path:
    rnd = random.Random(seed)
    services = ["s3", "ec2", "dynamodb", "lambda", "sqs", "sns", "kms", "logs", "cloudwatch", "rds"]
    policies = []
    for i in range(200):
        svc = services[i % len(services)]
        stmt = {"Effect": "Allow", "Action": [f"{svc}:Get*", f"{svc}:List*", f"{svc}:Describe*"], "Resource": "*"}
        if i % 50 == 0:
            stmt = {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}
        policies.append({"PolicyName": f"p{i}", "Arn": f"arn:aws:iam::{ACCT}:policy/p{i}", "Path": "/",
                         "DefaultVersionId": "v1", "AttachmentCount": 1,
                         "PolicyVersionList": [{"Document": doc(stmt), "VersionId": "v1", "IsDefaultVersion": True}]})
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    policies.append({"PolicyName": "AdministratorAccess", "Arn": admin, "Path": "/", "DefaultVersionId": "v1",
                     "AttachmentCount": 3, "PolicyVersionList": [{"Document": doc({"Effect": "Allow", "Action": "*",
                                                                                   "Resource": "*"}),
                                                                  "VersionId": "v1", "IsDefaultVersion": True}]})
    groups = [{"GroupName": f"g{i}", "GroupId": f"AGPA{i:016d}", "Arn": f"arn:aws:iam::{ACCT}:group/g{i}", "Path": "/",
               "CreateDate": ago(900), "GroupPolicyList": [],
               "AttachedManagedPolicies": [{"PolicyName": f"p{j}", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/p{j}"}
                                           for j in rnd.sample(range(200), 3)]
               + ([{"PolicyName": "AdministratorAccess", "PolicyArn": admin}] if i == 0 else [])}
              for i in range(50)]
    users, rows = [], [HEADER, f"<root_account>,arn:aws:iam::{ACCT}:root,{ago(3000)},not_supported,{ago(200)},"
                               "not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,"
                               "N/A,false,N/A"]
    for i in range(n_users):
        name = f"user{i:05d}"
        arn = f"arn:aws:iam::{ACCT}:user/{name}"
        inline = [{"PolicyName": "own", "PolicyDocument": doc({"Effect": "Allow", "Action": "s3:GetObject",
                                                               "Resource": f"arn:aws:s3:::bucket-{i}/*"})}] \
            if i % 10 == 0 else []
        users.append({"UserName": name, "UserId": f"AIDA{i:016d}", "Arn": arn, "Path": "/", "CreateDate": ago(800),
                      "GroupList": [f"g{rnd.randrange(50)}" for _ in range(rnd.randint(0, 2))],
                      "AttachedManagedPolicies": [{"PolicyName": "p1", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/p1"}]
                      if i % 7 == 0 else [], "UserPolicyList": inline, "Tags": []})
        console = i % 3 == 0
        pw_used = ago(rnd.randint(0, 200)) if console and i % 5 else ("no_information" if console else "N/A")
        keys = []
        for _ in range(rnd.choice([0, 1, 1, 2])):
            used = rnd.choice([None, rnd.randint(0, 300)])
            keys.append(["true" if rnd.random() < .9 else "false", ago(rnd.randint(1, 800)), ago(used),
                         "N/A" if used is None else "us-east-1", "N/A" if used is None else "s3"])
        keys += [["false", "N/A", "N/A", "N/A", "N/A"]] * (2 - len(keys))
        rows.append(",".join([name, arn, ago(800), str(console).lower(), pw_used,
                              ago(700) if console else "N/A", "N/A", str(console and i % 4 != 0).lower(),
                              *keys[0], *keys[1], "false", "N/A", "false", "N/A"]))
    trusts = [
        doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        doc({"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}),
        doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::464622532012:root"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}),
        doc({"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/"
                                                            "token.actions.githubusercontent.com"},
             "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}}),
    ]
    roles = []
    for i in range(n_roles):
        if i % 10 == 9:  # a role trusting its own unknown account: a distinct trust policy each
            trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{300000000000 + i}:root"},
                         "Action": "sts:AssumeRole"})
        else:
            trust = trusts[i % len(trusts)]
        path = "/aws-service-role/" if i % 50 == 0 else "/"
        last_used = {"LastUsedDate": ago(rnd.randint(0, 400)), "Region": "us-east-1"} if i % 3 else {}
        if i % 25 == 3:  # trusts its own account: a hop for any role allowed sts:AssumeRole on it
            trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                         "Action": "sts:AssumeRole"})
        roles.append({"RoleName": f"role{i:05d}", "RoleId": f"AROA{i:016d}",
                      "Arn": f"arn:aws:iam::{ACCT}:role{path}role{i:05d}", "Path": path, "CreateDate": ago(500),
                      "AssumeRolePolicyDocument": trust, "InstanceProfileList": [], "Tags": [],
                      "RoleLastUsed": last_used,
                      "AttachedManagedPolicies": [{"PolicyName": f"p{i % 200}",
                                                   "PolicyArn": f"arn:aws:iam::{ACCT}:policy/p{i % 200}"}]
                      + ([{"PolicyName": "AdministratorAccess", "PolicyArn": admin}] if i % 500 == 28 else [])
                      + ([{"PolicyName": "p0", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/p0"}] if i % 100 == 12
                         else []),  # trusted by an unknown account and allowed sts:AssumeRole: chain entries
                      "RolePolicyList": [{"PolicyName": "own", "PolicyDocument": doc(
                          {"Effect": "Allow", "Action": "sqs:SendMessage",
                           "Resource": f"arn:aws:sqs:us-east-1:{ACCT}:q{i}"})}] if i % 10 == 0 else []})
    w = BundleWriter(dest, account_id=ACCT, source="offline")
    w.write_json("iam/authorization_details.json", {"UserDetailList": users, "GroupDetailList": groups,
                                                    "RoleDetailList": roles, "Policies": policies})
    w.write_text("iam/credential_report.csv", "\n".join(rows) + "\n")
    w.write_json("iam/credential_report.json", {"GeneratedTime": iso(NOW - timedelta(hours=1))})
    w.write_json("iam/account_summary.json", {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}})
    w.write_json("iam/password_policy.json", {"PasswordPolicy": {"MinimumPasswordLength": 12}})
    w.write_json("iam/virtual_mfa_devices.json", {"VirtualMFADevices": [
        {"SerialNumber": f"arn:aws:iam::{ACCT}:mfa/user{i:05d}",
         "User": {"Arn": f"arn:aws:iam::{ACCT}:user/user{i:05d}"}, "EnableDate": ago(100)}
        for i in range(0, n_users, 6)]})
    w.write_json("iam/providers.json", {"SAMLProviderList": [], "OpenIDConnectProviders": [
        {"Arn": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com",
         "Url": "token.actions.githubusercontent.com", "ClientIDList": ["sts.amazonaws.com"]}]})
    w.write_json("iam/server_certificates.json", {"ServerCertificateMetadataList": []})
    w.write_json("iam/account_aliases.json", {"AccountAliases": ["bench"]})
    w.write_json("iam/organizations_features.json", {"OrganizationId": "o-bench", "EnabledFeatures": []})
    w.write_json("regions.json", REGIONS)
    for r in REGIONS:
        w.write_json(f"access_analyzer/{r}.json", {"analyzers": [{"name": "ext", "arn": f"arn:aws:access-analyzer:{r}:"
                                                                  f"{ACCT}:analyzer/ext", "type": "ACCOUNT",
                                                                  "status": "ACTIVE"}], "findings": {}})
    w.write_json("cloudtrail/root_activity.json", {"regions": {r: [] for r in REGIONS}, "window_days": 90})
    return w.finish(caller_identity={"Account": ACCT, "Arn": f"arn:aws:iam::{ACCT}:user/bench", "UserId": "AIDA"},
                    regions=REGIONS, collected_at=NOW)


ORG_MGMT = "999900001111"


def build_org(dest: Path) -> Path:
    """Organization bundle: root > Workloads > Prod > Team > ACCT, FullAWSAccess on every level, guardrails."""
    full = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    baseline = doc({"Sid": "Leave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
                   {"Sid": "Trail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
                    "Resource": "*"},
                   {"Sid": "Root", "Effect": "Deny", "Action": "*", "Resource": "*",
                    "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}},
                   {"Sid": "Users", "Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateAccessKey"],
                    "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}}})
    regions = doc({"Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*"], "Resource": "*",
                   "Condition": {"StringNotEquals": {"aws:RequestedRegion": REGIONS}}})
    levels = ["r-root", "ou-work", "ou-prod", "ou-team", ACCT]
    pols = [("p-FullAWSAccess", "FullAWSAccess", full, levels), ("p-baseline01", "Baseline", baseline, ["ou-work"]),
            ("p-regions001", "Regions", regions, ["ou-prod"])]
    w = BundleWriter(dest, account_id=ORG_MGMT, scope="organization", source="offline")
    w.write_json("organizations/organization.json", {"Organization": {"Id": "o-bench", "MasterAccountId": ORG_MGMT}})
    w.write_json("organizations/roots.json", {"Roots": [{"Id": "r-root", "Name": "Root", "PolicyTypes": [
        {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]})
    w.write_json("organizations/ous.json", [{"Id": "ou-work", "Name": "Workloads", "ParentId": "r-root"},
                                            {"Id": "ou-prod", "Name": "Prod", "ParentId": "ou-work"},
                                            {"Id": "ou-team", "Name": "Team", "ParentId": "ou-prod"}])
    w.write_json("organizations/accounts.json", {"Accounts": [
        {"Id": ORG_MGMT, "Name": "mgmt", "Status": "ACTIVE", "ParentId": "r-root"},
        {"Id": ACCT, "Name": "bench", "Status": "ACTIVE", "ParentId": "ou-team"}]})
    w.write_json("organizations/policies.json", [
        {"PolicySummary": {"Id": i, "Name": n, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": i == "p-FullAWSAccess"},
         "Content": json.dumps(d)} for i, n, d, _ in pols])
    w.write_json("organizations/targets.json", {i: [{"TargetId": t, "Type": "X"} for t in ts] for i, _, _, ts in pols})
    return w.finish(caller_identity={"Account": ORG_MGMT, "Arn": f"arn:aws:iam::{ORG_MGMT}:user/bench",
                                     "UserId": "AIDA"}, regions=REGIONS, collected_at=NOW,
                    extra={"organization_id": "o-bench", "management_account_id": ORG_MGMT})


def leastpriv_child(bundle: Path, org_bundle: Path) -> None:
    """In this (child) process: time each least-privilege analysis; print one line each."""
    from iamkit.checks import account_model, guardrails, org_model, reach, unused
    from iamkit.checks.registry import CheckContext
    from iamkit.evidence import Bundle
    from iamkit.settings import load_settings

    settings = load_settings()
    b = Bundle(bundle)
    org = org_model(Bundle(org_bundle), [b])
    ctx = CheckContext(account_model(b, settings, org), settings, org)

    def reach_check() -> object:
        ctx.check_id = "iam.role.external_admin_reach"
        return list(reach.external_admin_reach(ctx))

    def escalation() -> object:
        from iamkit.authz import EvidenceIndex
        from iamkit.principals import analyze_account

        return analyze_account(EvidenceIndex([b], org), b.account_id)  # the check's organization model, as assess

    steps = [("model tables (GAAD users, roles, policies, trust)",
              lambda: (ctx.account.users, ctx.account.roles, ctx.account.policies, ctx.account.trust)),
             ("SCP guardrails (11 guardrails, 27 requests)", lambda: guardrails.account_verdicts(ctx)),
             ("iam.role.unused", lambda: unused.role_usage(ctx)),
             ("Access Analyzer unused access", lambda: unused.unused_findings(ctx)),
             ("reach graph + iam.role.external_admin_reach", reach_check),
             ("effective admins + escalation + role chains", escalation)]
    for name, fn in steps:
        t0 = time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = len(out) if isinstance(out, list | dict) else ""
        print(f"    {name:<52} wall {wall:6.2f} s  peak RSS {peak:6.0f} MB  {size}")


def run_assess(bundle: Path, out: Path) -> tuple[float, float, float, str]:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = r0.ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "iamkit.cli", "assess", str(bundle), "--out", str(out)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"iamkit assess failed: {proc.stderr}")
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, max(r1.ru_maxrss, before) / 1024, proc.stderr.strip().replace("\n", " ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--roles", type=int, default=10_000)
    ap.add_argument("--keep", type=Path, help="write the bundles here instead of a temporary folder")
    ap.add_argument("--leastpriv-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.leastpriv_child:
        leastpriv_child(*args.leastpriv_child)
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="iamkit-bench-assess-"))
    walls: list[float] = []
    cpus: list[float] = []
    for scale in (0.5, 1.0):
        u, r = int(args.users * scale), int(args.roles * scale)
        t0 = time.perf_counter()
        bundle = build(root / f"{u}x{r}" / "evidence" / ACCT, u, r)
        built = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file()) / 1e6
        wall, cpu, peak, summary = run_assess(bundle, root / f"{u}x{r}" / "out")
        walls.append(wall)
        cpus.append(cpu)
        findings = len(json.loads((root / f"{u}x{r}" / "out" / "findings.json").read_text()))
        print(f"{u:>6} users {r:>6} roles  bundle {size:6.1f} MB (built in {built:4.1f} s)  "
              f"iamkit assess: wall {wall:6.1f} s, CPU {cpu:6.1f} s, peak RSS {peak:7.0f} MB, {findings} findings")
        print(f"    {summary}")
    print("(peak RSS is the largest child so far: the 1.0x row is the full-size run)")
    print(f"growth from 0.5x to 1.0x: wall x{walls[1] / walls[0]:.2f}, CPU x{cpus[1] / cpus[0]:.2f} "
          "(2.0 is linear)")
    org = build_org(root / "organization")
    print(f"least-privilege analyses, {u} users {r} roles, organization chain of 5 levels (one child process):")
    proc = subprocess.run([sys.executable, __file__, "--leastpriv-child", str(bundle), str(org)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"least-privilege analyses failed: {proc.stderr}")
    print(proc.stdout.rstrip())


if __name__ == "__main__":
    main()
