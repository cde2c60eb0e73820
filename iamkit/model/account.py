""":class:`AccountModel`: the one front the checks read an account through, composed of one mixin per
concern (credential report, authorization details and trust, account-level IAM facts, regions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamkit.evidence import Bundle
from iamkit.model.account_facts import AccountFactsMixin
from iamkit.model.organization import membership
from iamkit.model.regions import RegionsMixin
from iamkit.model.trust import TrustMixin

if TYPE_CHECKING:
    from iamkit.model.organization import OrgModel


class AccountModel(TrustMixin, AccountFactsMixin, RegionsMixin):
    """Lazy tables of one account bundle. ``now`` is the collection time, never the wall clock.

    ``org`` (an :class:`OrgModel`), ``trusted_account_ids`` and ``known_vendor_accounts`` classify the
    accounts named in role trust policies (``trust.relation``).
    """

    def __init__(self, bundle: Bundle, org: OrgModel | None = None, trusted_account_ids: Any = (),
                 known_vendor_accounts: dict[str, str] | None = None) -> None:
        super().__init__(bundle)
        self.org = org
        self.trusted_account_ids = frozenset(str(a) for a in trusted_account_ids)
        self.known_vendor_accounts = dict(known_vendor_accounts or {})

    def membership(self) -> tuple[str, str, list[dict[str, Any]]]:
        """See :func:`iamkit.model.organization.membership`."""
        return membership(self)
