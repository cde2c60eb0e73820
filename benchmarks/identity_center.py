"""Benchmark the Identity Center model and checks on a synthetic organization.

    .venv/bin/python benchmarks/identity_center.py [--accounts 200] [--sets 50] [--per-set 40] [--users 2000]

Writes an organization bundle (OU tree with an SCP on half the accounts, ``--sets`` permission sets
mixing AWS managed, customer-managed references, inline policies and boundaries, each provisioned to
``--per-set`` accounts with two group assignments and one user assignment per account; ``--users``
users in 100 groups) and one GAAD per account (the policies the references name, and the AWS managed
documents the provisioned roles carry). Prints: assignments and people rows, the time of the people x
accounts roll-up, and the time of the seven sso.* checks over every account (each account assessed
as the runner does), then the same for half the accounts to show how it grows.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from iamkit.checks import org_model
from iamkit.checks.registry import CheckContext, registered, run_check
from iamkit.evidence import Bundle, BundleWriter
from iamkit.identity_center import identity_center_of
from iamkit.identity_center.views import roll_up
from iamkit.model import AccountModel
from iamkit.settings import load_settings

MGMT = "100000000000"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str] | str) -> dict:
    return doc({"Effect": "Allow", "Action": actions, "Resource": "*"})


def _write(dest: Path, account: str, files: dict, scope: str = "account", extra: dict | None = None) -> Path:
    w = BundleWriter(dest, account_id=account, scope=scope)
    for rel, obj in files.items():
        w.write_json(rel, obj)
    return w.finish(caller_identity=None, extra=extra)


def _policy(arn: str, d: dict) -> dict:
    return {"PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "Path": "/", "DefaultVersionId": "v1",
            "AttachmentCount": 1, "PolicyVersionList": [{"Document": d, "VersionId": "v1", "IsDefaultVersion": True}]}


def build(root: Path, n_accounts: int, n_sets: int, per_set: int, n_users: int, seed: int = 3) -> None:
    rnd = random.Random(seed)
    accounts = [MGMT] + [f"{200000000000 + i}" for i in range(n_accounts - 1)]
    groups = [f"g-{i}" for i in range(100)]
    users = [f"u-{i}" for i in range(n_users)]
    sets, assignments = [], []
    for p in range(n_sets):
        arn = f"arn:aws:sso:::permissionSet/ssoins-0000000000000000/ps-{p:016d}"
        kind = p % 4
        targets = rnd.sample(accounts, min(per_set, len(accounts)))
        described = {"Name": f"set{p}", "PermissionSetArn": arn, "SessionDuration": f"PT{1 + p % 12}H"}
        boundary = {"CustomerManagedPolicyReference": {"Name": "bound"}} if p % 7 == 0 else None
        sets.append({"InstanceArn": "arn:aws:sso:::instance/ssoins-0000000000000000", "PermissionSet": described,
                     "AttachedManagedPolicies": [{"Arn": ADMIN if kind == 0 else READ}] if kind in (0, 1) else [],
                     "CustomerManagedPolicyReferences": [{"Name": f"team{p % 5}", "Path": "/"}] if kind == 2 else [],
                     "InlinePolicy": json.dumps(allow(["lambda:*", "iam:PassRole"])) if kind == 3 else "",
                     "PermissionsBoundary": boundary,
                     "AccountIds": targets})
        for a in targets:
            for g in rnd.sample(groups, 2):
                assignments.append({"AccountId": a, "PermissionSetArn": arn, "PrincipalType": "GROUP",
                                    "PrincipalId": g})
            assignments.append({"AccountId": a, "PermissionSetArn": arn, "PrincipalType": "USER",
                                "PrincipalId": rnd.choice(users)})
    memberships = [{"GroupId": groups[i % 100], "MemberId": {"UserId": u}} for i, u in enumerate(users)]
    ous = [{"Id": "ou-a", "Name": "A", "ParentId": "r-root"}, {"Id": "ou-b", "Name": "B", "ParentId": "r-root"}]
    parents = {a: ("r-root" if a == MGMT else "ou-a" if i % 2 else "ou-b") for i, a in enumerate(accounts)}
    full = {"PolicySummary": {"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY"},
            "Content": json.dumps(allow("*"))}
    deny = {"PolicySummary": {"Id": "p-deny", "Name": "DenyIam", "Type": "SERVICE_CONTROL_POLICY"},
            "Content": json.dumps(doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))}
    _write(root / "organization", MGMT, {
        "organizations/organization.json": {"Organization": {"Id": "o-1", "MasterAccountId": MGMT}},
        "organizations/roots.json": {"Roots": [{"Id": "r-root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": {"OrganizationalUnits": ous},
        "organizations/accounts.json": {"Accounts": [{"Id": a, "Name": f"acct{a[-4:]}"} for a in accounts],
                                        "Parents": parents},
        "organizations/policies.json": {"Policies": [full, deny]},
        "organizations/targets.json": {"p-FullAWSAccess": [{"TargetId": t} for t in ["r-root", "ou-a", "ou-b",
                                                                                      *accounts]],
                                       "p-deny": [{"TargetId": "ou-b"}]},
        "identity_center/instances.json": {"Region": "us-east-1", "Instances": [
            {"InstanceArn": "arn:aws:sso:::instance/ssoins-0000000000000000", "IdentityStoreId": "d-1",
             "OwnerAccountId": MGMT}]},
        "identity_center/permission_sets.json": {"PermissionSets": sets},
        "identity_center/assignments.json": {"AccountAssignments": assignments},
        "identity_center/users.json": {"Users": [{"UserId": u, "UserName": u} for u in users]},
        "identity_center/groups.json": {"Groups": [{"GroupId": g, "DisplayName": g} for g in groups]},
        "identity_center/group_memberships.json": {"GroupMemberships": memberships},
    }, scope="organization", extra={"management_account_id": MGMT, "organization_id": "o-1"})
    policies = [_policy(ADMIN, allow("*")), _policy(READ, allow(["ec2:Describe*", "s3:List*"]))]
    for a in accounts:
        own = [_policy(f"arn:aws:iam::{a}:policy/team{t}", allow(["s3:Put*", "sqs:*"][: 1 + t % 2]))
               for t in range(5)] + [_policy(f"arn:aws:iam::{a}:policy/bound", allow(["s3:*", "sqs:*"]))]
        _write(root / a, a, {"iam/authorization_details.json": {
            "UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": policies + own}})


def measure(root: Path, limit: int | None) -> None:
    org_bundle = Bundle(root / "organization")
    bundles = [Bundle(p) for p in sorted(root.iterdir()) if p.name != "organization"][:limit]
    org = org_model(org_bundle, bundles)
    ic = identity_center_of(org)
    settings = load_settings()
    models = {b.account_id: AccountModel(b, org=org) for b in bundles}
    t0 = time.perf_counter()
    r = roll_up(ic, models, org)
    t_roll = time.perf_counter() - t0
    checks = [c for c in registered() if c.startswith("sso.")]
    t0 = time.perf_counter()
    n = 0
    for m in models.values():
        for c in checks:
            n += len(run_check(c, CheckContext(account=m, settings=settings, org=org)))
    t_checks = time.perf_counter() - t0
    print(f"accounts {len(bundles):5d}  assignments {len(ic.assignments):7d}  people rows {len(ic.people):8d}  "
          f"roll-up {t_roll:6.2f}s ({len(r.matrix())} people x {len(r.matrix().columns) - 1} accounts)  "
          f"sso checks {t_checks:6.2f}s ({n} findings)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--sets", type=int, default=50)
    ap.add_argument("--per-set", type=int, default=40)
    ap.add_argument("--users", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, args.accounts, args.sets, args.per_set, args.users)
        measure(root, args.accounts // 2)
        measure(root, None)


if __name__ == "__main__":
    main()
