"""IAM Identity Center (sso-admin + identitystore), collected once per run into the organization bundle.

Read from the management account or the Identity Center delegated administrator, in the session's
home region (an organization instance lives in one region). Files (``evidence/organization/
identity_center/``, raw responses, pages merged at the API maximum ``MaxResults=100``):

* ``instances.json`` ``{Region, Instances: [ListInstances entries]}``. An empty list means "no
  Identity Center instance in this region"; the checks then say NOT_APPLICABLE, never PASS.
* ``permission_sets.json`` ``{PermissionSets: [{InstanceArn, PermissionSet: <DescribePermissionSet>,
  AttachedManagedPolicies, CustomerManagedPolicyReferences, InlinePolicy: "<JSON text>"|"",
  PermissionsBoundary: {...}|null, AccountIds: [ListAccountsForProvisionedPermissionSet]}]}``.
  GetPermissionsBoundaryForPermissionSet answering ResourceNotFoundException means "no boundary"
  (``null``); any other failure of any call leaves the whole file out with a manifest error, so a
  permission set is never judged on half of its policies.
* ``assignments.json`` ``{AccountAssignments: [{InstanceArn, AccountId, PermissionSetArn,
  PrincipalType, PrincipalId}]}``: ListAccountAssignments for every (permission set, account it is
  provisioned to).
* ``users.json`` ``{Users: [...]}``, ``groups.json`` ``{Groups: [...]}``, ``group_memberships.json``
  ``{GroupMemberships: [{IdentityStoreId, GroupId, MemberId: {UserId}, MembershipId}]}``
  (ListGroupMemberships for every group).

Calls grow as ``1 + I * (1 + 6 P + sum over P of accounts A_p + G + 2)`` for I instances, P permission
sets, G groups (one page per 100 items): ListAccountAssignments per (permission set, account) dominates.
docs/collection.md has the exact count and numbers.
"""

from __future__ import annotations

from typing import Any

from iamkit.aws.session import AWS_ERRORS, AwsSession, error_code, one_line
from iamkit.collect.base import paginate, step, strip_metadata
from iamkit.evidence import (  # the bundle layout
    ORGANIZATION,
    SSO_ASSIGNMENTS,
    SSO_GROUP_MEMBERSHIPS,
    SSO_GROUPS,
    SSO_INSTANCES,
    SSO_PERMISSION_SETS,
    SSO_USERS,
    BundleWriter,
)

COLLECTOR = "identity_center"
OPERATIONS = frozenset({
    ("sso-admin", "ListInstances"),
    ("sso-admin", "ListPermissionSets"),
    ("sso-admin", "DescribePermissionSet"),
    ("sso-admin", "ListManagedPoliciesInPermissionSet"),
    ("sso-admin", "ListCustomerManagedPolicyReferencesInPermissionSet"),
    ("sso-admin", "GetInlinePolicyForPermissionSet"),
    ("sso-admin", "GetPermissionsBoundaryForPermissionSet"),
    ("sso-admin", "ListAccountsForProvisionedPermissionSet"),
    ("sso-admin", "ListAccountAssignments"),
    ("identitystore", "ListUsers"),
    ("identitystore", "ListGroups"),
    ("identitystore", "ListGroupMemberships"),
})
_SETS = frozenset({("sso-admin", "ListInstances"), ("sso-admin", "ListPermissionSets"),
                   ("sso-admin", "DescribePermissionSet"), ("sso-admin", "ListManagedPoliciesInPermissionSet"),
                   ("sso-admin", "ListCustomerManagedPolicyReferencesInPermissionSet"),
                   ("sso-admin", "GetInlinePolicyForPermissionSet"),
                   ("sso-admin", "GetPermissionsBoundaryForPermissionSet"),
                   ("sso-admin", "ListAccountsForProvisionedPermissionSet")})
_STORE = frozenset({("sso-admin", "ListInstances"), ("identitystore", "ListUsers"), ("identitystore", "ListGroups"),
                    ("identitystore", "ListGroupMemberships")})
#: evidence file of the organization bundle (``organization/...``) -> the operations it needs
FILES = {f"{ORGANIZATION}/{rel}": ops for rel, ops in {
    SSO_INSTANCES: frozenset({("sso-admin", "ListInstances")}),
    SSO_PERMISSION_SETS: _SETS,
    SSO_ASSIGNMENTS: _SETS | {("sso-admin", "ListAccountAssignments")},
    SSO_USERS: _STORE,
    SSO_GROUPS: _STORE,
    SSO_GROUP_MEMBERSHIPS: _STORE,
}.items()}
PAGE = 100  # MaxResults: the largest page sso-admin and identitystore allow


def _op(exc: Exception, default: str) -> str:
    return getattr(exc, "operation_name", None) or default


def _boundary(sso: Any, instance: str, ps_arn: str) -> dict[str, Any] | None:
    try:
        return sso.get_permissions_boundary_for_permission_set(
            InstanceArn=instance, PermissionSetArn=ps_arn).get("PermissionsBoundary")
    except AWS_ERRORS as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None  # the permission set has no boundary
        raise


def _permission_set(sso: Any, instance: str, ps_arn: str) -> dict[str, Any]:
    kw = {"InstanceArn": instance, "PermissionSetArn": ps_arn}
    return {
        "InstanceArn": instance,
        "PermissionSet": sso.describe_permission_set(**kw)["PermissionSet"],
        "AttachedManagedPolicies": paginate(sso, "list_managed_policies_in_permission_set",
                                            "AttachedManagedPolicies", MaxResults=PAGE, **kw),
        "CustomerManagedPolicyReferences": paginate(
            sso, "list_customer_managed_policy_references_in_permission_set", "CustomerManagedPolicyReferences",
            MaxResults=PAGE, **kw),
        "InlinePolicy": sso.get_inline_policy_for_permission_set(**kw).get("InlinePolicy") or "",
        "PermissionsBoundary": _boundary(sso, instance, ps_arn),
        "AccountIds": paginate(sso, "list_accounts_for_provisioned_permission_set", "AccountIds",
                               MaxResults=PAGE, **kw),
    }


def _assignments(sso: Any, sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for ps in sets:
        arn = ps["PermissionSet"]["PermissionSetArn"]
        for account in ps["AccountIds"]:
            for a in paginate(sso, "list_account_assignments", "AccountAssignments", InstanceArn=ps["InstanceArn"],
                              AccountId=account, PermissionSetArn=arn, MaxResults=PAGE):
                out.append({"InstanceArn": ps["InstanceArn"], **a})
    return out


def _identity_store(ids: Any, store_ids: list[str]) -> tuple[list[Any], list[Any], list[Any]]:
    users, groups, memberships = [], [], []
    for store in store_ids:
        users += paginate(ids, "list_users", "Users", IdentityStoreId=store, MaxResults=PAGE)
        found = paginate(ids, "list_groups", "Groups", IdentityStoreId=store, MaxResults=PAGE)
        groups += found
        for g in found:
            memberships += [{"IdentityStoreId": store, **m} for m in paginate(
                ids, "list_group_memberships", "GroupMemberships", IdentityStoreId=store, GroupId=g["GroupId"],
                MaxResults=PAGE)]
    return users, groups, memberships


def collect(session: AwsSession, writer: BundleWriter) -> list[dict[str, Any]] | None:
    """Write the Identity Center files; returns the instances (None when ListInstances failed)."""
    region = session.target.region
    sso = session.client("sso-admin")
    listed = step(writer, COLLECTOR, "ListInstances", None,
                  lambda: paginate(sso, "list_instances", "Instances", MaxResults=PAGE), region=region,
                  error_file=SSO_INSTANCES)
    if listed is None:
        for rel in (SSO_PERMISSION_SETS, SSO_ASSIGNMENTS, SSO_USERS, SSO_GROUPS, SSO_GROUP_MEMBERSHIPS):
            writer.add_error(COLLECTOR, "ListInstances", "Skipped", "the Identity Center instances were not read",
                             region=region, file=rel)
        return None
    writer.write_json(SSO_INSTANCES, {"Region": region, "Instances": listed})
    if not listed:
        return listed
    try:
        sets = [_permission_set(sso, i["InstanceArn"], arn) for i in listed
                for arn in paginate(sso, "list_permission_sets", "PermissionSets", InstanceArn=i["InstanceArn"],
                                    MaxResults=PAGE)]
    except AWS_ERRORS as exc:
        for rel in (SSO_PERMISSION_SETS, SSO_ASSIGNMENTS):
            writer.add_error(COLLECTOR, _op(exc, "ListPermissionSets"), error_code(exc), one_line(exc),
                             region=region, file=rel)
    else:
        writer.write_json(SSO_PERMISSION_SETS, {"PermissionSets": sets})
        step(writer, COLLECTOR, "ListAccountAssignments", SSO_ASSIGNMENTS,
             lambda: {"AccountAssignments": _assignments(sso, sets)}, region=region)
    _identity(session, writer, listed, region)
    return listed


def _identity(session: AwsSession, writer: BundleWriter, instances: list[dict[str, Any]], region: str) -> None:
    stores = sorted({i["IdentityStoreId"] for i in instances if i.get("IdentityStoreId")})
    try:
        users, groups, memberships = _identity_store(session.client("identitystore"), stores)
    except AWS_ERRORS as exc:
        for rel in (SSO_USERS, SSO_GROUPS, SSO_GROUP_MEMBERSHIPS):
            writer.add_error(COLLECTOR, _op(exc, "ListUsers"), error_code(exc), one_line(exc), region=region, file=rel)
        return
    writer.write_json(SSO_USERS, {"Users": [strip_metadata(u) for u in users]})
    writer.write_json(SSO_GROUPS, {"Groups": groups})
    writer.write_json(SSO_GROUP_MEMBERSHIPS, {"GroupMemberships": memberships})
