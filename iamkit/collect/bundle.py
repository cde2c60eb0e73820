"""Collect accounts into evidence bundles: which accounts, how to reach each, one bundle each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from iamkit.aws.session import AwsSession
from iamkit.evidence import BundleWriter

OPERATIONS = frozenset({("sts", "GetCallerIdentity"), ("sts", "AssumeRole")})


@dataclass(frozen=True)
class AccountTarget:
    """One account of a run and how to reach it: with the caller's own credentials (``caller``) or
    by assuming the run's role in it (``role``)."""

    account_id: str
    name: str | None = None
    ou_path: str | None = None
    via: str = "caller"  # caller | role


def plan_accounts(session: AwsSession, *, accounts: list[str] | None = None) -> list[AccountTarget]:
    """The accounts to assess. Without an organization: the caller's own account."""
    me = session.caller_identity()["Account"]
    if accounts and me not in accounts:
        return [AccountTarget(a, via="role") for a in accounts]
    return [AccountTarget(me)]


def session_for(session: AwsSession, target: AccountTarget) -> AwsSession:
    """A guarded session in ``target``'s account."""
    return session if target.via == "caller" else session.assume(target.account_id)


def collect_account(session: AwsSession, evidence_root: Path, *, source: str = "aws") -> Path:
    """Collect the account ``session`` is in into ``evidence_root/<account_id>``; returns the path."""
    from iamkit.collect import iam  # local import: iamkit.collect imports this module

    identity = session.caller_identity()
    account_id = identity["Account"]
    writer = BundleWriter(Path(evidence_root) / account_id, account_id=account_id, source=source)
    try:
        iam.collect(session, writer)
        writer.add_calls(session.guard.take_calls())
        return writer.finish(caller_identity=identity, regions=[session.target.region])
    except BaseException:
        writer.abort()
        raise
