"""Account-level IAM facts: account summary, alias, organizations features, password policy, identity
providers, server certificates. The account alias is read here and nowhere else (:func:`alias_of`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from iamkit.evidence import (
    ACCOUNT_ALIASES,
    ACCOUNT_SUMMARY,
    ORGANIZATIONS_FEATURES,
    PASSWORD_POLICY,
    PROVIDERS,
    SERVER_CERTIFICATES,
    Bundle,
)
from iamkit.model.frames import BundleFacts, _dt, _frame
from iamkit.reads import fact


def alias_of(bundle: Bundle) -> str | None:
    """The account's first alias (``ListAccountAliases``); None when it has none or the file is absent."""
    if not bundle.has(ACCOUNT_ALIASES):
        return None
    aliases = bundle.json(ACCOUNT_ALIASES).get("AccountAliases") or []
    return str(aliases[0]) if aliases else None


class AccountFactsMixin(BundleFacts):
    """Account-level IAM facts of :class:`~iamkit.model.AccountModel`."""

    @fact
    def account_summary(self) -> dict[str, Any]:
        data = self.json(ACCOUNT_SUMMARY)
        return dict(data.get("SummaryMap", data))

    @fact
    def account_alias(self) -> str | None:
        """The account's alias (None: it has none); raises MissingEvidence when the file is absent."""
        self.require(ACCOUNT_ALIASES)
        return alias_of(self.bundle)

    @fact
    def organizations_features(self) -> list[str]:
        """EnabledFeatures of ListOrganizationsFeatures (e.g. RootCredentialsManagement, RootSessions)."""
        return list(self.json(ORGANIZATIONS_FEATURES).get("EnabledFeatures") or [])

    @fact
    def password_policy(self) -> dict[str, Any] | None:
        """The account password policy, or None when the account has none (NoSuchEntity)."""
        data = self.json(PASSWORD_POLICY)
        return data.get("PasswordPolicy") if isinstance(data, dict) else None

    @fact
    def providers(self) -> pd.DataFrame:
        data = self.json(PROVIDERS)
        recs = [{"arn": p.get("Arn"), "type": "SAML", "url": None, "client_ids": []}
                for p in data.get("SAMLProviderList") or []]
        for p in data.get("OpenIDConnectProviders") or data.get("OpenIDConnectProviderList") or []:
            arn = p.get("Arn", "")
            url = p.get("Url") or arn.split(":oidc-provider/", 1)[-1]
            recs.append({"arn": arn, "type": "OIDC", "url": url, "client_ids": list(p.get("ClientIDList") or [])})
        return _frame(recs, ["arn", "type", "url", "client_ids"])

    @fact
    def server_certificates(self) -> pd.DataFrame:
        data = self.json(SERVER_CERTIFICATES)
        recs = [{"name": c.get("ServerCertificateName"), "arn": c.get("Arn"), "expiration": c.get("Expiration")}
                for c in data.get("ServerCertificateMetadataList") or []]
        df = _frame(recs, ["name", "arn", "expiration"])
        df["expiration"] = _dt(df["expiration"])
        return df

