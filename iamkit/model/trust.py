"""Role trust: one row per trusted principal of every role trust policy, classified by relation."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from iamkit.model.authorization import AuthorizationMixin
from iamkit.model.frames import _frame
from iamkit.policy import PolicyError, analyze_trust_policy
from iamkit.policy.trust import lacks_confused_deputy_protection
from iamkit.reads import fact

if TYPE_CHECKING:
    from iamkit.model.organization import OrgModel

class TrustMixin(AuthorizationMixin):
    """``trust`` and ``trust_errors`` of :class:`~iamkit.model.AccountModel`."""

    org: OrgModel | None
    trusted_account_ids: frozenset[str]
    known_vendor_accounts: dict[str, str]

    def org_account_ids(self) -> frozenset[str]:
        return frozenset(self.org.accounts["id"]) if self.org is not None else frozenset()

    @fact
    def _trust_parsed(self) -> tuple[pd.DataFrame, dict[str, str]]:
        cols = ["role_arn", "role_name", "statement_index", "principal_kind", "principal", "account_id",
                "service", "provider", "provider_host", "actions", "restricted_by", "sub_restricted",
                "aud_restricted", "condition_summary", "confused_deputy_unprotected", "identity_restricted"]
        cache: dict[str, list[tuple[Any, ...]] | str] = {}
        recs: list[tuple[Any, ...]] = []
        errors: dict[str, str] = {}
        roles = self.roles
        for arn, name, doc in zip(roles["arn"], roles["role_name"], roles["trust_policy"], strict=True):
            key = json.dumps(doc, sort_keys=True)
            if key not in cache:  # roles often share one trust policy: analyse each distinct one once
                try:
                    cache[key] = [(e.statement_index, e.principal_kind, e.principal, e.account_id, e.service,
                                   e.provider, e.provider_host, e.actions, e.restricted_by, e.sub_restricted,
                                   e.aud_restricted, e.condition_summary, lacks_confused_deputy_protection(e),
                                   e.identity_restricted)
                                  for e in analyze_trust_policy(doc)]
                except PolicyError as exc:
                    cache[key] = str(exc)
            entries = cache[key]
            if isinstance(entries, str):
                errors[arn] = entries
                continue
            recs.extend((arn, name, *e) for e in entries)
        return _frame([dict(zip(cols, r, strict=True)) for r in recs], cols), errors

    @property
    def trust_errors(self) -> dict[str, str]:
        """role ARN -> why its trust policy could not be parsed."""
        return self._trust_parsed[1]

    @fact
    def trust(self) -> pd.DataFrame:
        """One row per trusted principal of a role trust policy (Allow statements that permit an
        ``sts:AssumeRole*`` action), from :func:`iamkit.policy.analyze_trust_policy`.

        ``relation``: ``any`` (anyone), ``service``, ``federated`` (SAML/OIDC), and for AWS principals
        ``same_account``, ``organization`` (an account of the OrgModel), ``trusted``
        (``trusted_account_ids``), ``vendor`` (``known_vendor_accounts``) or ``unknown`` (anything else,
        incl. a deleted principal's unique id)."""
        df = self._trust_parsed[0].copy()
        kind = df["principal_kind"]
        acct = df["account_id"]
        relation = np.select(
            [kind == "any", kind == "service", kind == "federated", acct == self.account_id,
             acct.isin(self.org_account_ids()), acct.isin(self.trusted_account_ids),
             acct.isin(set(self.known_vendor_accounts))],
            ["any", "service", "federated", "same_account", "organization", "trusted", "vendor"], default="unknown")
        df["relation"] = relation
        df["vendor"] = acct.map(self.known_vendor_accounts)
        return df

