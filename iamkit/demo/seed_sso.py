"""Seed the demo's IAM Identity Center (``organization.identity_center`` of ``scenario.yaml``).

Through the stand-in's API, in the management account: Identity Store users, groups and memberships;
permission sets (session duration, AWS managed policies, customer-managed references, inline policy;
boundaries go to :data:`iamkit.demo.extras.STATE`, which serves them); account assignments. Then, in each
assigned account, the ``AWSReservedSSO_<name>_<suffix>`` role Identity Center provisions there, with the
permission set's policies attached (what AWS does when it provisions a permission set). Users marked
``deleted`` are deleted after their assignments were made: the assignments stay, as in AWS.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from iamkit.demo.extras import STATE
from iamkit.demo.seed import client, load_aws_managed

SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


def _principals(ids: Any, store: str, spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    users = {}
    for u in spec.get("users", []):
        given, _, family = u["display"].partition(" ")
        users[u["name"]] = ids.create_user(
            IdentityStoreId=store, UserName=u["name"], DisplayName=u["display"],
            Name={"GivenName": given, "FamilyName": family or given},
            Emails=[{"Value": f"{u['name']}@example.com", "Type": "work", "Primary": True}])["UserId"]
    groups = {}
    for g in spec.get("groups", []):
        groups[g["name"]] = ids.create_group(IdentityStoreId=store, DisplayName=g["name"])["GroupId"]
        for member in g.get("members", []):
            ids.create_group_membership(IdentityStoreId=store, GroupId=groups[g["name"]],
                                        MemberId={"UserId": users[member]})
    return users, groups


def _permission_set(sso: Any, instance: str, ps: dict[str, Any]) -> str:
    created = sso.create_permission_set(Name=ps["name"], InstanceArn=instance, SessionDuration=ps["session_duration"],
                                        Description=f"demo permission set {ps['name']}")
    arn = created["PermissionSet"]["PermissionSetArn"]
    for name in ps.get("managed", []):
        sso.attach_managed_policy_to_permission_set(InstanceArn=instance, PermissionSetArn=arn,
                                                    ManagedPolicyArn=f"arn:aws:iam::aws:policy/{name}")
    for name in ps.get("customer_managed", []):
        sso.attach_customer_managed_policy_reference_to_permission_set(
            InstanceArn=instance, PermissionSetArn=arn, CustomerManagedPolicyReference={"Name": name, "Path": "/"})
    if ps.get("inline"):
        sso.put_inline_policy_to_permission_set(InstanceArn=instance, PermissionSetArn=arn,
                                                InlinePolicy=json.dumps(ps["inline"]))
    boundary = ps.get("boundary") or {}
    if boundary.get("customer_managed"):
        STATE.sso_boundaries[arn] = {"CustomerManagedPolicyReference": {"Name": boundary["customer_managed"],
                                                                        "Path": "/"}}
    elif boundary.get("managed"):
        STATE.sso_boundaries[arn] = {"ManagedPolicyArn": f"arn:aws:iam::aws:policy/{boundary['managed']}"}
    return arn


def _provision_role(url: str, account: str, ps: dict[str, Any]) -> None:
    """The role Identity Center creates for a permission set in an assigned account."""
    suffix = hashlib.sha256(f"{account}/{ps['name']}".encode()).hexdigest()[:16]
    saml = f"arn:aws:iam::{account}:saml-provider/AWSSSO_{suffix}_DO_NOT_DELETE"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": saml}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
    iam = client(url, "iam", account)
    name = f"AWSReservedSSO_{ps['name']}_{suffix}"
    boundary = ps.get("boundary") or {}
    extra = {}
    if boundary.get("customer_managed"):
        extra["PermissionsBoundary"] = f"arn:aws:iam::{account}:policy/{boundary['customer_managed']}"
    elif boundary.get("managed"):
        extra["PermissionsBoundary"] = f"arn:aws:iam::aws:policy/{boundary['managed']}"
    iam.create_role(RoleName=name, Path=SSO_PATH, AssumeRolePolicyDocument=json.dumps(trust),
                    MaxSessionDuration=3600, **extra)
    load_aws_managed(account, set(ps.get("managed", [])))
    for m in ps.get("managed", []):
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{m}")
    for c in ps.get("customer_managed", []):
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::{account}:policy/{c}")
    if ps.get("inline"):
        iam.put_role_policy(RoleName=name, PolicyName="AwsSSOInlinePolicy", PolicyDocument=json.dumps(ps["inline"]))


def seed_identity_center(url: str, management: str, spec: dict[str, Any]) -> None:
    sso = client(url, "sso-admin", management)
    instance = sso.list_instances()["Instances"][0]
    ids = client(url, "identitystore", management)
    users, groups = _principals(ids, instance["IdentityStoreId"], spec)
    sets = {ps["name"]: ps for ps in spec.get("permission_sets", [])}
    arns = {name: _permission_set(sso, instance["InstanceArn"], ps) for name, ps in sets.items()}
    provisioned: set[tuple[str, str]] = set()
    for a in spec.get("assignments", []):
        ptype, pid = ("GROUP", groups[a["group"]]) if a.get("group") else ("USER", users[a["user"]])
        sso.create_account_assignment(InstanceArn=instance["InstanceArn"], TargetId=a["account"],
                                      TargetType="AWS_ACCOUNT", PermissionSetArn=arns[a["permission_set"]],
                                      PrincipalType=ptype, PrincipalId=pid)
        if (a["account"], a["permission_set"]) not in provisioned:
            provisioned.add((a["account"], a["permission_set"]))
            _provision_role(url, a["account"], sets[a["permission_set"]])
    for u in spec.get("users", []):
        if u.get("deleted"):
            ids.delete_user(IdentityStoreId=instance["IdentityStoreId"], UserId=users[u["name"]])
