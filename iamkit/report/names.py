"""Human names for resources whose ARN holds only an id: IAM Identity Center permission sets
(``arn:aws:sso:::permissionSet/ssoins-…/ps-…``), Identity Store users and groups
(``arn:aws:identitystore:::user/<UserId>``). The names come from the organization bundle's
``identity_center/`` files; the reports show the name first and the id (the ARN) beneath or beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from iamkit.errors import EvidenceError
from iamkit.evidence import MANIFEST, ORGANIZATION, Bundle
from iamkit.identity_center import IdentityCenter
from iamkit.model import MissingEvidence


def identity_center_names(org_bundle: Bundle | None) -> dict[str, str]:
    """ARN -> "permission set NAME" / "user NAME" / "group NAME" for what the organization bundle holds.
    A file missing from the evidence gives no names for its kind: the reports then show the id, as before."""
    if org_bundle is None:
        return {}
    ic = IdentityCenter(org_bundle)
    kinds: list[tuple[str, Callable[[], pd.DataFrame], str]] = [
        ("permission set", lambda: ic.permission_sets, "name"), ("user", lambda: ic.users, "user_name"),
        ("group", lambda: ic.groups, "group_name")]
    out: dict[str, str] = {}
    for kind, table, column in kinds:
        try:
            df = table()
        except (MissingEvidence, EvidenceError):
            continue  # names are for reading only; the finding itself already says what evidence is missing
        for arn, name in zip(df["arn"], df[column], strict=True):
            if isinstance(arn, str) and isinstance(name, str) and name:
                out[arn] = f"{kind} {name}"
    return out


def run_names(run_dir: Path) -> dict[str, str]:
    """The names of :func:`identity_center_names` for a run folder (its ``evidence/organization`` bundle)."""
    path = Path(run_dir) / "evidence" / ORGANIZATION
    return identity_center_names(Bundle(path) if (path / MANIFEST).is_file() else None)
