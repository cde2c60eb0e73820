"""The roll-up views of Identity Center: people x accounts, and what reaches each account.

Built from the organization model and every account model of a run. AWS managed policy documents come
from any collected account's GAAD (:func:`~iamkit.identity_center.access.policy_pool`), so an account
whose own evidence lacks one can still be judged; a document found in no account stays ``unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from iamkit.identity_center.access import LABELS, access_table, policy_pool
from iamkit.identity_center.tables import IdentityCenter
from iamkit.model import AccountModel

#: worst first; ``unknown`` ranks right after admin so that "cannot tell" is never hidden behind a milder level
RANK = {"admin": 0, "unknown": 1, "escalate": 2, "write": 3, "read_only": 4, "none": 5}


@dataclass
class RollUp:
    access: pd.DataFrame  # access_table: one row per (account, permission set)
    people: pd.DataFrame  # one row per (person, account): user_name, account_id, level, label, permission_sets
    reach: pd.DataFrame  # per (account, permission set): level, people, management flag
    management_account_id: str
    account_names: dict[str, str]

    def matrix(self) -> pd.DataFrame:
        """People (rows) x accounts (columns, ``name (id)``, the management account marked): the worst
        label each person has there, empty where the person has no access."""
        if self.people.empty:
            return pd.DataFrame(columns=["person"])
        cols = {a: self.column(a) for a in sorted(set(self.people["account_id"]))}
        wide = self.people.pivot_table(index="user_name", columns="account_id", values="label", aggfunc="first")
        wide = wide.rename(columns=cols).fillna("").reset_index().rename(columns={"user_name": "person"})
        wide.columns.name = None
        return wide

    def column(self, account_id: str) -> str:
        name = self.account_names.get(account_id)
        label = f"{name} ({account_id})" if name else account_id
        return label + (" [management]" if account_id == self.management_account_id else "")


def roll_up(ic: IdentityCenter, accounts: Mapping[str, AccountModel], org: object) -> RollUp:
    access = access_table(ic, accounts, org, policy_pool(accounts.values()))
    mgmt = str(getattr(org, "management_account_id", "") or "")
    names: dict[str, str] = {}
    accts = getattr(org, "accounts", None)
    if accts is not None:
        names = {str(i): str(n) for i, n in zip(accts["id"], accts["name"], strict=True)}
    p = ic.people.merge(access[["account_id", "permission_set_arn", "level"]],
                        on=["account_id", "permission_set_arn"], how="left")
    p["rank"] = p["level"].map(RANK)
    keys = ["user_name", "account_id"]
    worst = p.sort_values("rank", kind="stable").drop_duplicates(keys)[[*keys, "level"]]
    named = p[[*keys, "permission_set_name"]].astype({"permission_set_name": str}).drop_duplicates()
    sets = named.sort_values([*keys, "permission_set_name"]).groupby(keys)["permission_set_name"].agg(", ".join)
    people = worst.merge(sets.rename("permission_sets").reset_index(), on=keys).sort_values(keys)
    people["label"] = people["level"].map(LABELS)
    people = people[["user_name", "account_id", "level", "label", "permission_sets"]].reset_index(drop=True)
    reach = access[["account_id", "permission_set_name", "label", "people", "reason"]].copy()
    reach.insert(1, "account", [(names.get(a) or a) + (" [management]" if a == mgmt else "")
                                for a in reach["account_id"]])
    reach["how"] = access["methods"].map(lambda m: "; ".join(list(m)[:3]) + (" ..." if len(m) > 3 else ""))
    return RollUp(access, people, reach, mgmt, names)
