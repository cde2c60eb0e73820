"""Build an evidence bundle from exported files (``iamkit import``), ``source: offline``.

Inputs: the JSON that ``aws iam get-account-authorization-details`` writes (one document with
``UserDetailList``, ``GroupDetailList``, ``RoleDetailList``, ``Policies``; the CLI merges pages),
and optionally a credential report CSV (as downloaded from the IAM console, or the base64-decoded
``Content`` of ``aws iam get-credential-report``).

The bundle has the same layout as a collected one. Everything the exports do not carry is recorded
as a manifest error with code ``NotSupplied`` and the ``file`` it would have been, so every check
that needs it says ERROR ("not supplied with the exported evidence"), never PASS. The account id is
taken from ``--account-id`` or inferred from the ARNs of users, groups, roles and customer managed
policies in the export; ``collected_at`` is the import time (the export carries no time of its
own), and the manifest records the input files with their sha256.

Malformed input raises :class:`~iamkit.errors.BadInputError` with one line naming the file and the
problem (exit 2).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from iamkit import evidence as ev
from iamkit.errors import BadInputError, read_json_input
from iamkit.evidence import (  # the bundle layout
    AUTHORIZATION_DETAILS,
    CREDENTIAL_REPORT,
    CREDENTIAL_REPORT_META,
    BundleWriter,
)

GAAD_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
ACCOUNT_ID = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):")
CRED_REQUIRED = ("user", "arn", "user_creation_time", "password_enabled", "mfa_active",
                 "access_key_1_active", "access_key_1_last_rotated", "access_key_2_active")

#: what a collected bundle has and an export never carries: (file, operation that would produce it)
NOT_IN_EXPORTS = (
    (ev.ACCOUNT_SUMMARY, "GetAccountSummary"),
    (ev.PASSWORD_POLICY, "GetAccountPasswordPolicy"),
    (ev.VIRTUAL_MFA_DEVICES, "ListVirtualMFADevices"),
    (ev.PROVIDERS, "ListOpenIDConnectProviders"),
    (ev.SERVER_CERTIFICATES, "ListServerCertificates"),
    (ev.ACCOUNT_ALIASES, "ListAccountAliases"),
    (ev.ORGANIZATIONS_FEATURES, "ListOrganizationsFeatures"),
    (ev.REGIONS, "DescribeRegions"),
    (ev.ROOT_ACTIVITY, "LookupEvents"),
)




def load_authorization_details(path: Path) -> dict[str, Any]:
    """The export, validated: a JSON object with the GAAD lists (missing lists are empty)."""
    data = read_json_input(path)
    if isinstance(data, dict) and "Statement" in data and "Version" in data:
        raise BadInputError(f"{path}: this is a single policy document, not the output of "
                            "'aws iam get-account-authorization-details'")
    if not isinstance(data, dict) or not any(k in data for k in GAAD_KEYS):
        raise BadInputError(f"{path}: not the output of 'aws iam get-account-authorization-details' "
                            f"(expected a JSON object with {', '.join(GAAD_KEYS)})")
    out: dict[str, Any] = {}
    for key in GAAD_KEYS:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            raise BadInputError(f"{path}: {key} must be a list of objects")
        out[key] = value
    for key, name_field in (("UserDetailList", "UserName"), ("GroupDetailList", "GroupName"),
                            ("RoleDetailList", "RoleName"), ("Policies", "PolicyName")):
        for i, item in enumerate(out[key]):
            if "Arn" not in item or name_field not in item:
                raise BadInputError(f"{path}: {key}[{i}] lacks Arn or {name_field}")
    if data.get("IsTruncated"):
        raise BadInputError(f"{path}: the export is one truncated page (IsTruncated true); export again "
                            "without --max-items so the AWS CLI merges every page")
    return out


def infer_account_id(details: dict[str, Any], path: Path) -> str:
    """The account the export comes from: the account id in its users', groups' and roles' ARNs, or,
    when it has no principals, in its customer managed policies' ARNs (AWS managed ones carry
    ``aws``). When several accounts appear (exports merged by hand do this) the one most ARNs name
    is taken if it names a clear majority (over 80%); otherwise --account-id is required."""
    ids: Counter[str] = Counter()
    for keys in (GAAD_KEYS[:3], GAAD_KEYS[3:]):
        for key in keys:
            for item in details[key]:
                m = _ARN_ACCOUNT.match(str(item.get("Arn", "")))
                if m:
                    ids[m.group(1)] += 1
        if ids:
            break
    if not ids:
        raise BadInputError(f"{path}: no account id in the export's ARNs; give --account-id")
    (best, count), total = ids.most_common(1)[0], sum(ids.values())
    if count / total <= 0.8:
        found = ", ".join(f"{a} ({n})" for a, n in ids.most_common())
        raise BadInputError(f"{path}: ARNs name several accounts ({found}); give --account-id")
    return best


def load_credential_report(path: Path) -> str:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: not a text CSV file (the credential report is UTF-8 CSV)") from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as exc:
        raise BadInputError(f"{path}: not a valid CSV file ({exc})") from None
    missing = [c for c in CRED_REQUIRED if c not in header]
    if missing:
        raise BadInputError(f"{path}: not an IAM credential report (missing columns: {', '.join(missing)})")
    for i, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise BadInputError(f"{path}: line {i} has a different number of fields than the header")
    return text


def import_export(authorization_details: Path, *, out: Path, credential_report: Path | None = None,
                  account_id: str | None = None) -> Path:
    """Write ``out/evidence/<account_id>`` from the exported files; returns the bundle path."""
    authorization_details = Path(authorization_details)
    details = load_authorization_details(authorization_details)
    if account_id is not None and not ACCOUNT_ID.match(account_id):
        raise BadInputError(f"--account-id '{account_id}' is not a 12-digit AWS account id")
    account = account_id or infer_account_id(details, authorization_details)
    report = load_credential_report(Path(credential_report)) if credential_report else None
    if report is not None:
        rows = list(csv.DictReader(io.StringIO(report)))
        foreign = {m.group(1) for r in rows if (m := _ARN_ACCOUNT.match(r.get("arn", "")))} - {account}
        if foreign:
            raise BadInputError(f"{credential_report}: the credential report is of account "
                                f"{', '.join(sorted(foreign))}, the authorization details of {account}")

    writer = BundleWriter(Path(out) / "evidence" / account, account_id=account, source="offline")
    try:
        writer.write_json(AUTHORIZATION_DETAILS, details)
        inputs = [{"file": str(authorization_details), "sha256": _sha(authorization_details),
                   "as": AUTHORIZATION_DETAILS}]
        if report is not None:
            writer.write_text(CREDENTIAL_REPORT, report)
            writer.write_json(CREDENTIAL_REPORT_META, {"GeneratedTime": None, "ReportFormat": "text/csv",
                                                       "Source": "imported file"})
            inputs.append({"file": str(credential_report), "sha256": _sha(Path(credential_report)),
                           "as": CREDENTIAL_REPORT})
        else:
            for rel in (CREDENTIAL_REPORT, CREDENTIAL_REPORT_META):
                writer.add_error("offline", "GetCredentialReport", "NotSupplied",
                                 "no credential report was given to iamkit import (--credential-report)", file=rel)
        for rel, op in NOT_IN_EXPORTS:
            writer.add_error("offline", op, "NotSupplied",
                             "not part of the exported evidence (get-account-authorization-details, "
                             "credential report)", file=rel)
        writer.add_error("offline", "ListAnalyzers", "NotSupplied",
                         "IAM Access Analyzer is not part of the exported evidence", file=ev.ANALYZER_DIR)
        return writer.finish(caller_identity=None, regions=[], extra={"inputs": inputs})
    except BaseException:
        writer.abort()
        raise


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
