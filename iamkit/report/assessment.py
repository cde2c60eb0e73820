"""One assessment for a run, shared by the runner, ``iamkit render`` and the notebooks.

The organization model is built once from the organization bundle *and every account bundle* of the
run (the management account's features and organization analyzers count for the members), exactly as
``iamkit assess`` does over a run folder; accepted risks (``exceptions_file``) are attached the same
way. So the findings in ``findings.json``, in each account's report and in a notebook opened in
JupyterLab on the same evidence are the same findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamkit.checks import account_model, assess_account, org_model
from iamkit.evidence import Bundle
from iamkit.exceptions import apply, load_exceptions
from iamkit.findings import Finding, sort_key
from iamkit.model import AccountModel
from iamkit.settings import Settings


@dataclass
class Assessment:
    settings: Settings
    bundles: list[Bundle]
    org_bundle: Bundle | None
    org: Any = None  # OrgModel
    exception_report: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def build(cls, bundles: Sequence[Bundle], org_bundle: Bundle | None, settings: Settings) -> Assessment:
        return cls(settings, list(bundles), org_bundle, org_model(org_bundle, bundles))

    def model(self, bundle: Bundle) -> AccountModel:
        return account_model(bundle, self.settings, self.org)

    def findings(self, bundle: Bundle) -> list[Finding]:
        found = assess_account(bundle, self.settings, self.org)
        entries = self.exceptions()
        if entries:
            found, report = apply(found, entries)
            self.exception_report = report
        return sorted(found, key=sort_key)

    def exceptions(self) -> list[Any]:
        path = self.settings.exceptions_file
        return load_exceptions(Path(path)) if path else []
