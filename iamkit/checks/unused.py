"""Unused access: roles nobody uses (``RoleLastUsed``) and IAM Access Analyzer's unused-access findings.

What each check reads, what one finding is about and when it says which status:
``unused.metadata.yaml`` beside this module (rendered in docs/checks.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pandas as pd

from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import AUTHORIZATION_DETAILS, MissingEvidence, analyzer_file

UNUSED_ANALYZER_TYPES = ("ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS")
UNUSED_FINDING_TYPES = ("UnusedIAMRole", "UnusedIAMUserAccessKey", "UnusedIAMUserPassword", "UnusedPermission")
RESOURCE_TYPE = {"AWS::IAM::Role": "AwsIamRole", "AWS::IAM::User": "AwsIamUser"}


def whole_days(now: Any, ts: Any) -> int:
    """Whole days from ``ts`` to ``now`` (floor): 89 days 23 hours -> 89."""
    return int((now - ts) // timedelta(days=1))


def role_usage(ctx: CheckContext) -> pd.DataFrame:
    """One row per role: arn, role_name, service_linked, last_used, created, days_unused, never_used, status,
    reason (what the notebooks show; the check's verdicts)."""
    acct, limit = ctx.account, ctx.thresholds.unused_role_days
    rows = []
    for arn, name, slr, last, created in zip(acct.roles["arn"], acct.roles["role_name"],
                                             acct.roles["is_service_linked"], acct.roles["last_used"],
                                             acct.roles["create_date"], strict=True):
        status, days, why = _verdict(acct.now, limit, bool(slr), last, created, name)
        rows.append({"arn": arn, "role_name": name, "service_linked": bool(slr), "last_used": last,
                     "created": created, "days_unused": days, "never_used": pd.isna(last), "status": status,
                     "reason": why})
    return pd.DataFrame(rows, columns=["arn", "role_name", "service_linked", "last_used", "created", "days_unused",
                                       "never_used", "status", "reason"])


def _verdict(now: Any, limit: int, slr: bool, last: Any, created: Any, name: str) -> tuple[Status, Any, str]:
    if slr:
        return Status.NOT_APPLICABLE, None, (f"Role {name} is a service-linked role: its service creates, uses and "
                                             "deletes it.")
    if not pd.isna(last):
        days = whole_days(now, last)
        when = f"last used {last:%Y-%m-%d} ({days} days before collection)"
        if days >= limit:
            return Status.FAIL, days, (f"Role {name} was {when}: unused for {days} days, at or above the "
                                       f"{limit}-day limit.")
        return Status.PASS, days, f"Role {name} was {when}, within the {limit}-day limit."
    if pd.isna(created):
        return Status.ERROR, None, f"Could not evaluate: role {name} was never used and GAAD gives no CreateDate."
    days = whole_days(now, created)
    if days >= limit:
        return Status.FAIL, days, (f"Role {name} was never used (no RoleLastUsed) since it was created "
                                   f"{days} days ago, at or above the {limit}-day limit.")
    return Status.PASS, days, (f"Role {name} was never used, but it was created only {days} days ago, less than the "
                               f"{limit}-day limit: too new to judge.")


@check("iam.role.unused")
def role_unused(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    for r in role_usage(ctx).itertuples(index=False):
        ev = [acct.ref(AUTHORIZATION_DETAILS, f"RoleDetailList[RoleName={r.role_name}].RoleLastUsed")]
        if r.status is Status.ERROR:
            yield ctx.error(r.reason.removeprefix("Could not evaluate: "), resource_arn=r.arn,
                            resource_type="AwsIamRole")
        else:
            yield ctx.finding(r.status, resource_arn=r.arn, resource_type="AwsIamRole", evidence=ev, detail=r.reason)


# -- IAM Access Analyzer unused access -------------------------------------------------------------------
def unused_findings(ctx: CheckContext) -> tuple[pd.DataFrame, list[dict[str, Any]], list[str]]:
    """(ACTIVE unused-access findings of this account's principals: region, analyzer, analyzer_arn, resource,
    resource_type, finding_type, id; the ACTIVE unused-access analyzers; regions whose evidence is missing)."""
    acct = ctx.account
    recs, analyzers, missing = [], [], []
    for region in acct.regions:
        if not acct.bundle.has(analyzer_file(region)):
            missing.append(region)
            continue
        data = acct.analyzer_region(region)
        for a in data.get("analyzers") or []:
            if a.get("type") not in UNUSED_ANALYZER_TYPES or a.get("status") != "ACTIVE":
                continue
            analyzers.append({**a, "region": region})
            for f in (data.get("findings") or {}).get(a.get("arn"), []) or []:
                owner = str(f.get("resourceOwnerAccount") or acct.account_id)
                if (f.get("findingType") in UNUSED_FINDING_TYPES and f.get("status", "ACTIVE") == "ACTIVE"
                        and owner == acct.account_id):
                    recs.append({"region": region, "analyzer": a.get("name"), "analyzer_arn": a.get("arn"),
                                 "resource": f.get("resource"), "resource_type": f.get("resourceType"),
                                 "finding_type": f.get("findingType"), "id": f.get("id")})
    cols = ["region", "analyzer", "analyzer_arn", "resource", "resource_type", "finding_type", "id"]
    return pd.DataFrame(recs, columns=cols), analyzers, missing


@check("accessanalyzer.unused_access")
def unused_access(ctx: CheckContext) -> Iterator[Finding]:
    acct = ctx.account
    found, analyzers, missing = unused_findings(ctx)
    if not analyzers:
        if missing and len(missing) == len(acct.regions):
            raise MissingEvidence(acct.bundle, analyzer_file(missing[0]))
        if missing:
            yield ctx.error(f"no unused-access analyzer in {', '.join(sorted(set(acct.regions) - set(missing)))}, and "
                            f"the Access Analyzer evidence of {', '.join(missing)} is missing")
            return
        yield ctx.finding(Status.NOT_APPLICABLE, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                          evidence=[acct.ref(analyzer_file(r), "analyzers") for r in acct.regions],
                          detail=f"No IAM Access Analyzer unused-access analyzer (ACCOUNT_UNUSED_ACCESS or "
                                 f"ORGANIZATION_UNUSED_ACCESS) is active in {', '.join(acct.regions)}: AWS does not "
                                 "analyse unused access for this account (iam.role.unused still judges roles).")
        return
    for (resource, rtype), rows in found.groupby(["resource", "resource_type"], sort=True):
        types = ", ".join(sorted(set(rows["finding_type"])))
        where = ", ".join(sorted({f"{a} ({r})" for a, r in zip(rows["analyzer"], rows["region"], strict=True)}))
        yield ctx.finding(Status.FAIL, resource_arn=str(resource), resource_type=RESOURCE_TYPE.get(rtype, str(rtype)),
                          region=str(rows["region"].iloc[0]),
                          evidence=[acct.ref(analyzer_file(r), f"findings[id={i}]")
                                    for r, i in zip(rows["region"], rows["id"], strict=True)],
                          detail=f"IAM Access Analyzer reports unused access for {resource}: {types} "
                                 f"({len(rows)} active finding{'s' if len(rows) != 1 else ''}; analyzer {where}).")
    for a in analyzers:
        if found.empty or a["arn"] not in set(found["analyzer_arn"]):
            yield ctx.finding(Status.PASS, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                              region=a["region"], evidence=[acct.ref(analyzer_file(a["region"]), "findings")],
                              detail=f"Unused-access analyzer {a.get('name')} ({a['type']}) reports no active unused "
                                     f"access for principals of this account in {a['region']}.")
