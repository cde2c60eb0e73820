"""Account password policy (CIS 7.0 2.8, 2.9; Security Hub IAM.7, IAM.11-17).

What each check reads, what one finding is about and when it says which status:
``passwords.metadata.yaml`` beside this module (rendered in docs/checks.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iamkit.checks.registry import CheckContext, check
from iamkit.findings import Finding, Status
from iamkit.model import PASSWORD_POLICY

NO_POLICY = "The account has no password policy (AWS answered NoSuchEntity), so IAM's defaults apply"


def _emit(ctx: CheckContext, ok: bool, detail: str, locator: str) -> Finding:
    acct = ctx.account
    return ctx.finding(Status.PASS if ok else Status.FAIL, resource_arn=acct.root_arn(), resource_type="AwsAccount",
                       evidence=[acct.ref(PASSWORD_POLICY, locator)], detail=detail)


def _policy(ctx: CheckContext) -> dict[str, Any] | None:
    return ctx.account.password_policy


def _at_least(ctx: CheckContext, key: str, want: int, absent: str, said: str) -> Iterator[Finding]:
    """One finding on a numeric setting that must be at least ``want``; ``said`` is formatted with ``n``."""
    pp = _policy(ctx)
    if pp is None:
        yield _emit(ctx, False, f"{NO_POLICY} ({absent}; required {want}).", "PasswordPolicy")
        return
    n = int(pp.get(key) or 0)
    yield _emit(ctx, n >= want, said.format(n=n, want=want), f"PasswordPolicy.{key}")


@check("iam.password_policy.min_length")
def min_length(ctx: CheckContext) -> Iterator[Finding]:
    yield from _at_least(ctx, "MinimumPasswordLength", ctx.thresholds.password_min_length, "minimum length 8",
                         "Password policy minimum length is {n} (required at least {want}).")


@check("iam.password_policy.reuse_prevention")
def reuse_prevention(ctx: CheckContext) -> Iterator[Finding]:
    yield from _at_least(ctx, "PasswordReusePrevention", ctx.thresholds.password_reuse_prevention,
                         "no reuse prevention", "Password policy remembers {n} previous password(s) (required {want}).")


@check("iam.password_policy.complexity")
def complexity(ctx: CheckContext) -> Iterator[Finding]:
    pp = _policy(ctx)
    if pp is None:
        yield _emit(ctx, False, f"{NO_POLICY} (no character-class requirements).", "PasswordPolicy")
        return
    need = {"RequireUppercaseCharacters": "uppercase", "RequireLowercaseCharacters": "lowercase",
            "RequireNumbers": "numbers", "RequireSymbols": "symbols"}
    missing = [v for k, v in need.items() if not pp.get(k)]
    yield _emit(ctx, not missing, "Password policy requires uppercase, lowercase, numbers and symbols." if not missing
                else f"Password policy does not require: {', '.join(missing)}.", "PasswordPolicy.Require*")


@check("iam.password_policy.expiry")
def expiry(ctx: CheckContext) -> Iterator[Finding]:
    pp, want = _policy(ctx), ctx.thresholds.password_max_age_days
    if pp is None:
        yield _emit(ctx, False, f"{NO_POLICY} (passwords never expire).", "PasswordPolicy")
        return
    age = pp.get("MaxPasswordAge")
    if not pp.get("ExpirePasswords", age is not None) or not age:
        yield _emit(ctx, False, "Password policy sets no maximum password age (passwords never expire).",
                    "PasswordPolicy.MaxPasswordAge")
        return
    yield _emit(ctx, int(age) <= want, f"Password policy maximum age is {age} days (required at most {want}).",
                "PasswordPolicy.MaxPasswordAge")
