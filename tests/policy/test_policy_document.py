import json
import urllib.parse

import pytest

from iamkit.errors import BadInputError
from iamkit.policy.document import PolicyDocument, PolicyError, Statement, parse_policies, parse_policy

SIMPLE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "S3Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bucket/*",
            "Condition": {"StringEquals": {"AWS:SourceAccount": "111122223333"}, "Bool": {"aws:SecureTransport": True}},
        }
    ],
}


def test_dict_json_and_url_encoded_parse_identically():
    text = json.dumps(SIMPLE)
    encoded = urllib.parse.quote(text)
    assert encoded.startswith("%7B")
    parsed = [parse_policy(SIMPLE), parse_policy(text), parse_policy(encoded), parse_policy(text.encode())]
    assert all(p == parsed[0] for p in parsed)
    st = parsed[0].statements[0]
    assert st.sid == "S3Read" and st.effect == "Allow"
    assert st.actions == ("s3:GetObject",)
    assert st.resources == ("arn:aws:s3:::bucket/*",)
    assert st.principals is None and st.not_principals is None


def test_url_encoded_with_plus_for_space():
    encoded = urllib.parse.quote_plus(json.dumps(SIMPLE))
    assert "+" in encoded
    assert parse_policy(encoded) == parse_policy(SIMPLE)


def test_single_values_become_tuples_and_lists_are_deduplicated():
    doc = parse_policy(
        {
            "Statement": {
                "Effect": "Deny",
                "Action": ["s3:GetObject", "s3:GetObject", "s3:PutObject"],
                "NotResource": "arn:aws:s3:::x",
            }
        }
    )
    st = doc.statements[0]
    assert isinstance(doc, PolicyDocument) and len(doc) == 1
    assert st.actions == ("s3:GetObject", "s3:PutObject")
    assert st.not_resources == ("arn:aws:s3:::x",)
    assert st.resources == ()
    assert doc.version is None


def test_conditions_keys_lower_cased_and_values_strings():
    st = parse_policy(SIMPLE).statements[0]
    assert st.conditions == {
        "StringEquals": {"aws:sourceaccount": ("111122223333",)},
        "Bool": {"aws:securetransport": ("true",)},
    }
    assert st.condition_keys() == {"aws:sourceaccount", "aws:securetransport"}


def test_duplicate_condition_keys_in_different_case_are_merged():
    st = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NumericLessThan": {"a:B": 1, "A:b": [2, 1]}},
            }
        }
    ).statements[0]
    assert st.conditions == {"NumericLessThan": {"a:b": ("1", "2")}}


def test_principals_normalised():
    doc = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
                {
                    "Effect": "Allow",
                    "Principal": {"aws": "arn:aws:iam::111122223333:root", "Service": ["ec2.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                },
                {"Effect": "Deny", "NotPrincipal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "*"},
            ]
        }
    )
    any_st, mixed, deny = doc.statements
    assert any_st.principals == {"AWS": ("*",)} and any_st.principal_is_any()
    assert mixed.principals == {"AWS": ("arn:aws:iam::111122223333:root",), "Service": ("ec2.amazonaws.com",)}
    assert not mixed.principal_is_any()
    assert deny.not_principals == {"Federated": ("cognito-identity.amazonaws.com",)}
    assert deny.principals is None


def test_statement_is_a_frozen_dataclass():
    st = parse_policy(SIMPLE).statements[0]
    assert isinstance(st, Statement)
    with pytest.raises(AttributeError):
        st.effect = "Deny"  # type: ignore[misc]


def test_parse_policies_accepts_one_or_many():
    assert len(parse_policies(SIMPLE)) == 1
    assert len(parse_policies([SIMPLE, json.dumps(SIMPLE)])) == 2
    assert parse_policies(None) == ()
    doc = parse_policy(SIMPLE)
    assert parse_policy(doc) is doc


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (42, "must be an object or JSON text"),
        ({"Version": "2012-10-17"}, "no Statement"),
        ({"Version": "2019-01-01", "Statement": []}, "unsupported policy Version"),
        ({"Statement": "x"}, "Statement must be an object or a list"),
        ({"Statement": ["x"]}, "statement 1: must be an object"),
        ({"Statement": [{"Effect": "Permit", "Action": "*"}]}, "Effect must be 'Allow' or 'Deny'"),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "neither Action nor NotAction"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}]}, "both Action and NotAction"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}]},
            "both Resource and NotResource",
        ),
        ({"Statement": [{"Effect": "Allow", "Action": "s3"}]}, "not of the form 'service:action'"),
        ({"Statement": [{"Effect": "Allow", "Action": ["s3:*", 5]}]}, "values must be strings"),
        ({"Statement": [{"Effect": "Allow", "Action": []}]}, "empty list"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Actions": "*"}]}, "unknown element 'Actions'"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": {"User": "x"}}]}, "unknown Principal kind"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "bob"}]}, "Principal must be '*'"),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Condition": ["x"]}]}, "Condition must be an object"),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": "x"}}]},
            "must map to an object of keys",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {"k": {"a": 1}}}}]},
            "Condition values must be strings",
        ),
    ],
)
def test_malformed_documents_raise_one_line_policy_error(document, fragment):
    with pytest.raises(PolicyError) as info:
        parse_policy(document)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, BadInputError)


def test_error_names_the_statement_and_sid():
    with pytest.raises(PolicyError, match=r"^statement 2 \(Sid 'Second'\): Effect"):
        parse_policy(
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Sid": "Second", "Effect": "Maybe", "Action": "*"},
                ]
            }
        )


def test_effect_case_is_tolerated_and_normalised():
    st = parse_policy({"Statement": {"Effect": "deny", "Action": "*", "Resource": "*"}}).statements[0]
    assert st.effect == "Deny" and not st.is_allow
