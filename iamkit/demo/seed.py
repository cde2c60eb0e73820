"""Seed the stand-in with the demo scenario (``scenario.yaml``).

Seeding is the one place that writes: it uses plain boto3 clients against the stand-in (not the
guarded collection sessions) for what the AWS API can create, and adjusts moto's in-process
backend objects for what only time can make (creation and last-used dates).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import boto3
import yaml
from moto.iam.models import AccessKeyLastUsed, iam_backends

from iamkit.demo.standin import ROOTS, RootState

DEMO_CREDENTIALS = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo"}


@cache
def scenario() -> dict[str, Any]:
    return yaml.safe_load(resources.files("iamkit.demo").joinpath("scenario.yaml").read_text())


def _ago(now: datetime, days: float | None) -> datetime | None:
    return None if days is None else now - timedelta(days=days)


def _client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", **DEMO_CREDENTIALS)


def seed(url: str, now: datetime | None = None) -> dict[str, Any]:
    """Create the scenario on the stand-in at ``url``; returns the scenario data."""
    now = now or datetime.now(UTC)
    data = scenario()
    for acct in data["accounts"]:
        _seed_account(url, acct, now)
    return data


def _seed_account(url: str, acct: dict[str, Any], now: datetime) -> None:
    account_id = acct["id"]
    iam = _client(url, "iam")
    if acct.get("alias"):
        iam.create_account_alias(AccountAlias=acct["alias"])
    backend = iam_backends[account_id]["global"]
    for user in acct.get("users", []):
        name = user["name"]
        iam.create_user(UserName=name)
        if user.get("console"):
            iam.create_login_profile(UserName=name, Password="Demo-Passw0rd-not-a-secret!")
        if user.get("mfa") == "virtual":
            dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
            iam.enable_mfa_device(UserName=name, SerialNumber=dev["SerialNumber"],
                                  AuthenticationCode1="123456", AuthenticationCode2="654321")
        for _ in user.get("access_keys", []):
            iam.create_access_key(UserName=name)
        # backdate what only time can make
        u = backend.users[name]
        u.create_date = _ago(now, user.get("created_days", 0))
        if user.get("console") and user.get("password_last_used_days") is not None:
            u.password_last_used = _ago(now, user["password_last_used_days"])
        for key_obj, spec in zip(u.access_keys, user.get("access_keys", []), strict=True):
            key_obj.create_date = _ago(now, spec["created_days"])
            key_obj.status = "Active" if spec.get("active", True) else "Inactive"
            if spec.get("last_used_days") is not None:
                key_obj.last_used = AccessKeyLastUsed(_ago(now, spec["last_used_days"]), "iam", "us-east-1")
    root = acct.get("root", {})
    ROOTS[account_id] = RootState(
        created=_ago(now, root.get("created_days", 1000)),
        mfa=root.get("mfa", "none"),
        password_last_used=_ago(now, root.get("password_last_used_days")),
        has_password=root.get("password", True),
        access_keys=[{"active": k.get("active", True), "created": _ago(now, k["created_days"]),
                      "last_used": _ago(now, k.get("last_used_days"))} for k in root.get("access_keys", [])],
    )
