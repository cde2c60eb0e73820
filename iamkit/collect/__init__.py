"""Collectors: the only code that calls AWS. One module per service; each declares ``OPERATIONS``.

``ALL_OPERATIONS`` (the union of those declarations plus what bundle orchestration itself calls)
is the read-only allowlist installed on every session and the source of ``iamkit policy``.
"""

from __future__ import annotations

from iamkit.aws.guard import Operation
from iamkit.collect import access_analyzer, bundle, cloudtrail, iam, identity_center, organizations, regions

COLLECTOR_MODULES = (bundle, regions, iam, access_analyzer, cloudtrail, organizations, identity_center)

ALL_OPERATIONS: frozenset[Operation] = frozenset().union(*(m.OPERATIONS for m in COLLECTOR_MODULES))
