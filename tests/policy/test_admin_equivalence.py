"""One policy document judged on its own by the administrator notion (iamkit.admins.policy_grants_admin, used by
iam.policy.full_admin_attached): its holder is administrator when every IAM write that lets it grant itself
anything (ADMIN_PROBES) is allowed on ``*``, by evaluation, so NotAction forms count as AWS matches them. A
condition counts as holding (the policy *can* grant it). This replaced the static "at most 20 excluded actions"
test (is_admin_equivalent): one notion of administrator in the product."""

from iamkit.admins import policy_grants_admin
from iamkit.policy.escalation import ADMIN_PROBES

ACCT = "111122223333"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def allow(action="*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def admin(*statements) -> bool:
    return policy_grants_admin(doc(*statements), ACCT)


def test_plain_admin_and_wildcard_forms():
    assert admin(allow()) and admin(allow("*:*")) and admin(allow("*", ["*"]))
    assert admin({"Effect": "Allow", "NotAction": "iam:ChangePassword", "Resource": "*"})  # the NotAction trick


def test_a_deny_outside_the_iam_writes_keeps_admin_one_inside_cuts_it():
    assert admin(allow(), deny("aws-portal:*"))  # a whole small service
    assert admin(allow(), deny(["cloudtrail:StopLogging", "organizations:LeaveOrganization"]))
    for probe in ADMIN_PROBES:  # limit: each IAM write is needed
        assert not admin(allow(), deny(probe)), probe
    assert not admin(allow(), deny("iam:*"))
    assert admin(allow(), deny("s3:*", "arn:aws:s3:::secret/*"))  # a Deny on specific resources
    assert admin(allow(), deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}}))  # does not apply


def test_full_iam_write_is_admin_one_write_short_is_not():
    assert admin(allow("iam:*"))
    assert admin(allow(list(ADMIN_PROBES)))  # limit
    assert not admin(allow(list(ADMIN_PROBES[1:])))  # limit - 1
    assert not admin(allow("iam:Get*"))
    assert not admin(allow("iam:*", "arn:aws:iam::*:user/x"))


def test_power_user_and_excluded_iam_writes_are_not_admin():
    assert not admin({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"})
    assert not admin({"Effect": "Allow", "NotAction": ["iam:Create*", "iam:Attach*", "iam:Put*"], "Resource": "*"})
    assert not admin({"Effect": "Allow", "Action": "*", "NotResource": "*"})
    assert admin({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::x"})


def test_a_condition_the_evidence_cannot_decide_counts_as_holding_a_false_one_does_not():
    assert admin(allow("iam:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    # aws:MultiFactorAuthPresent is absent from the request the evidence describes: the condition is false
    assert not admin(allow("iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))


def test_a_resource_pattern_covering_every_arn_is_every_resource():
    """``arn:*`` matches every ARN, so ``Allow * on arn:*`` makes its holder administrator; a pattern naming a
    service, an account or a resource type does not cover every resource."""
    assert admin(allow("*", "arn:*")) and admin(allow("*", "arn:aws:*")) and admin(allow("*", "arn:*:*:*:*:*"))
    assert admin(allow("*", "arn:aws-us-gov:*"))
    assert not admin(allow("*", "arn:aws:iam::*"))  # every IAM resource, not every resource: judged elsewhere
    assert not admin(allow("*", f"arn:aws:iam::{ACCT}:*"))
    assert not admin(allow("*", "arn:aws:s3:::*"))
    assert not admin(allow("*", "arn:*"), deny("iam:*", "arn:*"))  # the same form in a Deny takes it away
    assert admin({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"})


def test_which_patterns_cover_every_arn():
    from iamkit.policy.matching import covers_every_arn

    yes = ["*", "arn:*", "arn:*:*", "arn:*:*:*:*:*", "arn:aws:*", "arn:aws-cn:*:*", "**"]
    no = ["arn:aws:iam::*", "arn:aws:s3:::*", "arn:aws", "arn:", "arn:aws:iam::111122223333:*", "arn:?*", "?"]
    assert [p for p in yes if not covers_every_arn(p)] == []
    assert [p for p in no if covers_every_arn(p)] == []
