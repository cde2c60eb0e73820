"""IAM Identity Center: who among the people can be administrator in which account.

* :mod:`~iamkit.identity_center.tables`: the organization bundle's Identity Center evidence as tables
  (permission sets, users, groups, memberships, assignments, assignments expanded to people).
* :mod:`~iamkit.identity_center.access`: each permission set's effective permissions in each account it
  reaches (AWS managed + inline + customer-managed references resolved in that account + boundary, then
  the account's SCP chain) decided as admin / can escalate / limited write / read-only, and the link
  from every ``AWSReservedSSO_*`` role to its permission set.

Pure (no AWS SDK): reads evidence bundles through :mod:`iamkit.model` and asks :mod:`iamkit.policy`.
"""

from __future__ import annotations

import weakref
from typing import Any

from iamkit.identity_center.access import (
    LABELS,
    LEVELS,
    Access,
    access_table,
    decide,
    permission_set_access,
    policy_pool,
    sso_roles,
)
from iamkit.identity_center.tables import IdentityCenter, principal_arn, session_hours

__all__ = ["LABELS", "LEVELS", "Access", "IdentityCenter", "access_table", "decide", "identity_center_of",
           "permission_set_access", "policy_pool", "principal_arn", "session_hours", "sso_roles"]

_CACHE: weakref.WeakKeyDictionary[Any, IdentityCenter] = weakref.WeakKeyDictionary()


def identity_center_of(org: Any) -> IdentityCenter:
    """The :class:`IdentityCenter` of an :class:`~iamkit.model.OrgModel` (one per organization model)."""
    ic = _CACHE.get(org)
    if ic is None:
        ic = _CACHE[org] = IdentityCenter(org.bundle)
    return ic
