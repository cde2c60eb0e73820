"""Typed tables built from one evidence bundle (and the organization bundle).

Checks read facts only through :class:`AccountModel` and :class:`OrgModel`. When a fact's evidence is
missing (not collected, denied, not supplied with an export) the accessor raises
:class:`MissingEvidence` with the reason from the manifest; the check runner turns that into an
ERROR finding, so a check can never PASS on evidence it does not have. A table is never silently
empty because its file is missing.

Building the tables is linear in the number of principals: JSON is walked once into records, and
every join/derivation after that is a pandas vector operation (merges, ``explode``, ``where``).

Decisions (documented here because the checks rely on them):

* ``access_keys`` comes from the credential report (one row per *existing* key: a slot whose
  ``last_rotated`` is a date; slots with ``N/A`` hold no key). The root user's keys are not in
  this table; root checks read the ``<root_account>`` row.
* ``users.has_console_password`` / ``users.mfa_active`` come from the credential report; they are
  ``<NA>`` when the bundle has no credential report (e.g. an offline export without one), and the
  checks that need them call :attr:`AccountModel.credential_report` first, which raises.
* ``mfa_devices`` lists assigned virtual devices (``ListVirtualMFADevices``) and, for every user
  whose ``mfa_active`` is true without an assigned virtual device, one inferred ``hardware`` row
  (serial unknown: a hardware TOTP token or a FIDO security key/passkey).
* Service-linked roles (path ``/aws-service-role/``) and IAM Identity Center roles (path
  ``/aws-reserved/sso.amazonaws.com/``, name ``AWSReservedSSO_*``) are flagged on ``roles``; AWS
  owns their trust and permissions, so checks skip them and say so.

The package has one module per concern (``frames``, ``credentials``, ``authorization``, ``trust``,
``account_facts``, ``regions``, ``organization``) and :class:`AccountModel` (``account``) composes them,
so checks read one front. Every cached table is an :class:`iamkit.reads.fact`: it remembers the
evidence files it rests on, so a check served from the cache is held to its declared reads.
"""

from iamkit.evidence import (  # the bundle layout (named there), re-exported for the checks that import it here
    ACCOUNT_SUMMARY,
    AUTHORIZATION_DETAILS,
    CREDENTIAL_REPORT,
    ORGANIZATIONS_FEATURES,
    PASSWORD_POLICY,
    PROVIDERS,
    REGIONS,
    ROOT_ACTIVITY,
    SERVER_CERTIFICATES,
    VIRTUAL_MFA_DEVICES,
    analyzer_file,
)
from iamkit.model.account import AccountModel
from iamkit.model.account_facts import alias_of
from iamkit.model.authorization import SERVICE_LINKED_PATH, SSO_PATH
from iamkit.model.credentials import ROOT_USER
from iamkit.model.frames import MissingEvidence, partition_of
from iamkit.model.organization import FEATURE_OFF_CODES, MEMBER_CODES, STANDALONE_CODES, OrgModel, membership

__all__ = [
    "ACCOUNT_SUMMARY", "AUTHORIZATION_DETAILS", "CREDENTIAL_REPORT",
    "FEATURE_OFF_CODES", "MEMBER_CODES", "ORGANIZATIONS_FEATURES", "PASSWORD_POLICY", "PROVIDERS", "REGIONS",
    "ROOT_ACTIVITY", "ROOT_USER", "SERVER_CERTIFICATES", "SERVICE_LINKED_PATH", "SSO_PATH", "STANDALONE_CODES",
    "VIRTUAL_MFA_DEVICES", "AccountModel", "MissingEvidence", "OrgModel", "alias_of", "analyzer_file",
    "membership", "partition_of",
]
