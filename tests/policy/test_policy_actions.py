
import pytest

from iamkit.policy import actions


def test_expand_prefix_wildcard_returns_canonical_names():
    found = actions.expand("iam:Pass*")
    assert "iam:PassRole" in found
    assert all(a.startswith("iam:Pass") for a in found)
    assert actions.expand("IAM:pass*") == found  # case-insensitive


def test_expand_everything():
    everything = actions.expand("*")
    assert len(everything) > 10000
    assert everything == actions.all_actions() == actions.expand("*:*")
    assert {"iam:PassRole", "s3:GetObject", "ec2:RunInstances", "sts:AssumeRole"} <= everything
    assert actions.catalog_size() == len(everything)


def test_expand_service_and_question_mark_and_exact():
    s3 = actions.expand("s3:*")
    assert len(s3) > 100 and all(a.startswith("s3:") for a in s3)
    assert actions.expand("s3:GetObjec?") == {"s3:GetObject"}
    assert actions.expand("s3:getobject") == {"s3:GetObject"}
    assert actions.expand("s3:Get*Acl") >= {"s3:GetObjectAcl", "s3:GetBucketAcl"}
    assert "s3:GetObject" not in actions.expand("s3:Put*")


def test_expand_wildcard_in_service_part():
    found = actions.expand("*:CreatePolicyVersion")
    assert "iam:CreatePolicyVersion" in found
    assert all(a.endswith(":CreatePolicyVersion") for a in found)


def test_expand_unknown_gives_empty_set():
    assert actions.expand("nosuchservice:*") == frozenset()
    assert actions.expand("s3:NoSuchAction") == frozenset()
    assert actions.expand("no-colon") == frozenset()


@pytest.mark.parametrize(
    ("action", "level"),
    [
        ("s3:GetObject", "Read"),
        ("s3:ListAllMyBuckets", "List"),
        ("iam:PutUserPolicy", "Permissions management"),
        ("iam:AttachRolePolicy", "Permissions management"),
        ("ec2:CreateTags", "Tagging"),
        ("ec2:RunInstances", "Write"),
        ("IAM:listusers", "List"),
    ],
)
def test_access_levels(action, level):
    assert actions.access_level(action) == level
    assert level in actions.ACCESS_LEVELS


def test_unknown_action_errors_and_is_known():
    assert actions.is_known("iam:PassRole") and actions.is_known(" iam:passrole ")
    assert not actions.is_known("iam:Pass*")
    assert not actions.is_known("iam:NoSuchThing")
    with pytest.raises(actions.UnknownActionError, match="unknown IAM action 'iam:NoSuchThing'"):
        actions.access_level("iam:NoSuchThing")
    with pytest.raises(KeyError):
        actions.canonical("nope:nope")
    assert actions.canonical("IAM:PASSROLE") == "iam:PassRole"


def test_every_catalogued_access_level_is_one_of_the_five():
    levels = {actions.access_level(a) for a in actions.all_actions()}
    assert levels == set(actions.ACCESS_LEVELS)


def test_matches_needs_no_catalog():
    assert actions.matches("iam:Pass*", "iam:PassRole")
    assert actions.matches("*", "brandnew:Thing")
    assert actions.matches("brandnew:*", "BrandNew:Thing")
    assert not actions.matches("iam:Pass*", "iam:GetRole")
    assert not actions.matches("s3:Get?", "s3:GetObject")


def test_services_and_service_actions():
    assert {"iam", "s3", "ec2", "sts"} <= actions.services()
    assert "sts:AssumeRole" in actions.actions_for_service("STS")
    assert actions.actions_for_service("nope") == ()


def test_expand_after_cache_clear_gives_the_same_sets():
    """Expansion is cached; clearing the cache must not change what it returns (timings: benchmarks/)."""
    before = (actions.expand("*"), actions.expand("ec2:Describe*"))
    actions._expand_lower.cache_clear()
    everything, describe = actions.expand("*"), actions.expand("ec2:Describe*")
    assert (everything, describe) == before
    assert len(everything) > 10000 and len(describe) > 50
    assert describe <= everything and all(a.startswith("ec2:Describe") for a in describe)
