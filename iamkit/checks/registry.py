"""Check registry: metadata as data (``controls.yaml``), check functions registered by id.

A check is a pure function ``fn(ctx: CheckContext) -> Iterable[Finding]``. It reads facts through
``ctx.account`` (an :class:`~iamkit.model.AccountModel`) and ``ctx.org``; when a fact's evidence is
missing, the model raises :class:`~iamkit.model.MissingEvidence` and the runner records one ERROR
finding saying which file and why, so a check never has to remember to guard against PASS-on-no-data.
Any other exception inside a check is a bug in iamkit: it is recorded as ERROR too (with the
exception's type), so one bad check never hides the findings of the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from iamkit.errors import EvidenceError
from iamkit.findings import AcceptedRisk, Evidence, Finding, Severity, Status
from iamkit.model import AccountModel, MissingEvidence
from iamkit.settings import Settings

AREAS = ("root", "mfa", "rotation", "passwords", "cross_account", "scp", "privilege")

AREA_TITLES = {
    "root": "Root user",
    "mfa": "Multi-factor authentication",
    "rotation": "Credential rotation",
    "passwords": "Password policy",
    "cross_account": "Cross-account access",
    "scp": "Organization guardrails (SCPs)",
    "privilege": "Least privilege",
}


@dataclass(frozen=True)
class CheckMeta:
    id: str
    area: str
    severity: Severity
    title: str
    rationale: str
    remediation: str
    controls: tuple[str, ...]


@cache
def controls_data() -> dict[str, Any]:
    text = resources.files("iamkit.checks").joinpath("controls.yaml").read_text()
    return yaml.safe_load(text)


@cache
def metadata() -> dict[str, CheckMeta]:
    out = {}
    for c in controls_data()["checks"]:
        out[c["id"]] = CheckMeta(c["id"], c["area"], Severity(c["severity"]), c["title"],
                                 c.get("rationale", ""), c["remediation"], tuple(c.get("controls", [])))
    return out


CheckFn = Callable[["CheckContext"], Iterable[Finding]]
_REGISTRY: dict[str, CheckFn] = {}


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the implementation of ``check_id`` (which must have metadata)."""

    def deco(fn: CheckFn) -> CheckFn:
        if check_id in _REGISTRY:
            raise ValueError(f"check {check_id} registered twice")
        _REGISTRY[check_id] = fn
        fn.check_id = check_id  # type: ignore[attr-defined]
        return fn

    return deco


def registered() -> dict[str, CheckFn]:
    return dict(_REGISTRY)


@dataclass
class CheckContext:
    account: AccountModel
    settings: Settings
    org: Any = None  # OrgModel when an organization bundle is available
    check_id: str = ""

    @property
    def meta(self) -> CheckMeta:
        return metadata()[self.check_id]

    @property
    def thresholds(self) -> Any:
        return self.settings.thresholds

    def cr_note(self) -> str:
        """How fresh the credential report is, for details of findings that rest on it."""
        return self.account.credential_report_note(self.settings.thresholds.credential_report_cache_hours)

    def finding(self, status: Status, *, resource_arn: str, resource_type: str, detail: str,
                evidence: Iterable[dict[str, Any] | Evidence] = (), region: str = "global",
                title: str | None = None, severity: Severity | None = None) -> Finding:
        meta = self.meta
        return Finding(
            check_id=meta.id, status=status, severity=severity or meta.severity,
            account_id=self.account.account_id, region=region, resource_arn=resource_arn,
            resource_type=resource_type, title=title or meta.title, detail=detail,
            remediation=meta.remediation if status in (Status.FAIL, Status.MANUAL) else "",
            controls=list(meta.controls), evidence=[Evidence.model_validate(e) for e in evidence],
            observed_at=self.account.now, area=meta.area,
        )

    def error(self, why: str, *, resource_arn: str | None = None, resource_type: str = "AwsAccount",
              region: str = "global") -> Finding:
        return self.finding(Status.ERROR, resource_arn=resource_arn or self.account.root_arn(),
                            resource_type=resource_type, region=region, detail=f"Could not evaluate: {why}")


def run_check(check_id: str, ctx: CheckContext) -> list[Finding]:
    fn = _REGISTRY[check_id]
    ctx.check_id = check_id
    try:
        return list(fn(ctx))
    except MissingEvidence as exc:
        return [ctx.error(f"evidence missing: {exc}")]
    except EvidenceError as exc:
        return [ctx.error(str(exc))]
    except Exception as exc:  # a bug in a check must not hide the other checks' findings
        return [ctx.error(f"internal error in check ({type(exc).__name__}: {exc})")]


def attach_exception(f: Finding, risk: AcceptedRisk | None) -> Finding:
    return f if risk is None else f.model_copy(update={"exception": risk})
