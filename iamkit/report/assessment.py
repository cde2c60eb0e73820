"""One assessment for a run, shared by the runner, ``iamkit render`` and the notebooks.

The organization model is built once from the organization bundle *and every account bundle* of the
run (the management account's features and organization analyzers count for the members), exactly as
``iamkit assess`` does over a run folder; accepted risks (``exceptions_file``) are attached the same
way. So the findings in ``findings.json``, in each account's report and in a notebook opened in
JupyterLab on the same evidence are the same findings. Accepted risks are attached here and nowhere
else (:meth:`Assessment.findings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamkit.checks import account_model, assess_account, org_model
from iamkit.evidence import Bundle
from iamkit.exceptions import ExceptionEntry, apply, load_register, unused_entries, write_report
from iamkit.exports import write_all
from iamkit.findings import Finding, sort_key
from iamkit.model import AccountModel
from iamkit.settings import Settings


@dataclass
class Assessment:
    settings: Settings
    bundles: list[Bundle]
    org_bundle: Bundle | None
    org: Any = None  # OrgModel
    #: the accepted-risk register: (source file, entry) from settings.exceptions_file and any extra file
    risks: list[tuple[str, ExceptionEntry]] = field(default_factory=list)

    @classmethod
    def build(cls, bundles: Sequence[Bundle], org_bundle: Bundle | None, settings: Settings,
              exceptions: Sequence[Path | str | None] = ()) -> Assessment:
        """``exceptions``: accepted-risk files besides ``settings.exceptions_file`` (``assess --exceptions``)."""
        risks = load_register([settings.exceptions_file, *exceptions])
        return cls(settings, list(bundles), org_bundle, org_model(org_bundle, bundles), risks)

    def model(self, bundle: Bundle) -> AccountModel:
        return account_model(bundle, self.settings, self.org)

    def findings(self, bundle: Bundle) -> list[Finding]:
        """The account's findings with the accepted risks attached: the one place they are applied."""
        return sorted(apply(assess_account(bundle, self.settings, self.org), self.risks), key=sort_key)

    def exception_report(self, all_findings: Sequence[Finding]) -> list[dict[str, Any]]:
        """Entries of every source that expired or matched no failing finding of the whole run."""
        return unused_entries(all_findings, self.risks)

    def write_findings(self, all_findings: Sequence[Finding], out: Path) -> list[dict[str, Any]]:
        """The findings files of a run (or of ``iamkit assess``) in ``out`` and, when a register was
        supplied, ``exceptions_report.json``; returns the entries it lists."""
        write_all(list(all_findings), Path(out))
        if not self.risks:
            return []
        unused = self.exception_report(all_findings)
        write_report(unused, Path(out) / "exceptions_report.json")
        return unused
