"""The report's sections, in order: one area notebook each (a light module: the notebooks' own imports,
:mod:`iamkit.report.sections`, need the list but not nbconvert and papermill, which :mod:`iamkit.report.render`
imports and every kernel would otherwise import again, ~5 s on a loaded machine)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    notebook: str  # file stem in notebooks/
    title: str


#: the report's sections, in order; each is one notebook executed in its own kernel
AREAS: tuple[Area, ...] = (
    Area("00_summary", "Executive summary"),
    Area("01_mfa", "Multi-factor authentication and password policy"),
    Area("02_credential_rotation", "Credential rotation"),
    Area("03_cross_account", "Cross-account access"),
    Area("04_scp_coverage", "Organization guardrails (SCPs)"),
    Area("05_root_usage", "Root user usage and protection"),
    Area("06_least_privilege", "Least privilege"),
    Area("07_appendix", "Appendices"),
)
