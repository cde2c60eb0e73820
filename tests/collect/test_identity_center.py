"""The Identity Center collector against the stand-in: files, calls counted, denials and no instance."""

from __future__ import annotations

import json

from iamkit.aws.session import AwsTarget, open_session
from iamkit.collect import ALL_OPERATIONS, identity_center
from iamkit.demo.extras import STATE, error, parse
from iamkit.demo.seed_sso import seed_identity_center
from iamkit.demo.standin import StandIn
from iamkit.evidence import (
    SSO_ASSIGNMENTS,
    SSO_GROUPS,
    SSO_INSTANCES,
    SSO_PERMISSION_SETS,
    SSO_USERS,
    Bundle,
    BundleWriter,
)

MGMT, MEMBER = "123456789012", "210987654321"
SPEC = {
    "users": [{"name": "alice", "display": "Alice A"}, {"name": "gus", "display": "Gus G"}],
    "groups": [{"name": "Admins", "members": ["alice"]}, {"name": "Empty", "members": []}],
    "permission_sets": [
        {"name": "Admin", "session_duration": "PT1H", "managed": ["AdministratorAccess"]},
        {"name": "Dev", "session_duration": "PT12H", "boundary": {"managed": "ReadOnlyAccess"},
         "inline": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
    ],
    "assignments": [{"account": MGMT, "permission_set": "Admin", "group": "Admins"},
                    {"account": MEMBER, "permission_set": "Admin", "group": "Admins"},
                    {"account": MEMBER, "permission_set": "Dev", "user": "gus"}],
}


def _collect(url, tmp_path):
    session = open_session(AwsTarget(endpoint_url=url), ALL_OPERATIONS)
    w = BundleWriter(tmp_path / "organization", account_id=MGMT, scope="organization")
    identity_center.collect(session, w)
    w.add_calls(session.guard.take_calls())
    return Bundle(w.finish(caller_identity=None))


def test_collects_every_declared_operation_once_per_item(fresh_standin, tmp_path):
    seed_identity_center(fresh_standin.url, MGMT, SPEC)
    b = _collect(fresh_standin.url, tmp_path)
    ops = b.manifest["operations"]
    assert set(ops) == {f"{s}:{o}" for s, o in identity_center.OPERATIONS}
    per_set = ("DescribePermissionSet", "ListManagedPoliciesInPermissionSet", "GetInlinePolicyForPermissionSet",
               "ListCustomerManagedPolicyReferencesInPermissionSet", "GetPermissionsBoundaryForPermissionSet",
               "ListAccountsForProvisionedPermissionSet")
    assert all(ops[f"sso-admin:{o}"] == 2 for o in per_set)
    assert ops["sso-admin:ListAccountAssignments"] == 3  # (Admin x 2 accounts) + (Dev x 1 account)
    assert ops["identitystore:ListGroupMemberships"] == 2 and ops["sso-admin:ListInstances"] == 1
    assert b.errors == []
    sets = {p["PermissionSet"]["Name"]: p for p in b.json(SSO_PERMISSION_SETS)["PermissionSets"]}
    assert sets["Admin"]["PermissionsBoundary"] is None  # ResourceNotFoundException: no boundary
    assert sets["Dev"]["PermissionsBoundary"] == {"ManagedPolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert json.loads(sets["Dev"]["InlinePolicy"])["Statement"][0]["Action"] == "s3:*"
    assert sorted(sets["Admin"]["AccountIds"]) == [MGMT, MEMBER]
    assert sets["Admin"]["PermissionSet"]["PermissionSetArn"].startswith("arn:aws:sso:::permissionSet/ssoins-")
    assert len(b.json(SSO_ASSIGNMENTS)["AccountAssignments"]) == 3
    assert {u["UserName"] for u in b.json(SSO_USERS)["Users"]} == {"alice", "gus"}


def test_denied_call_is_recorded_and_writes_no_file(fresh_standin, tmp_path):
    seed_identity_center(fresh_standin.url, MGMT, SPEC)
    STATE.deny("sso:GetInlinePolicyForPermissionSet")
    STATE.deny("identitystore:ListGroupMemberships")
    b = _collect(fresh_standin.url, tmp_path)
    for rel in (SSO_PERMISSION_SETS, SSO_ASSIGNMENTS, SSO_USERS, SSO_GROUPS):
        assert not b.has(rel)
    assert b.has(SSO_INSTANCES)
    errs = {e["file"]: (e["operation"], e["code"]) for e in b.errors}
    assert errs[SSO_PERMISSION_SETS] == ("GetInlinePolicyForPermissionSet", "AccessDeniedException")
    assert errs[SSO_GROUPS] == ("ListGroupMemberships", "AccessDeniedException")
    assert "GetInlinePolicyForPermissionSet failed" in b.missing_reason(SSO_ASSIGNMENTS)


def test_denied_list_instances_skips_everything(fresh_standin, tmp_path):
    STATE.deny("sso:ListInstances")
    b = _collect(fresh_standin.url, tmp_path)
    assert not b.has(SSO_INSTANCES) and not b.has(SSO_USERS)
    assert {e["file"] for e in b.errors} >= {SSO_INSTANCES, SSO_PERMISSION_SETS, SSO_USERS}
    assert b.manifest["operations"] == {"sso-admin:ListInstances": 1}


def _no_instance(environ):
    req = parse(environ)
    if req is not None and req.service == "sso" and req.operation == "ListInstances":
        from iamkit.demo.extras import _json

        return _json({"Instances": []}, "application/x-amz-json-1.1")
    return None


def test_no_instance_is_recorded_as_an_empty_list(tmp_path):
    assert error  # the stand-in's helpers are what extensions use
    STATE.reset()  # no denial left by another test
    with StandIn(extensions=[_no_instance]) as s:
        b = _collect(s.url, tmp_path)
    assert b.json(SSO_INSTANCES) == {"Region": "us-east-1", "Instances": []}
    assert b.errors == [] and not b.has(SSO_PERMISSION_SETS)
    assert b.manifest["operations"] == {"sso-admin:ListInstances": 1}
