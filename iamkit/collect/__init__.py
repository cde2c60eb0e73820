"""Collectors: the only code that calls AWS. One module per service; each declares ``OPERATIONS`` and
``FILES`` (each evidence file it writes -> the operations that file needs).

``ALL_OPERATIONS`` (the union of those declarations plus what bundle orchestration itself calls)
is the read-only allowlist installed on every session and the source of ``iamkit policy``.
"""

from __future__ import annotations

from iamkit.aws.guard import Operation
from iamkit.collect import access_analyzer, bundle, cloudtrail, iam, identity_center, organizations, regions

COLLECTOR_MODULES = (bundle, regions, iam, access_analyzer, cloudtrail, organizations, identity_center)

ALL_OPERATIONS: frozenset[Operation] = frozenset().union(*(m.OPERATIONS for m in COLLECTOR_MODULES))


def evidence_files() -> dict[str, frozenset[Operation]]:
    """Evidence key (``iam/...``; ``organization/...`` in the organization bundle; globs for per-region files)
    -> the operations the file needs, from each collector's ``FILES``: a denied operation leaves the file out."""
    out: dict[str, frozenset[Operation]] = {}
    for m in COLLECTOR_MODULES:
        for key, ops in m.FILES.items():
            out[key] = out.get(key, frozenset()) | ops
    return out
