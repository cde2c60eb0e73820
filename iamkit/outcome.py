"""The exit code of a command that produced findings, decided in one place (DESIGN.md section 5).

* 3 when some accounts failed or the organization's evidence could not be collected: the run is
  incomplete, whatever the findings say.
* 1 when ``fail_on`` is a severity and some finding at or above it is a FAIL without an accepted risk,
  or an ERROR: a check that could not be evaluated may hide a FAIL, so a batch never reports success
  over it (an accepted risk never applies to an ERROR).
* 0 otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from iamkit.findings import Finding, Severity, Status

EXIT_OK, EXIT_FINDINGS, EXIT_INCOMPLETE = 0, 1, 3


def blocking(findings: Iterable[Finding], fail_on: str) -> list[Finding]:
    """The findings that make ``--fail-on fail_on`` exit 1."""
    if fail_on == "never":
        return []
    limit = Severity(fail_on).rank
    return [f for f in findings if f.severity.rank <= limit
            and ((f.status == Status.FAIL and f.exception is None) or f.status == Status.ERROR)]


def exit_code(findings: Iterable[Finding], fail_on: str = "never", *, incomplete: bool = False) -> int:
    if incomplete:
        return EXIT_INCOMPLETE
    return EXIT_FINDINGS if blocking(findings, fail_on) else EXIT_OK
