import pytest

from iamkit.policy.trust import (
    SERVICES_WITHOUT_SOURCE_CONTEXT,
    analyze_trust_policy,
    classify_principal,
    is_broad_wildcard,
    lacks_confused_deputy_protection,
)

GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"


def trust(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def assume(principal, action="sts:AssumeRole", **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def only(document):
    entries = analyze_trust_policy(document)
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.parametrize(
    ("principal", "kind", "account"),
    [
        ("*", "any", None),
        ({"AWS": "*"}, "any", None),
        ({"AWS": "111122223333"}, "account", "111122223333"),
        ({"AWS": "arn:aws:iam::111122223333:root"}, "account", "111122223333"),
        ({"AWS": "arn:aws-us-gov:iam::111122223333:root"}, "account", "111122223333"),
        ({"AWS": "arn:aws:iam::444455556666:role/deploy"}, "principal", "444455556666"),
        ({"AWS": "arn:aws:iam::444455556666:user/path/alice"}, "principal", "444455556666"),
        ({"AWS": "arn:aws:sts::444455556666:assumed-role/Sso/alice@example.com"}, "principal", "444455556666"),
        ({"AWS": "AROAEXAMPLEID1234567"}, "principal", None),
        ({"Service": "ec2.amazonaws.com"}, "service", None),
        ({"Federated": GITHUB}, "federated", "111122223333"),
        ({"Federated": "cognito-identity.amazonaws.com"}, "federated", None),
        ({"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"}, "federated", "111122223333"),
    ],
)
def test_principal_kinds(principal, kind, account):
    entry = only(trust(assume(principal)))
    assert entry.principal_kind == kind
    assert entry.account_id == account
    assert entry.actions == ("sts:AssumeRole",)


def test_service_and_provider_fields():
    svc = only(trust(assume({"Service": "lambda.amazonaws.com"})))
    assert svc.service == "lambda.amazonaws.com" and svc.provider is None
    gh = only(trust(assume({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity")))
    assert gh.provider == GITHUB and gh.provider_host == "token.actions.githubusercontent.com"
    saml = only(trust(assume({"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"}, "sts:AssumeRoleWithSAML")))
    assert saml.provider_host is None and saml.actions == ("sts:AssumeRoleWithSAML",)


def test_one_entry_per_principal_and_statement_index():
    entries = analyze_trust_policy(
        trust(
            {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
            assume(
                {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/x"], "Service": "ec2.amazonaws.com"},
                Sid="Mixed",
            ),
        )
    )
    assert [(e.statement_index, e.sid, e.principal_kind) for e in entries] == [
        (1, "Mixed", "account"),
        (1, "Mixed", "principal"),
        (1, "Mixed", "service"),
    ]


def test_action_coverage_wildcards_and_not_action():
    assert only(trust(assume("*", "sts:*"))).actions == (
        "sts:AssumeRole",
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithSAML",
        "sts:TagSession",
    )
    assert len(only(trust(assume("*", "*"))).actions) == 4
    assert only(trust(assume("*", ["sts:AssumeRole", "sts:TagSession"]))).actions == (
        "sts:AssumeRole",
        "sts:TagSession",
    )
    not_action = trust({"Effect": "Allow", "Principal": "*", "NotAction": "sts:AssumeRoleWith*"})
    assert only(not_action).actions == ("sts:AssumeRole", "sts:TagSession")
    assert analyze_trust_policy(trust(assume("*", "sts:GetCallerIdentity"))) == []


def test_external_id_detection():
    plain = only(trust(assume({"AWS": "444455556666"})))
    assert plain.restricted_by == ()
    with_id = only(trust(assume({"AWS": "444455556666"}, Condition={"StringEquals": {"sts:ExternalId": "x-123"}})))
    assert with_id.restricted_by == ("sts:ExternalId",)
    assert "sts:externalid=x-123" in with_id.condition_summary
    negated = only(trust(assume({"AWS": "444455556666"}, Condition={"StringNotEquals": {"sts:ExternalId": "x"}})))
    assert negated.restricted_by == ()


def test_org_and_principal_restrictions():
    entry = only(
        trust(
            assume(
                {"AWS": "*"},
                Condition={
                    "StringEquals": {"aws:PrincipalOrgID": "o-abc123"},
                    "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci-*"},
                    "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-11111111/*"},
                },
            )
        )
    )
    assert entry.principal_kind == "any"
    # PrincipalArn with a wildcard account is broad, so it does not count
    assert entry.restricted_by == ("aws:PrincipalOrgID", "aws:PrincipalOrgPaths")


def test_if_exists_and_for_all_values_are_not_restrictions():
    entry = only(
        trust(
            assume(
                {"AWS": "*"},
                Condition={
                    "StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"},
                    "ForAllValues:StringEquals": {"aws:PrincipalAccount": "111122223333"},
                    "Null": {"aws:SourceArn": "false"},
                },
            )
        )
    )
    assert entry.restricted_by == ()


def github(condition=None):
    extra = {"Condition": condition} if condition else {}
    return only(trust(assume({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity", **extra)))


def test_github_oidc_with_sub():
    entry = github(
        {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:my-org/app:ref:refs/heads/main"},
        }
    )
    assert entry.sub_restricted and entry.aud_restricted
    assert entry.sub_patterns == ("repo:my-org/app:ref:refs/heads/main",)
    assert entry.restricted_by == ("token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud")


def test_github_oidc_without_sub():
    entry = github({"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}})
    assert not entry.sub_restricted and entry.aud_restricted
    assert entry.sub_patterns == ()
    bare = github()
    assert not bare.sub_restricted and not bare.aud_restricted and bare.restricted_by == ()


@pytest.mark.parametrize("pattern", ["*", "repo:*", "repo:*/*", "repo:*:*", "repo:*/app:*"])
def test_github_broad_sub_counts_as_unrestricted(pattern):
    entry = github({"StringLike": {"token.actions.githubusercontent.com:sub": pattern}})
    assert not entry.sub_restricted
    assert entry.sub_patterns == (pattern,)
    assert "token.actions.githubusercontent.com:sub" not in entry.restricted_by


def test_one_broad_value_voids_the_others():
    entry = github({"StringLike": {"token.actions.githubusercontent.com:sub": ["repo:my-org/app:*", "*"]}})
    assert not entry.sub_restricted


def test_org_wide_github_sub_is_restricted():
    assert github({"StringLike": {"token.actions.githubusercontent.com:sub": "repo:my-org/*"}}).sub_restricted


def test_eks_and_cognito_provider_keys():
    eks_host = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
    eks = only(
        trust(
            assume(
                {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{eks_host}"},
                "sts:AssumeRoleWithWebIdentity",
                Condition={"StringEquals": {f"{eks_host}:sub": "system:serviceaccount:default:app"}},
            )
        )
    )
    assert eks.provider_host == eks_host and eks.sub_restricted and not eks.aud_restricted
    cognito = only(
        trust(
            assume(
                {"Federated": "cognito-identity.amazonaws.com"},
                "sts:AssumeRoleWithWebIdentity",
                Condition={
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": "eu-west-1:1234-abcd"},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                },
            )
        )
    )
    assert cognito.aud_restricted
    assert "cognito-identity.amazonaws.com:amr" in cognito.restricted_by


def test_service_principal_confused_deputy():
    bare = only(trust(assume({"Service": "config.amazonaws.com"})))
    assert lacks_confused_deputy_protection(bare)
    scoped = only(
        trust(
            assume(
                {"Service": "config.amazonaws.com"}, Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}}
            )
        )
    )
    assert scoped.restricted_by == ("aws:SourceAccount",)
    assert not lacks_confused_deputy_protection(scoped)
    by_arn = only(
        trust(
            assume(
                {"Service": "sns.amazonaws.com"},
                Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:alerts-*"}},
            )
        )
    )
    assert by_arn.restricted_by == ("aws:SourceArn",) and not lacks_confused_deputy_protection(by_arn)
    wildcard = only(
        trust(assume({"Service": "config.amazonaws.com"}, Condition={"StringLike": {"aws:SourceAccount": "*"}}))
    )
    assert wildcard.restricted_by == () and lacks_confused_deputy_protection(wildcard)
    compute = only(trust(assume({"Service": "ec2.amazonaws.com"})))
    assert "ec2.amazonaws.com" in SERVICES_WITHOUT_SOURCE_CONTEXT
    assert not lacks_confused_deputy_protection(compute)
    assert not lacks_confused_deputy_protection(only(trust(assume({"AWS": "111122223333"}))))


def test_allow_with_not_principal_is_any():
    entry = only(trust({"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}))
    assert entry.principal_kind == "any"
    assert entry.principal == "NotPrincipal:111122223333"


@pytest.mark.parametrize(
    ("value", "key", "broad"),
    [
        ("*", None, True),
        ("*:*", None, True),
        ("repo:*", "token.actions.githubusercontent.com:sub", True),
        ("repo:*/infra:*", None, True),
        ("repo:org/*", None, False),
        ("repo:org/*:*", None, False),
        ("repo:org/app:ref:refs/heads/main", None, False),
        ("arn:aws:iam::*:role/x", "aws:PrincipalArn", True),
        ("arn:aws:sns:*:111122223333:*", "aws:SourceArn", False),
        ("arn:aws:s3:::*", "aws:SourceArn", True),
        ("arn:aws:s3:::my-bucket*", "aws:SourceArn", False),
        ("arn:aws:*", "aws:SourceArn", True),
        ("1111*", "aws:SourceAccount", True),
        ("o-*", "aws:PrincipalOrgID", True),
        ("o-abc123/*", "aws:PrincipalOrgPaths", False),
        ("*/r-1/*", "aws:PrincipalOrgPaths", True),
        ("*@example.com", None, False),
        ("exact-value", None, False),
        ("system:serviceaccount:*:*", None, True),
        ("system:serviceaccount:prod:*", None, False),
    ],
)
def test_is_broad_wildcard(value, key, broad):
    assert is_broad_wildcard(value, key) is broad


def test_classify_principal_wildcard_account_arn_is_any():
    assert classify_principal("AWS", "arn:aws:iam::*:root")[0] == "any"


# -- issue 11: what restricts a trust of any principal ---------------------------------------------


def test_external_id_alone_does_not_restrict_any_principal():
    """AWS: the external id is not a secret; anyone who learns it could assume a role trusting *."""
    entry = only(trust(assume({"AWS": "*"}, Condition={"StringEquals": {"sts:ExternalId": "x-123"}})))
    assert entry.restricted_by == ("sts:ExternalId",)
    assert not entry.identity_restricted


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("aws:PrincipalOrgID", "o-abc123"),
        ("aws:PrincipalAccount", "111122223333"),
        ("aws:PrincipalArn", "arn:aws:iam::111122223333:role/ci"),
        ("aws:PrincipalOrgPaths", "o-abc123/r-ab12/ou-ab12-11111111/*"),
        ("aws:SourceAccount", "111122223333"),
        ("aws:userid", "AROAEXAMPLEID:alice"),
        ("aws:username", "alice"),
    ],
)
def test_identity_keys_restrict_any_principal(key, value):
    entry = only(trust(assume({"AWS": "*"}, Condition={"StringLike": {key: value}})))
    assert entry.identity_restricted and entry.restricted_by == (key,)


@pytest.mark.parametrize("value", ["*:alice", "*"])
def test_wildcard_userid_does_not_restrict(value):
    assert not only(trust(assume({"AWS": "*"}, Condition={"StringLike": {"aws:userid": value}}))).identity_restricted


def test_conditions_are_anded_across_operators():
    """StringEquals o-abc AND StringLike * on the same key: only o-abc passes both."""
    entry = only(trust(assume({"AWS": "*"}, Condition={
        "StringEquals": {"aws:PrincipalOrgID": "o-abc123"},
        "StringLike": {"aws:PrincipalOrgID": "*"},
    })))
    assert entry.identity_restricted and entry.restricted_by == ("aws:PrincipalOrgID",)


def test_values_of_one_key_are_ored():
    entry = only(trust(assume({"AWS": "*"}, Condition={"StringLike": {"aws:PrincipalOrgID": ["o-abc123", "*"]}})))
    assert not entry.identity_restricted and entry.restricted_by == ()


def test_deny_unless_org_restricts_allow_any():
    doc = trust(assume({"AWS": "*"}), {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                                       "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}})
    entry = only(doc)
    assert entry.identity_restricted and entry.restricted_by == ("aws:PrincipalOrgID",)


@pytest.mark.parametrize(
    "deny",
    [
        # two conditions: denies only when both hold -> anyone outside the org with the tag passes
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"},
                       "StringEquals": {"aws:PrincipalTag/team": "x"}}},
        # a wildcard value denies nobody
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
         "Condition": {"StringNotLike": {"aws:PrincipalOrgID": "*"}}},
        # denies another action only
        {"Effect": "Deny", "Principal": "*", "Action": "sts:TagSession",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
        # a positive operator in a Deny removes some principals, it does not restrict to any
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
        # applies to one account only
        {"Effect": "Deny", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
    ],
)
def test_denies_that_do_not_restrict(deny):
    entry = only(trust(assume({"AWS": "*"}), deny))
    assert not entry.identity_restricted and entry.restricted_by == ()


@pytest.mark.parametrize(
    ("subject", "restricted"),
    [
        ("system:serviceaccount:*:*", False),
        ("system:serviceaccount:*:app", False),
        ("system:serviceaccount:prod:*", True),
        ("system:serviceaccount:prod:app", True),
    ],
)
def test_eks_wildcard_subjects(subject, restricted):
    host = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
    entry = only(trust(assume({"Federated": f"arn:aws:iam::111122223333:oidc-provider/{host}"},
                              "sts:AssumeRoleWithWebIdentity",
                              Condition={"StringLike": {f"{host}:sub": subject}})))
    assert entry.sub_restricted is restricted


def test_oidc_sub_anded_across_operators():
    entry = github({"StringLike": {"token.actions.githubusercontent.com:sub": "*"},
                    "StringEquals": {"token.actions.githubusercontent.com:sub": "repo:my-org/app:ref:refs/heads/main"}})
    assert entry.sub_restricted
