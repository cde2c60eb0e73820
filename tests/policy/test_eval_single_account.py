"""Single-account evaluation: IAM User Guide, "Policy evaluation for requests within a single account" and
"How AWS enforcement code logic evaluates requests to allow or deny access"."""

from __future__ import annotations

import pytest
from evalkit import ADMIN, BUCKET_OBJ, A, allow, ask, decision, deny, doc, grant

from iamkit.policy.document import PolicyError


def test_identity_allow_and_default_implicit_deny():
    """Enforcement page, "Deny evaluation": by default all requests are implicitly denied."""
    assert decision(identity_policies=[doc(allow("s3:GetObject"))]) == "allowed"
    d = ask(identity_policies=[doc(allow("s3:PutObject"))])
    assert d.decision == "implicit_deny" and d.decided_by == ("identity",)
    assert decision(identity_policies=[]) == "implicit_deny"


def test_explicit_deny_in_another_policy_wins():
    """Enforcement page: "An explicit deny overrides an explicit allow" (across every policy)."""
    d = ask(identity_policies=[ADMIN, {"name": "Guard", "document": doc(deny("s3:Get*", Sid="NoGet"))}])
    assert d.decision == "explicit_deny" and d.decided_by == ("identity",)
    assert (d.statements[0].policy, d.statements[0].sid, d.statements[0].index) == ("Guard", "NoGet", 1)
    # a Deny in the resource policy also wins over an identity Allow
    rp = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"})
    assert ask(identity_policies=[ADMIN], resource_policy=rp).decided_by == ("resource",)


def test_carlos_example_either_identity_or_resource_policy_suffices():
    """Single-account page, "Example identity-based and resource-based policy evaluation": within one
    account, if either the identity-based or the resource-based policy allows, the request is allowed."""
    carlos = f"arn:aws:iam::{A}:user/carlossalazar"
    obj = "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/file.txt"
    identity = doc(allow(["s3:GetBucketLocation", "s3:ListAllMyBuckets"]),
                   allow(["s3:ListBucket", "s3:GetObject", "s3:PutObject"], "arn:aws:s3:::${aws:username}-logs/*"))
    bucket = doc(grant({"AWS": carlos}, "s3:*", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*"))
    # identity policy alone: the variable expands to carlossalazar, not to the bucket's name
    assert decision(carlos, "s3:PutObject", obj, identity_policies=[identity]) == "implicit_deny"
    assert decision(carlos, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f", identity_policies=[identity]) == \
        "allowed"
    # the bucket policy alone suffices (same account)
    d = ask(carlos, "s3:PutObject", obj, identity_policies=[identity], resource_policy=bucket)
    assert d.decision == "allowed" and d.decided_by == ("resource",)
    # an explicit deny in either overrides
    guarded = doc(*bucket["Statement"], {"Effect": "Deny", "Principal": {"AWS": carlos}, "Action": "s3:PutObject",
                                        "Resource": obj})
    assert decision(carlos, "s3:PutObject", obj, identity_policies=[identity], resource_policy=guarded) == \
        "explicit_deny"


def test_root_user_has_full_access_in_its_account():
    """Enforcement page: all requests are implicitly denied "with the exception of the root user"."""
    root = f"arn:aws:iam::{A}:root"
    assert decision(root, "iam:CreateUser", "*") == "allowed"
    assert decision(A, "iam:CreateUser", "*") == "allowed"  # a bare account id is the root user
    # SCPs still apply to the root user of a member account ("SCP effects on permissions")
    scps = [[doc(allow(), deny("iam:*", Sid="NoIam"))]]
    assert decision(root, "iam:CreateUser", "*", scps=scps) == "explicit_deny"


def test_get_caller_identity_needs_no_permission_and_cannot_be_denied():
    """STS API reference, GetCallerIdentity: "No permissions are required ... if an administrator attaches a
    policy that explicitly denies access to sts:GetCallerIdentity, you can still perform this operation"."""
    d = ask(action="sts:GetCallerIdentity", resource="*", identity_policies=[doc(deny())], scps=[[doc(deny())]])
    assert d.decision == "allowed" and d.decided_by == ("service",)


SSO_ROLE = f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"


@pytest.mark.parametrize("action,resource,expected", [
    ("iam:AttachRolePolicy", SSO_ROLE, "explicit_deny"),
    ("iam:DeleteRole", SSO_ROLE, "explicit_deny"),
    ("iam:GetRole", SSO_ROLE, "allowed"),
    ("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/ReadOnlyAccess", "explicit_deny"),
    ("iam:GetPolicyVersion", "arn:aws:iam::aws:policy/ReadOnlyAccess", "allowed"),
    ("iam:DeleteRole", f"arn:aws:iam::{A}:role/app", "allowed"),
])
def test_aws_reserved_roles_and_aws_managed_policies_cannot_be_modified(action, resource, expected):
    """IAM User Guide, "AWS managed policies" (you cannot change them) and "IAM Identity Center" roles under
    /aws-reserved/ (cannot be modified or deleted), even by an administrator."""
    assert decision(action=action, resource=resource, identity_policies=[ADMIN]) == expected


def test_action_names_are_case_insensitive_and_wildcards_match():
    """Action element: "action names are case insensitive"; wildcards * and ? in the service or action."""
    assert decision(identity_policies=[doc(allow("S3:getOBJECT"))]) == "allowed"
    assert decision(action="S3:GETOBJECT", identity_policies=[doc(allow("s3:GetObject"))]) == "allowed"
    assert decision(identity_policies=[doc(allow("s3:Get?bject"))]) == "allowed"
    assert decision(identity_policies=[doc(allow("s3:Get?Object"))]) == "implicit_deny"
    assert decision(identity_policies=[doc(allow("s?:*"))]) == "allowed"
    assert decision(identity_policies=[doc(allow(" s3:GetObject "))]) == "allowed"  # surrounding blanks
    with pytest.raises(PolicyError, match=r"request.identity_policies\[0\]: statement 1: .*'s3:Get Object'"):
        ask(identity_policies=[doc(allow("s3:Get Object"))])


def test_not_action_allow_and_deny():
    """NotAction element: Allow with NotAction grants everything else; Deny with NotAction denies everything else."""
    trick = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decision(identity_policies=[trick]) == "allowed"
    assert decision(action="iam:CreateUser", resource="*", identity_policies=[trick]) == "implicit_deny"
    guard = doc({"Effect": "Deny", "NotAction": ["s3:*", "sts:*"], "Resource": "*"})
    assert decision(identity_policies=[ADMIN, guard]) == "allowed"
    assert decision(action="ec2:RunInstances", resource="*", identity_policies=[ADMIN, guard]) == "explicit_deny"


@pytest.mark.parametrize("pattern,resource,expected", [
    ("arn:aws:s3:::bucket/*", BUCKET_OBJ, True),
    ("arn:aws:s3:::bucket", BUCKET_OBJ, False),
    ("arn:aws:s3:::buck?t/key", BUCKET_OBJ, True),
    ("arn:aws:s3:::BUCKET/key", BUCKET_OBJ, False),  # resource ARNs are case-sensitive
    ("*", BUCKET_OBJ, True),
    # * inside a segment stays inside it; * ending a segment may run past the colon
    ("arn:aws:logs:us-east-1:*:log-group:app*:log-stream:x", "arn:aws:logs:us-east-1:111122223333:log-group:app:"
     "log-stream:x", True),
    ("arn:aws:logs:us-east-1:111122223333:log-group:a*p:x", "arn:aws:logs:us-east-1:111122223333:log-group:a:b:p:x",
     False),
    ("arn:aws:logs:*", "arn:aws:logs:us-east-1:111122223333:log-group:app", True),
    ("arn:aws:dynamodb:us-?ast-1:*:table/T", "arn:aws:dynamodb:us-east-1:111122223333:table/T", True),
])
def test_resource_arn_matching_by_segment(pattern, resource, expected):
    """Resource element, "Including wildcards in the resource ARN": wildcards match within a segment; a * that
    ends a segment can expand beyond the colon."""
    account = resource.split(":")[4] or A
    got = decision(resource=resource, resource_account=account if account != A else A,
                   identity_policies=[doc(allow("*", pattern))])
    assert (got == "allowed") is expected


def test_not_resource():
    """NotResource element: the statement applies to every resource except those listed."""
    policy = doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})
    assert decision(identity_policies=[policy]) == "allowed"
    assert decision(resource="arn:aws:s3:::secret/x", identity_policies=[policy]) == "implicit_deny"


def test_policy_variables_in_resource():
    """"IAM policy elements: Variables and tags": ${aws:username}, principal tags, defaults and the escapes
    ${*}, ${?}, ${$} (literal characters, not wildcards); an absent key makes the pattern match nothing."""
    home = doc(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))
    assert decision(resource="arn:aws:s3:::home/alice/f", identity_policies=[home]) == "allowed"
    assert decision(resource="arn:aws:s3:::home/bob/f", identity_policies=[home]) == "implicit_deny"
    # a role session has no aws:username: the pattern matches nothing
    session = f"arn:aws:sts::{A}:assumed-role/app/s"
    assert decision(session, resource="arn:aws:s3:::home/alice/f", identity_policies=[home]) == "implicit_deny"
    team = doc(allow("s3:*", "arn:aws:s3:::${aws:PrincipalTag/team, 'shared'}/*"))
    assert decision(resource="arn:aws:s3:::shared/f", identity_policies=[team]) == "allowed"
    assert decision(resource="arn:aws:s3:::blue/f", identity_policies=[team],
                    context={"aws:PrincipalTag/team": "blue"}) == "allowed"
    literal = doc(allow("s3:*", "arn:aws:s3:::b/${*}${?}${$}"))
    assert decision(resource="arn:aws:s3:::b/*?$", identity_policies=[literal]) == "allowed"
    assert decision(resource="arn:aws:s3:::b/xyz", identity_policies=[literal]) == "implicit_deny"


def test_unknown_variable_in_a_deny_resource_is_not_allowed():
    """Never fail open: a Deny whose Resource uses a variable the request does not give is taken as applying."""
    d = ask(identity_policies=[ADMIN, doc(deny("s3:*", "arn:aws:s3:::${s3:prefix}*"))])
    assert d.decision == "explicit_deny" and d.unresolved_conditions


def test_malformed_policies_name_the_path():
    """Malformed input: one-line error with the field inside the request and the statement."""
    with pytest.raises(PolicyError, match=r"request.identity_policies\[1\]: statement 2 \(Sid 'X'\): Effect"):
        ask(identity_policies=[ADMIN, doc(allow(), {"Sid": "X", "Effect": "Maybe", "Action": "*", "Resource": "*"})])
    with pytest.raises(PolicyError, match=r"policies\[0\]: statement 1: this policy type \(identity\) allows no"):
        ask(identity_policies=[doc(grant("*"))])
    with pytest.raises(PolicyError, match=r"resource_policy: statement 1: this policy type \(resource\) needs"):
        ask(resource_policy=doc(allow()))
    with pytest.raises(PolicyError, match=r"request.scps\[0\]\[0\]: statement 1: has neither Resource"):
        ask(scps=[[doc({"Effect": "Allow", "Action": "*"})]])
    with pytest.raises(PolicyError, match=r"request.colour: unknown field"):
        ask(colour="blue")
    with pytest.raises(PolicyError, match=r"request.principal: "):
        ask(principal="bob")
