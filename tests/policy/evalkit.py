"""Helpers for the evaluator tests: build request objects in a few words and decide them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iamkit.policy.engine import Decision, decide
from iamkit.policy.intake import request_from_mapping

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
A = "111122223333"  # the principal's account
B = "444455556666"  # another account
USER = f"arn:aws:iam::{A}:user/alice"
ROLE = f"arn:aws:iam::{A}:role/app"
SESSION = f"arn:aws:sts::{A}:assumed-role/app/s1"
BUCKET_OBJ = "arn:aws:s3:::bucket/key"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal: Any, action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    """A resource-policy Allow for ``principal`` (a Principal element value)."""
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def refuse(principal: Any, action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource, **extra}


ADMIN = doc(allow())
FULL = doc(allow())  # FullAWSAccess


def ask(principal: Any = USER, action: str = "s3:GetObject", resource: str = BUCKET_OBJ, **fields: Any) -> Decision:
    """Decide one request; S3 resources default to the principal's account unless told."""
    raw: dict[str, Any] = {"principal": principal, "action": action, "resource": resource, **fields}
    if resource.startswith("arn:aws:s3:::") and "resource_account" not in raw and isinstance(principal, str) \
            and principal.startswith("arn:"):
        raw["resource_account"] = principal.split(":")[4]
    return decide(request_from_mapping(raw, "request", NOW))


def decision(*args: Any, **kwargs: Any) -> str:
    return ask(*args, **kwargs).decision
