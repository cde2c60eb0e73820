"""The demo organization grown to N accounts, for throughput and scale measurements
(``iamkit demo --scale N``, ``benchmarks/run.py``, ``benchmarks/scale.py``).

The extra accounts are clones of the scenario's member accounts (new ids from 700000000000 on, new
names and e-mails, no alias), placed in the same OUs, so every account has realistic users, roles,
keys, policies and findings. The demo's own accounts keep their ids, so its ground truth still
holds for them.
"""

from __future__ import annotations

import copy
from typing import Any

from iamkit.demo.seed import scenario

FIRST_CLONE_ID = 700000000000


def scaled_scenario(n: int) -> dict[str, Any]:
    """The demo scenario with member accounts cloned until it has ``n`` accounts (at least the
    management account; fewer than the demo's accounts keeps the first ``n``)."""
    if n < 1:
        raise ValueError("an organization has at least one account")
    data = copy.deepcopy(scenario())
    accounts = data["accounts"]
    management = data["organization"]["management_account"]
    members = [a for a in accounts if a["id"] != management]
    i = 0
    while len(accounts) < n and members:
        src = members[i % len(members)]
        clone = copy.deepcopy(src)
        clone["id"] = f"{FIRST_CLONE_ID + i:012d}"
        clone["name"] = f"{src['name']}-{i}"
        clone["email"] = f"scale-{i}@example.com"
        clone.pop("alias", None)
        accounts.append(clone)
        i += 1
    data["accounts"] = accounts[:n]
    return data
