"""IAM evidence of one account.

Bulk calls only: the credential report and GetAccountAuthorizationDetails carry almost every fact
the checks need, so the number of calls does not grow with the number of users or roles beyond
pagination. The only per-item calls are GetOpenIDConnectProvider (one per OIDC provider: the list
call returns ARNs only), which grows with identity providers, never with principals.

Files (raw responses, pages merged, ``ResponseMetadata`` dropped):

* ``iam/authorization_details.json`` GAAD, every entity type, all pages merged:
  ``{UserDetailList, GroupDetailList, RoleDetailList, Policies}`` (permission boundaries, tags,
  RoleLastUsed and every policy version as AWS returns them).
* ``iam/credential_report.csv`` as AWS returns it, plus ``iam/credential_report.json``
  ``{GeneratedTime, ReportFormat}``.
* ``iam/account_summary.json`` ``{SummaryMap}``.
* ``iam/password_policy.json`` ``{"PasswordPolicy": {...}}``, or ``{"PasswordPolicy": null}`` when AWS
  answers NoSuchEntity: the account has no password policy, which is a fact (a finding), not an error.
* ``iam/virtual_mfa_devices.json`` ``{VirtualMFADevices}`` (assigned and unassigned).
* ``iam/providers.json`` ``{SAMLProviderList, OpenIDConnectProviders: [{Arn, Url, ClientIDList,
  ThumbprintList, CreateDate, Tags}]}``.
* ``iam/server_certificates.json`` ``{ServerCertificateMetadataList}``.
* ``iam/account_aliases.json`` ``{AccountAliases}``.
* ``iam/organizations_features.json`` the ListOrganizationsFeatures response ``{OrganizationId,
  EnabledFeatures}``; only the management account (or a delegated administrator) can read it, so in
  other accounts the call's error (e.g. AccountNotManagementOrDelegatedAdministratorException) is
  recorded instead.
"""

from __future__ import annotations

import time
from typing import Any

import botocore.exceptions

from iamkit.aws.session import AWS_ERRORS, AwsSession, error_code, one_line
from iamkit.collect.base import paginate, step, strip_metadata
from iamkit.evidence import (  # the bundle layout
    ACCOUNT_ALIASES,
    ACCOUNT_SUMMARY,
    AUTHORIZATION_DETAILS,
    CREDENTIAL_REPORT,
    CREDENTIAL_REPORT_META,
    ORGANIZATIONS_FEATURES,
    PASSWORD_POLICY,
    PROVIDERS,
    SERVER_CERTIFICATES,
    VIRTUAL_MFA_DEVICES,
    BundleWriter,
)

COLLECTOR = "iam"

OPERATIONS = frozenset({
    ("iam", "GenerateCredentialReport"),
    ("iam", "GetCredentialReport"),
    ("iam", "GetAccountSummary"),
    ("iam", "GetAccountAuthorizationDetails"),
    ("iam", "GetAccountPasswordPolicy"),
    ("iam", "ListVirtualMFADevices"),
    ("iam", "ListSAMLProviders"),
    ("iam", "ListOpenIDConnectProviders"),
    ("iam", "GetOpenIDConnectProvider"),
    ("iam", "ListServerCertificates"),
    ("iam", "ListAccountAliases"),
    ("iam", "ListOrganizationsFeatures"),
})

#: evidence file -> the operations it needs (a denied one leaves the file out, with a manifest error)
_REPORT = frozenset({("iam", "GenerateCredentialReport"), ("iam", "GetCredentialReport")})
FILES: dict[str, frozenset[tuple[str, str]]] = {
    CREDENTIAL_REPORT: _REPORT,
    CREDENTIAL_REPORT_META: _REPORT,
    AUTHORIZATION_DETAILS: frozenset({("iam", "GetAccountAuthorizationDetails")}),
    ACCOUNT_SUMMARY: frozenset({("iam", "GetAccountSummary")}),
    PASSWORD_POLICY: frozenset({("iam", "GetAccountPasswordPolicy")}),
    VIRTUAL_MFA_DEVICES: frozenset({("iam", "ListVirtualMFADevices")}),
    PROVIDERS: frozenset({("iam", "ListSAMLProviders"), ("iam", "ListOpenIDConnectProviders"),
                          ("iam", "GetOpenIDConnectProvider")}),
    SERVER_CERTIFICATES: frozenset({("iam", "ListServerCertificates")}),
    ACCOUNT_ALIASES: frozenset({("iam", "ListAccountAliases")}),
    ORGANIZATIONS_FEATURES: frozenset({("iam", "ListOrganizationsFeatures")}),
}

#: seed material of a virtual MFA device: never written to evidence (AWS returns it only on creation,
#: but an endpoint that returns it anyway must not make iamkit store a secret)
MFA_SECRETS = frozenset({"Base32StringSeed", "QRCodePNG"})
GAAD_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
GAAD_FILTER = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]


class ReportNotReady(Exception):
    """The credential report did not complete within the polling budget."""


def credential_report(client: Any, *, budget_s: float = 120.0, first_wait_s: float = 0.5) -> dict[str, Any]:
    """Generate the credential report and poll with exponential back-off until it is COMPLETE.

    AWS serves a cached report if one younger than four hours exists; ``GeneratedTime`` is kept so
    the checks can say how old the facts are.
    """
    wait, deadline = first_wait_s, time.monotonic() + budget_s
    while True:
        state = client.generate_credential_report().get("State")
        if state == "COMPLETE":
            break
        if time.monotonic() + wait > deadline:
            raise ReportNotReady(f"credential report still {state} after {budget_s:.0f}s")
        time.sleep(wait)
        wait = min(wait * 2, 16.0)
    return client.get_credential_report()


def authorization_details(client: Any) -> dict[str, Any]:
    """GetAccountAuthorizationDetails, every entity type, all pages merged into one document."""
    merged: dict[str, list[Any]] = {k: [] for k in GAAD_KEYS}
    for page in client.get_paginator("get_account_authorization_details").paginate(Filter=GAAD_FILTER):
        for k in GAAD_KEYS:
            merged[k].extend(page.get(k, []))
    return merged


def password_policy(client: Any) -> dict[str, Any]:
    """``{"PasswordPolicy": {...}}``; ``{"PasswordPolicy": None}`` when the account has none."""
    try:
        return {"PasswordPolicy": client.get_account_password_policy()["PasswordPolicy"]}
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return {"PasswordPolicy": None}
        raise


def providers(client: Any) -> dict[str, Any]:
    saml = client.list_saml_providers().get("SAMLProviderList", [])
    oidc = []
    for item in client.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        detail = strip_metadata(client.get_open_id_connect_provider(OpenIDConnectProviderArn=item["Arn"]))
        oidc.append({"Arn": item["Arn"], **detail})
    return {"SAMLProviderList": saml, "OpenIDConnectProviders": oidc}


def collect(session: AwsSession, writer: BundleWriter) -> None:
    iam = session.client("iam")

    def _report() -> dict[str, Any]:
        resp = credential_report(iam)
        writer.write_text(CREDENTIAL_REPORT, resp["Content"].decode("utf-8"))
        return {"GeneratedTime": resp.get("GeneratedTime"), "ReportFormat": resp.get("ReportFormat")}

    try:
        step(writer, COLLECTOR, "GetCredentialReport", CREDENTIAL_REPORT_META, _report)
    except ReportNotReady as exc:
        writer.add_error(COLLECTOR, "GenerateCredentialReport", "ReportNotReady", str(exc), file=CREDENTIAL_REPORT_META)
    if not writer.has(CREDENTIAL_REPORT):
        # the report's error was recorded against the metadata file; the CSV is missing for the same reason
        for err in writer.errors:
            if err.file == CREDENTIAL_REPORT_META:
                writer.add_error(err.collector, err.operation, err.code, err.message, file=CREDENTIAL_REPORT)
                break

    step(writer, COLLECTOR, "GetAccountAuthorizationDetails", AUTHORIZATION_DETAILS,
         lambda: authorization_details(iam))
    step(writer, COLLECTOR, "GetAccountSummary", ACCOUNT_SUMMARY,
         lambda: strip_metadata(iam.get_account_summary()))
    step(writer, COLLECTOR, "GetAccountPasswordPolicy", PASSWORD_POLICY, lambda: password_policy(iam))
    step(writer, COLLECTOR, "ListVirtualMFADevices", VIRTUAL_MFA_DEVICES,
         lambda: {"VirtualMFADevices": [{k: v for k, v in d.items() if k not in MFA_SECRETS}
                                        for d in paginate(iam, "list_virtual_mfa_devices", "VirtualMFADevices")]})
    _providers_step(writer, iam)
    step(writer, COLLECTOR, "ListServerCertificates", SERVER_CERTIFICATES,
         lambda: {"ServerCertificateMetadataList": paginate(iam, "list_server_certificates",
                                                            "ServerCertificateMetadataList")})
    step(writer, COLLECTOR, "ListAccountAliases", ACCOUNT_ALIASES,
         lambda: {"AccountAliases": paginate(iam, "list_account_aliases", "AccountAliases")})
    step(writer, COLLECTOR, "ListOrganizationsFeatures", ORGANIZATIONS_FEATURES,
         lambda: strip_metadata(iam.list_organizations_features()))


def _providers_step(writer: BundleWriter, iam: Any) -> None:
    """Providers take up to three operations; the error names the one that failed."""
    try:
        writer.write_json(PROVIDERS, providers(iam))
    except AWS_ERRORS as exc:
        op = getattr(exc, "operation_name", None) or "ListOpenIDConnectProviders"
        writer.add_error(COLLECTOR, op, error_code(exc), one_line(exc), file=PROVIDERS)
