"""The organization model is built per call and passed explicitly: no process-wide cache, so two
organization bundles assessed in one process (even one rewritten in place with the same collection
time, which a cache keyed on path and time served stale) never share a model."""

from __future__ import annotations

from iamkit.checks import assess, assess_account, org_model
from iamkit.evidence import Bundle
from iamkit.model import AccountModel
from iamkit.settings import load_settings
from tests.checks.helpers import ACCT, cred_report, cred_row, write_bundle, write_org_bundle


def _second_org(dest):  # noqa: ANN001, ANN202
    """Another organization at the same place, same collection time: ACCT sits directly under its root."""
    files = {
        "organizations/organization.json": {"Organization": {"Id": "o-second", "MasterAccountId": "999988887777"}},
        "organizations/roots.json": {"Roots": [{"Id": "r-two", "Name": "Root", "PolicyTypes": [
            {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "organizations/ous.json": [],
        "organizations/accounts.json": {"Accounts": [{"Id": ACCT, "Name": "prod", "Status": "ACTIVE",
                                                      "ParentId": "r-two"}]},
        "organizations/policies.json": [],
        "organizations/targets.json": {},
    }
    return write_bundle(dest, files, account_id="999988887777", scope="organization",
                        extra={"organization_id": "o-second", "management_account_id": "999988887777"})


def _member(tmp_path):  # noqa: ANN001, ANN202
    return Bundle(write_bundle(tmp_path / "e" / ACCT, {
        "iam/credential_report.csv": cred_report(cred_row("<root_account>", pw_used=None))}))


def _membership(member, org):  # noqa: ANN001, ANN202
    return AccountModel(member, org=org).membership()


def test_two_organization_bundles_in_one_process_never_share_a_model(tmp_path):
    member = _member(tmp_path)
    path = write_org_bundle(tmp_path / "o")
    first = org_model(Bundle(path), [member])
    assert first.organization_id == "o-abc123"
    assert "o-abc123" in _membership(member, first)[1]
    assert first.account_chain(ACCT) == ["r-root", "ou-work", "ou-prod", ACCT]
    findings_first = assess_account(member, load_settings(), Bundle(path))

    _second_org(path)  # rewritten in place: same path, same collected_at
    second = org_model(Bundle(path), [member])
    assert second is not first
    assert second.organization_id == "o-second"
    assert "o-second" in _membership(member, second)[1]
    assert second.account_chain(ACCT) == ["r-two", ACCT]
    findings_second = assess_account(member, load_settings(), Bundle(path))
    text = " ".join(f.detail for f in findings_second)
    assert "deny-leave" not in text  # the first organization's SCP is not seen by the second
    assert [f.model_dump(exclude={"observed_at"}) for f in findings_first] != \
        [f.model_dump(exclude={"observed_at"}) for f in findings_second]
    assert [f.model_dump() for f in assess([member], load_settings(), Bundle(path))] == \
        [f.model_dump() for f in findings_second]


def test_a_model_is_enriched_only_by_the_accounts_it_is_given(tmp_path):
    member = _member(tmp_path)
    path = write_org_bundle(tmp_path / "o")
    assert set(org_model(Bundle(path), [member]).account_bundles) == {ACCT}
    assert org_model(Bundle(path)).account_bundles == {}
