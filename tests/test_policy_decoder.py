"""One decoder of policy documents (:func:`iamkit.policy.document.decode_policy`), used by the policy
parser and by the model's tables alike: the tricky forms decode the same way on both paths."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from iamkit.evidence import Bundle
from iamkit.model import AccountModel
from iamkit.policy import PolicyError, parse_policy
from iamkit.policy.document import decode_policy, policy_dict
from tests.checks.helpers import write_bundle

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                               "Resource": "arn:aws:s3:::bucket/50% off/*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


@pytest.mark.parametrize("form", [
    DOC,  # already decoded (CLI, boto3)
    json.dumps(DOC),  # JSON text with a '%' that is not an escape
    "  " + json.dumps(DOC),  # leading whitespace
    urllib.parse.quote(json.dumps(DOC)),  # the raw IAM query API: RFC 3986 (the '%' becomes %25)
    urllib.parse.quote_plus(json.dumps(DOC)),  # form-encoded: '+' for space
    json.dumps(DOC).encode(),  # bytes
], ids=["dict", "json", "json-leading-space", "url-encoded", "form-encoded", "bytes"])
def test_every_form_decodes_to_the_same_document(form):
    assert decode_policy(form) == DOC
    assert policy_dict(form) == DOC
    assert parse_policy(form) == parse_policy(DOC)
    assert parse_policy(form).statements[0].resources == ("arn:aws:s3:::bucket/50% off/*",)


@pytest.mark.parametrize("bad", ['{"Statement": [', urllib.parse.quote('{"Statement": ['), "%zz not json"])
def test_invalid_json_is_a_policy_error(bad):
    with pytest.raises(PolicyError, match="policy document is not valid JSON"):
        decode_policy(bad)
    with pytest.raises(PolicyError, match="policy document is not valid JSON"):
        policy_dict(bad)


def test_absent_or_non_object_documents_are_empty_for_the_model():
    assert policy_dict(None) == {} and policy_dict("") == {} and policy_dict("  ") == {}
    assert policy_dict("[1, 2]") == {}
    with pytest.raises(PolicyError, match="must be a JSON object"):
        parse_policy("[1, 2]")


def test_the_model_tables_use_the_same_decoder(tmp_path):
    gaad = {
        "UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u",
                            "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": json.dumps(DOC)}]}],
        "GroupDetailList": [], "RoleDetailList": [{
            "RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r",
            "AssumeRolePolicyDocument": urllib.parse.quote(json.dumps(TRUST)),
            "RolePolicyList": [{"PolicyName": "plus", "PolicyDocument": urllib.parse.quote_plus(json.dumps(DOC))}]}],
        "Policies": [{"Arn": "arn:aws:iam::111122223333:policy/p", "PolicyName": "p", "PolicyVersionList": [
            {"IsDefaultVersion": True, "Document": urllib.parse.quote(json.dumps(DOC))}]}],
    }
    acct = AccountModel(Bundle(write_bundle(tmp_path / "a", {"iam/authorization_details.json": gaad})))
    assert acct.roles.loc[0, "trust_policy"] == TRUST
    assert list(acct.inline_policies["document"]) == [DOC, DOC]
    assert acct.policies.loc[0, "document"] == DOC
