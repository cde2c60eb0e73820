"""Collect accounts into evidence bundles: which accounts, how to reach each, one bundle each.

The runner uses :func:`plan_accounts`, :func:`session_for`, :func:`collect_account` and
:func:`collect_organization`; ``iamkit collect`` uses :func:`collect_all`, which runs the same
functions for every planned account in a bounded thread pool.

Decisions:

* Single account (no ``--org``): the caller's own account; ``--accounts`` naming other accounts
  reaches them through ``--role-name``.
* ``--org``: every ACTIVE account of the caller's organization (ListAccounts). The caller's own
  account (the management account, or a delegated administrator) is collected with the caller's
  credentials; every other account through AssumeRole of ``--role-name`` (with ``--external-id``),
  session name ``iamkit-<run>``. ``--accounts`` restricts the plan; an id that is not an ACTIVE
  account of the organization is bad input (exit 2).
* Each bundle counts only its own calls: the caller's session is forked per bundle, so calls made
  for planning, role assumption or other accounts never leak into an account's manifest. The
  AssumeRole that reached a member account is counted in that member's manifest.
* A member whose role cannot be assumed raises :class:`~iamkit.errors.CollectionError`; the caller
  records the account as failed and goes on with the others.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamkit.aws.session import AWS_ERRORS, AwsSession, one_line
from iamkit.errors import BadInputError, CollectionError, IamkitError
from iamkit.evidence import ORGANIZATION, BundleWriter

OPERATIONS = frozenset({("sts", "GetCallerIdentity"), ("sts", "AssumeRole")})
#: no file of its own: without these calls the account is not collected at all (run.json says so)
FILES: dict[str, frozenset[tuple[str, str]]] = {}


@dataclass(frozen=True)
class AccountTarget:
    """One account of a run and how to reach it: with the caller's own credentials (``caller``) or
    by assuming the run's role in it (``role``)."""

    account_id: str
    name: str | None = None
    ou_path: str | None = None
    via: str = "caller"  # caller | role


def plan_accounts(session: AwsSession, *, accounts: list[str] | None = None) -> list[AccountTarget]:
    """The accounts to assess: the caller's own account, or with ``target.organization`` every
    ACTIVE account of the organization; ``accounts`` restricts."""
    me = session.caller_identity()["Account"]
    if not session.target.organization:
        if accounts and me not in accounts:
            return [AccountTarget(a, via="role") for a in accounts]
        others = [a for a in accounts or [] if a != me]
        return [AccountTarget(me)] + [AccountTarget(a, via="role") for a in others]
    from iamkit.collect.organizations import list_active_accounts

    try:
        listed = list_active_accounts(session)
    except AWS_ERRORS as exc:
        raise CollectionError(f"cannot list the organization's accounts (ListAccounts): {one_line(exc)}; "
                              "run --org from the management account or a delegated administrator") from None
    by_id = {a["Id"]: a for a in listed}
    if accounts:
        unknown = sorted(set(accounts) - set(by_id))
        if unknown:
            raise BadInputError(f"--accounts names {', '.join(unknown)}, not ACTIVE account(s) of the organization")
    chosen = [a for a in sorted(by_id) if not accounts or a in accounts]
    return [AccountTarget(a, name=by_id[a].get("Name"), via="caller" if a == me else "role") for a in chosen]


def session_for(session: AwsSession, target: AccountTarget) -> AwsSession:
    """A guarded session in ``target``'s account."""
    return session if target.via == "caller" else session.assume(target.account_id)


def _regions(session: AwsSession, writer: BundleWriter) -> list[str]:
    from iamkit.collect import regions

    return regions.collect(session, writer)


def collect_account(session: AwsSession, evidence_root: Path, *, source: str = "aws") -> Path:
    """Collect the account ``session`` is in into ``evidence_root/<account_id>``; returns the path."""
    from iamkit.collect import access_analyzer, cloudtrail, iam  # iamkit.collect imports this module

    own = session.fork()
    identity = own.caller_identity()
    account_id = identity["Account"]
    writer = BundleWriter(Path(evidence_root) / account_id, account_id=account_id, source=source)
    try:
        regions = _regions(own, writer)
        iam.collect(own, writer)
        access_analyzer.collect(own, writer, regions)
        cloudtrail.collect(own, writer, regions)
        writer.add_calls(own.guard.take_calls())
        if session.is_assumed:
            writer.record_call("sts", "AssumeRole")
        return writer.finish(caller_identity=identity, regions=regions,
                             extra={"home_region": own.target.region})
    except BaseException:
        writer.abort()
        raise


def collect_organization(session: AwsSession, evidence_root: Path, source: str = "aws") -> Path:
    """Collect the organization (tree, accounts, SCPs/RCPs, targets, delegated administrators) once,
    with the caller's credentials, into ``evidence_root/organization``; returns the path."""
    from iamkit.collect import identity_center, organizations

    own = session.fork()
    identity = own.caller_identity()
    writer = BundleWriter(Path(evidence_root) / ORGANIZATION, account_id=identity["Account"], source=source,
                          scope=ORGANIZATION)
    try:
        org = organizations.collect(own, writer)
        if org is None and not writer.has(organizations.ACCOUNTS):
            raise CollectionError("cannot read the organization: "
                                  + "; ".join(f"{e.operation}: {e.code}: {e.message}" for e in writer.errors[:2]))
        identity_center.collect(own, writer)
        writer.add_calls(own.guard.take_calls())
        return writer.finish(caller_identity=identity, extra={
            "organization_id": (org or {}).get("Id"),
            "management_account_id": (org or {}).get("MasterAccountId"),
        })
    except BaseException:
        writer.abort()
        raise


Progress = Callable[[str], None]


def collect_all(session: AwsSession, evidence_root: Path, *, accounts: list[str] | None = None,
                source: str = "aws", workers: int | None = None,
                progress: Progress = lambda _m: None) -> list[dict[str, Any]]:
    """Plan, collect the organization (with ``--org``) and every account, ``workers`` at a time.

    Returns one record per account ``{account_id, name, via, status: ok|failed, path, error}`` plus,
    with ``--org``, one for ``organization``. A failing account never stops the others."""
    targets = plan_accounts(session, accounts=accounts)
    results: list[dict[str, Any]] = []
    if session.target.organization:
        rec: dict[str, Any] = {"account_id": ORGANIZATION, "status": "ok"}
        progress("collecting the organization")
        try:
            rec["path"] = str(collect_organization(session, evidence_root, source))
        except IamkitError as exc:
            rec.update(status="failed", error=str(exc))
        results.append(rec)

    def _one(t: AccountTarget) -> dict[str, Any]:
        out: dict[str, Any] = {"account_id": t.account_id, "name": t.name, "via": t.via, "status": "ok"}
        progress(f"collecting {t.account_id}" + (f" ({t.name})" if t.name else ""))
        try:
            out["path"] = str(collect_account(session_for(session, t), evidence_root, source=source))
        except IamkitError as exc:
            out.update(status="failed", error=str(exc))
        return out

    n = max(1, min(workers or session.target.workers, len(targets) or 1))
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="iamkit-collect") as pool:
        results.extend(pool.map(_one, targets))
    return results
