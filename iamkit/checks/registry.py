"""Check registry: check functions registered by id, and their metadata, read from the ``<module>.metadata.yaml``
beside each check module (:func:`discover` finds both, so adding a check module touches nothing else).

A check is a pure function ``fn(ctx: CheckContext) -> Iterable[Finding]``. It reads facts through
``ctx.account`` (an :class:`~iamkit.model.AccountModel`) and ``ctx.org``; when a fact's evidence is
missing, the model raises :class:`~iamkit.model.MissingEvidence` and the runner records one ERROR
finding saying which file and why, so a check never has to remember to guard against PASS-on-no-data.
Any other exception inside a check is a bug in iamkit: it is recorded as ERROR too (with the
exception's type), so one bad check never hides the findings of the others.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any

import yaml

from iamkit.errors import EvidenceError
from iamkit.findings import AcceptedRisk, Evidence, Finding, Severity, Status
from iamkit.model import AccountModel, MissingEvidence
from iamkit.reads import UndeclaredEvidence, declared_reads
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
    """Everything said about a check, from the ``<module>.metadata.yaml`` beside the module that registers it."""
    id: str
    area: str
    severity: Severity
    title: str
    rationale: str
    remediation: str
    controls: tuple[str, ...]
    module: str = ""
    evidence: str = ""
    #: evidence keys (``iam/...``; ``organization/...`` for the organization bundle; globs allowed) without which
    #: the check says ERROR; ``optional_reads`` are read when present (the verdict says when they are absent)
    reads: tuple[str, ...] = ()
    #: groups of alternatives: the check says ERROR only when every file of a group is missing
    reads_one_of: tuple[tuple[str, ...], ...] = ()
    optional_reads: tuple[str, ...] = ()
    resource: str = ""
    statuses: str = ""
    thresholds: str = ""
    #: how the check decides, in prose, where the statuses line is too short to say it
    notes: str = ""
    #: the report's remediation variants: ``{label, console, cli, when?}`` (see ``iamkit/report/remediation.py``)
    report_remediation: tuple[dict[str, str], ...] = ()

    @property
    def declared_reads(self) -> tuple[str, ...]:
        return self.reads + tuple(p for group in self.reads_one_of for p in group) + self.optional_reads


FIELDS = frozenset(CheckMeta.__dataclass_fields__) - {"module"}
REQUIRED = frozenset({"id", "area", "severity", "title", "rationale", "remediation", "controls", "evidence",
                      "reads", "resource", "statuses"})
_META: dict[str, CheckMeta] = {}


def metadata_file(module: str) -> Traversable:
    """Where the metadata of a check module (dotted name) lives: ``<module>.metadata.yaml`` beside it."""
    package, _, name = module.rpartition(".")
    return resources.files(package).joinpath(f"{name}.metadata.yaml")


def load_metadata(module: str) -> list[CheckMeta]:
    """The checks described beside ``module``; a missing or unknown field is refused with the check named."""
    source = metadata_file(module)
    out = []
    for c in yaml.safe_load(source.read_text())["checks"]:
        where = f"{source.name}: {c.get('id', '?')}"
        if missing := REQUIRED - set(c):
            raise ValueError(f"{where} lacks {', '.join(sorted(missing))}")
        if unknown := set(c) - FIELDS:
            raise ValueError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}")
        if c["area"] not in AREAS:
            raise ValueError(f"{where}: area {c['area']!r} is not one of {', '.join(AREAS)}")
        out.append(CheckMeta(**{
            **c, "severity": Severity(c["severity"]), "controls": tuple(c["controls"]), "module": module,
            "reads": tuple(c["reads"]), "optional_reads": tuple(c.get("optional_reads") or ()),
            "reads_one_of": tuple(tuple(g) for g in c.get("reads_one_of") or ()),
            "report_remediation": tuple(c.get("report_remediation") or ())}))
    return out


def discover(package: str) -> list[str]:
    """Load the metadata of every check module of ``package`` (a module with a ``.metadata.yaml`` beside it), then
    import the module, which registers its checks: adding a check module needs no edit anywhere else. Returns the
    check ids described."""
    found = []
    for info in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__), key=lambda i: i.name):
        module = f"{package}.{info.name}"
        if info.ispkg or not metadata_file(module).is_file():
            continue
        metas = load_metadata(module)
        for meta in metas:
            if meta.id in _META:
                raise ValueError(f"check {meta.id} described twice ({_META[meta.id].module}, {meta.module})")
        _META.update((m.id, m) for m in metas)
        found += [m.id for m in metas]
        importlib.import_module(module)
    return found


def forget(check_ids: Iterable[str]) -> None:
    """Unregister checks and their metadata (for tests that add a toy check)."""
    for cid in check_ids:
        _META.pop(cid, None)
        _REGISTRY.pop(cid, None)


def metadata() -> Mapping[str, CheckMeta]:
    """Check id -> metadata (a read-only view)."""
    return MappingProxyType(_META)


@cache
def _frameworks_file() -> dict[str, Any]:
    return yaml.safe_load(resources.files("iamkit.checks").joinpath("frameworks.yaml").read_text())["frameworks"]


def frameworks() -> dict[str, Any]:
    """The framework controls of ``frameworks.yaml``, each with ``checks``: the checks whose metadata maps it."""
    out = {}
    for name, fw in _frameworks_file().items():
        controls = [{**c, "checks": sorted(m.id for m in _META.values() if f"{name}:{c['id']}" in m.controls)}
                    for c in fw["controls"]]
        out[name] = {**fw, "controls": controls}
    return out


def controls_data() -> dict[str, Any]:
    """Checks and frameworks in the shape the report's compliance appendix reads."""
    return {"checks": [m.__dict__ for m in _META.values()], "frameworks": frameworks()}


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
    """The findings of one check, run inside its declared reads (:func:`iamkit.reads.declared_reads`). A read
    of an undeclared file is a bug in iamkit, never a verdict: one ERROR finding says so."""
    fn = _REGISTRY[check_id]
    ctx.check_id = check_id
    try:
        with declared_reads(check_id, ctx.meta.declared_reads):
            return list(fn(ctx))
    except UndeclaredEvidence as exc:
        return [ctx.error(f"iamkit bug: {exc}; the check's metadata must declare what it reads")]
    except MissingEvidence as exc:
        return [ctx.error(f"evidence missing: {exc}")]
    except EvidenceError as exc:
        return [ctx.error(str(exc))]
    except Exception as exc:  # a bug in a check must not hide the other checks' findings
        return [ctx.error(f"internal error in check ({type(exc).__name__}: {exc})")]


def attach_exception(f: Finding, risk: AcceptedRisk | None) -> Finding:
    return f if risk is None else f.model_copy(update={"exception": risk})
