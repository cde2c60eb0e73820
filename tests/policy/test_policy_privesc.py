import json
import re
from importlib import resources

from iamkit.policy import actions
from iamkit.policy.evaluate import effective_actions
from iamkit.policy.privesc import CATEGORIES, escalation_paths, escalation_paths_for


def ids(paths):
    return [p.id for p in paths]


def test_catalog_shape():
    paths = escalation_paths()
    assert len(paths) == 65
    assert len({p.id for p in paths}) == 65
    assert {p.category for p in paths} == set(CATEGORIES)
    for p in paths:
        assert p.required_actions and p.description
        assert all(actions.canonical(a) == a for a in p.required_actions), p.id
        assert set(p.services) == {a.split(":")[0] for a in p.required_actions}
        assert p.parent is None or p.parent in {q.id for q in paths}
    assert escalation_paths()[0] is paths[0]  # cached


def test_create_policy_version_matches_its_path():
    assert ids(escalation_paths_for({"iam:CreatePolicyVersion"})) == ["iam-001"]
    found = ids(escalation_paths_for({"iam:CreatePolicyVersion", "sts:AssumeRole"}))
    assert found == ["iam-001", "iam-016", "sts-001"]
    path = escalation_paths_for(["IAM:createpolicyversion"])[0]
    assert path.category == "self-escalation" and path.name == "iam:CreatePolicyVersion"


def test_every_required_action_is_needed():
    assert escalation_paths_for({"iam:PassRole"}) == []
    assert ids(escalation_paths_for({"iam:PassRole", "ec2:RunInstances"})) == ["ec2-001"]
    assert escalation_paths_for(set()) == []


def test_wildcards_in_the_allowed_set():
    assert len(escalation_paths_for({"*"})) == 65
    iam_only = ids(escalation_paths_for({"iam:*"}))
    assert "iam-001" in iam_only and "iam-014" not in iam_only  # iam-014 also needs sts:AssumeRole
    assert all(i.startswith("iam-") for i in iam_only)
    assert "lambda-003" in ids(escalation_paths_for({"lambda:Update*"}))


def test_with_effective_actions():
    policy = {"Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:*"], "Resource": "*"}]}
    found = ids(escalation_paths_for(effective_actions(policy)))
    assert {"lambda-001", "lambda-002", "lambda-003", "lambda-006"} <= set(found)
    assert not any(i.startswith("iam-") for i in found)


def test_license_and_notice_ship_with_the_catalog():
    data = resources.files("iamkit.policy").joinpath("data")
    assert "Apache License" in data.joinpath("pathfinding.LICENSE").read_text("utf-8")
    assert "Datadog" in data.joinpath("pathfinding.NOTICE").read_text("utf-8")
    meta = json.loads(data.joinpath("escalation_paths.json").read_text("utf-8"))
    assert "Apache-2.0" in meta["source"] and "own" in meta["changes"]


def _words(text):
    return re.findall(r"[a-z0-9:]+", text.lower())


def test_catalog_matches_source_facts_and_descriptions_are_our_own(shared_data):
    source = json.loads((shared_data / "pathfinding.cloud" / "paths.json").read_text("utf-8"))
    by_id = {p["id"]: p for p in source}
    assert set(by_id) == {p.id for p in escalation_paths()}
    for path in escalation_paths():
        src = by_id[path.id]
        assert path.category == src["category"]
        assert list(path.required_actions) == [r["permission"] for r in src["permissions"]["required"]]
        assert path.parent == (src.get("parent") or {}).get("id")
        # no run of 6 consecutive words copied from their prose
        theirs = _words(src["description"])
        runs = {tuple(theirs[i : i + 6]) for i in range(len(theirs) - 5)}
        ours = _words(path.description)
        assert not any(tuple(ours[i : i + 6]) in runs for i in range(len(ours) - 5)), path.id
