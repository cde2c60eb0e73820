"""AWS Organizations, collected once per run into the organization bundle (``evidence/organization``).

Read from the management account (or a delegated administrator for Organizations) with the caller's
own credentials. Files (raw responses, pages merged, ``ResponseMetadata`` dropped):

* ``organizations/organization.json`` DescribeOrganization ``{Organization: {Id, Arn, FeatureSet,
  MasterAccountId, ...}}``.
* ``organizations/roots.json`` ``{Roots: [{Id, Arn, Name, PolicyTypes: [{Type, Status}]}]}``: the
  enabled policy types (SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, ...) are the roots'
  ``PolicyTypes``.
* ``organizations/ous.json`` ``{OrganizationalUnits: [{Id, Arn, Name, ParentId, Path}]}``: the tree
  flattened, parents before children; ``Path`` is ``Workloads/Prod`` (names from the root down).
* ``organizations/accounts.json`` ``{Accounts: [ListAccounts entries], Parents: {<account id>:
  <root or OU id>}}``.
* ``organizations/policies.json`` ``{Policies: [{PolicySummary: {Id, Arn, Name, Type, AwsManaged,
  ...}, Content: "<policy JSON text>"}]}`` for SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY
  (DescribePolicy of each); ``Content`` stays the text AWS returns.
* ``organizations/targets.json`` ``{<policy id>: [{TargetId, Arn, Name, Type}]}``.
* ``organizations/delegated_administrators.json`` ``{DelegatedAdministrators: [...], Services:
  {<account id>: [{ServicePrincipal, DelegationEnabledDate}]}}``.
* ``organizations/organizations_features.json`` IAM ListOrganizationsFeatures ``{OrganizationId,
  EnabledFeatures}`` (centralized root access: RootCredentialsManagement, RootSessions).

A policy type that is not enabled is not an error: ListPolicies still answers (possibly empty). A
denied call writes no file and records a manifest error with the file it would have written.
"""

from __future__ import annotations

from typing import Any

from iamkit import evidence
from iamkit.aws.session import AWS_ERRORS, AwsSession, error_code, one_line
from iamkit.collect.base import paginate, step, strip_metadata
from iamkit.evidence import BundleWriter

COLLECTOR = "organizations"
OPERATIONS = frozenset({
    ("organizations", "DescribeOrganization"),
    ("organizations", "ListRoots"),
    ("organizations", "ListOrganizationalUnitsForParent"),
    ("organizations", "ListAccounts"),
    ("organizations", "ListAccountsForParent"),
    ("organizations", "ListPolicies"),
    ("organizations", "DescribePolicy"),
    ("organizations", "ListTargetsForPolicy"),
    ("organizations", "ListDelegatedAdministrators"),
    ("organizations", "ListDelegatedServicesForAccount"),
    ("iam", "ListOrganizationsFeatures"),
})
POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")

# the organization bundle's files, named in iamkit.evidence
ORGANIZATION = evidence.ORG_ORGANIZATION
ROOTS = evidence.ORG_ROOTS
OUS = evidence.ORG_OUS
ACCOUNTS = evidence.ORG_ACCOUNTS
POLICIES = evidence.ORG_POLICIES
TARGETS = evidence.ORG_TARGETS
DELEGATED_ADMINISTRATORS = evidence.ORG_DELEGATED_ADMINISTRATORS
FEATURES = evidence.ORG_FEATURES

_TREE = frozenset({("organizations", "ListRoots"), ("organizations", "ListOrganizationalUnitsForParent"),
                   ("organizations", "ListAccountsForParent")})
_POLICIES = frozenset({("organizations", "ListPolicies"), ("organizations", "DescribePolicy"),
                       ("organizations", "ListTargetsForPolicy")})
#: evidence file of the organization bundle (``organization/...``) -> the operations it needs
FILES = {f"{evidence.ORGANIZATION}/{rel}": ops for rel, ops in {
    ORGANIZATION: frozenset({("organizations", "DescribeOrganization")}),
    ROOTS: frozenset({("organizations", "ListRoots")}),
    OUS: _TREE,
    ACCOUNTS: _TREE | {("organizations", "ListAccounts")},
    POLICIES: _POLICIES,
    TARGETS: _POLICIES,
    DELEGATED_ADMINISTRATORS: frozenset({("organizations", "ListDelegatedAdministrators"),
                                         ("organizations", "ListDelegatedServicesForAccount")}),
    FEATURES: frozenset({("iam", "ListOrganizationsFeatures")}),
}.items()}


def describe_organization(session: AwsSession) -> dict[str, Any]:
    return strip_metadata(session.client("organizations").describe_organization())


def list_active_accounts(session: AwsSession) -> list[dict[str, Any]]:
    """ACTIVE accounts of the caller's organization (ListAccounts, all pages)."""
    accounts = paginate(session.client("organizations"), "list_accounts", "Accounts")
    return [a for a in accounts if a.get("Status", "ACTIVE") == "ACTIVE"]


def _tree(org: Any, roots: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """OUs (flattened, breadth first, with ParentId and Path) and each account's parent id."""
    ous: list[dict[str, Any]] = []
    parents: dict[str, str] = {}
    queue: list[tuple[str, str]] = [(r["Id"], "") for r in roots]
    while queue:
        parent_id, parent_path = queue.pop(0)
        for acct in paginate(org, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
            parents[acct["Id"]] = parent_id
        for ou in paginate(org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id):
            ou_path = f"{parent_path}/{ou['Name']}" if parent_path else ou["Name"]
            ous.append({**ou, "ParentId": parent_id, "Path": ou_path})
            queue.append((ou["Id"], ou_path))
    return ous, parents


def collect(session: AwsSession, writer: BundleWriter) -> dict[str, Any] | None:
    """Write the organization files; returns DescribeOrganization's ``Organization`` (None if denied)."""
    org = session.client("organizations")
    described = step(writer, COLLECTOR, "DescribeOrganization", ORGANIZATION, lambda: describe_organization(session))
    roots = step(writer, COLLECTOR, "ListRoots", ROOTS, lambda: {"Roots": paginate(org, "list_roots", "Roots")})
    accounts = step(writer, COLLECTOR, "ListAccounts", None, lambda: paginate(org, "list_accounts", "Accounts"),
                    error_file=ACCOUNTS)
    if roots is not None:
        try:
            ous, parents = _tree(org, roots["Roots"])
        except AWS_ERRORS as exc:
            op = getattr(exc, "operation_name", None) or "ListOrganizationalUnitsForParent"
            writer.add_error(COLLECTOR, op, error_code(exc), one_line(exc), file=OUS)
        else:
            writer.write_json(OUS, {"OrganizationalUnits": ous})
            if accounts is not None:
                writer.write_json(ACCOUNTS, {"Accounts": accounts, "Parents": parents})
    elif accounts is not None:
        writer.add_error(COLLECTOR, "ListRoots", "Skipped", "account parents need the roots, which were not read",
                         file=OUS)
    _policies(writer, org)
    _delegated(writer, org)
    step(writer, COLLECTOR, "ListOrganizationsFeatures", FEATURES,
         lambda: strip_metadata(session.client("iam").list_organizations_features()))
    return None if described is None else described.get("Organization")


def _policies(writer: BundleWriter, org: Any) -> None:
    try:
        policies, targets = [], {}
        for ptype in POLICY_TYPES:
            for summary in paginate(org, "list_policies", "Policies", Filter=ptype):
                detail = org.describe_policy(PolicyId=summary["Id"])["Policy"]
                policies.append({"PolicySummary": detail.get("PolicySummary", summary),
                                 "Content": detail.get("Content")})
                targets[summary["Id"]] = paginate(org, "list_targets_for_policy", "Targets", PolicyId=summary["Id"])
    except AWS_ERRORS as exc:
        op = getattr(exc, "operation_name", None) or "ListPolicies"
        for relpath in (POLICIES, TARGETS):
            writer.add_error(COLLECTOR, op, error_code(exc), one_line(exc), file=relpath)
        return
    writer.write_json(POLICIES, {"Policies": policies})
    writer.write_json(TARGETS, targets)


def _delegated(writer: BundleWriter, org: Any) -> None:
    def _read() -> dict[str, Any]:
        admins = paginate(org, "list_delegated_administrators", "DelegatedAdministrators")
        services = {a["Id"]: paginate(org, "list_delegated_services_for_account", "DelegatedServices",
                                      AccountId=a["Id"]) for a in admins}
        return {"DelegatedAdministrators": admins, "Services": services}

    try:
        data = _read()
    except AWS_ERRORS as exc:
        op = getattr(exc, "operation_name", None) or "ListDelegatedAdministrators"
        writer.add_error(COLLECTOR, op, error_code(exc), one_line(exc), file=DELEGATED_ADMINISTRATORS)
        return
    writer.write_json(DELEGATED_ADMINISTRATORS, data)
