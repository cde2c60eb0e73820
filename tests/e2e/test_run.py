"""The runner against the stand-in, in-process and without notebooks (fast): failure isolation,
run.json/index contents, and diff against a run on a changed scenario."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from iamkit.aws.session import AwsTarget
from iamkit.collect import bundle as collect_bundle
from iamkit.demo.seed import scenario, seed
from iamkit.demo.standin import ROOTS
from iamkit.diff import diff_runs
from iamkit.errors import BadInputError, CollectionError, EvidenceError
from iamkit.runner import RunOptions, run
from iamkit.settings import load_settings

pytestmark = pytest.mark.slow


def opts(standin, out, **kw) -> RunOptions:
    return RunOptions(out=out, target=AwsTarget(endpoint_url=standin.url), settings=load_settings(),
                      source="demo", reports=False, workers=2, **kw)


def test_one_failing_account_never_stops_the_others(fresh_standin, tmp_path, monkeypatch):
    seed(fresh_standin.url)
    real_plan, real_session_for = collect_bundle.plan_accounts, collect_bundle.session_for

    def plan(session, **kw):
        broken = collect_bundle.AccountTarget("999999999999", "broken", via="role")
        return [*real_plan(session, accounts=kw.get("accounts")), broken]

    def session_for(session, target):
        if target.account_id == "999999999999":
            raise CollectionError("cannot assume role iamkit-audit in 999999999999: AccessDenied")
        return real_session_for(session, target)

    monkeypatch.setattr(collect_bundle, "plan_accounts", plan)
    monkeypatch.setattr(collect_bundle, "session_for", session_for)
    result = run(opts(fresh_standin, tmp_path / "run"))
    assert result.exit_code() == 3
    doc = json.loads((tmp_path / "run" / "run.json").read_text())
    status = {a["account_id"]: a for a in doc["accounts"]}
    assert status["999999999999"]["status"] == "failed" and status["999999999999"]["stage"] == "collect"
    assert "AccessDenied" in status["999999999999"]["error"]
    others = [a for a in doc["accounts"] if a["account_id"] != "999999999999"]
    assert others and all(a["status"] == "ok" for a in others)
    index = (tmp_path / "run" / "index.html").read_text()
    assert "999999999999" in index and "AccessDenied" in index
    log = (tmp_path / "run" / "accounts" / "999999999999" / "log.txt").read_text()
    assert "FAILED at collect" in log and "Traceback" in log
    events = [json.loads(line) for line in (tmp_path / "run" / "run.log.jsonl").read_text().splitlines()]
    assert {"run_start", "account_failed", "account_done", "run_done"} <= {e["event"] for e in events}


def test_diff_against_a_run_on_a_changed_scenario(fresh_standin, tmp_path):
    seed(fresh_standin.url)
    before = run(opts(fresh_standin, tmp_path / "before"))
    assert before.exit_code() == 0
    # the change: every root user gets an MFA device (the demo's management root had none)
    in_run = {a["account_id"] for a in before.accounts}
    fixed = [acct for acct, root in ROOTS.items() if root.mfa == "none" and acct in in_run]
    assert fixed, "the demo scenario should have a root user without MFA"
    for acct in fixed:
        ROOTS[acct].mfa = "virtual"
    after = run(opts(fresh_standin, tmp_path / "after", baseline=tmp_path / "before"))
    d = diff_runs(tmp_path / "before", tmp_path / "after")
    resolved = {(f.check_id, f.account_id) for f in d.resolved}
    assert {("iam.root.mfa_enabled", a) for a in fixed} <= resolved
    assert not d.new
    # --baseline puts the same diff into the run's index and diff.json
    assert json.loads((tmp_path / "after" / "diff.json").read_text())["summary"]["resolved"] == len(d.resolved)
    index = (tmp_path / "after" / "index.html").read_text()
    assert "Changes since the baseline run" in index and re.search(r"\d+ new, \d+ resolved", index)
    assert after.exit_code() == 0


def org_opts(standin, out, **kw) -> RunOptions:
    org = scenario()["organization"]
    target = AwsTarget(endpoint_url=standin.url, organization=True, role_name=org["member_role"],
                       regions=tuple(org["regions"]))
    return RunOptions(out=out, target=target, settings=load_settings(), source="demo", reports=False, **kw)


def keyset(run_dir) -> set[tuple]:
    return {(f["check_id"], f["account_id"], f["region"], f["resource_arn"], f["status"])
            for f in json.loads((run_dir / "findings.json").read_text())}


def test_killed_run_resumed_gives_the_same_findings(fresh_standin, tmp_path):
    """``iamkit run --org`` (findings only) killed after some accounts were collected, then
    ``--resume``d, gives the same findings as an uninterrupted run, and does not collect those accounts
    again. (The demo test covers resume of accounts whose reports are complete.)"""
    seed(fresh_standin.url)
    full = run(org_opts(fresh_standin, tmp_path / "full", workers=2))
    assert full.exit_code() == 0 and len(full.accounts) >= 2
    out = tmp_path / "resumed"
    org = scenario()["organization"]
    cmd = [sys.executable, "-m", "iamkit.cli", "--quiet", "run", "--endpoint-url", fresh_standin.url, "--org",
           "--role-name", org["member_role"], "--regions", ",".join(org["regions"]), "--out", str(out),
           "--workers", "1", "--no-reports"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    done: set[str] = set()
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if (out / "run.json").is_file():
                accts = json.loads((out / "run.json").read_text())["accounts"]
                done = {a["account_id"] for a in accts if a.get("collected_at")}
                if done and len(done) < len(accts):
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert done and len(done) < len(full.accounts), "the run finished before it could be interrupted"
    assert not (out / "findings.json").exists()
    first = {a: json.loads((out / "evidence" / a / "manifest.json").read_text())["collected_at"] for a in done}
    proc = subprocess.run([*cmd[:-3], "--workers", "2", "--no-reports", "--resume"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    accts = {a["account_id"]: a for a in json.loads((out / "run.json").read_text())["accounts"]}
    for a in done:  # not collected again
        assert accts[a].get("evidence_reused") is True
        assert json.loads((out / "evidence" / a / "manifest.json").read_text())["collected_at"] == first[a]
    assert keyset(out) == keyset(tmp_path / "full")


def _ou_ids(url: str) -> dict[str, str]:
    """OU path -> id on the seeded stand-in (moto generates the ids)."""
    from iamkit.demo.seed import client

    org = client(url, "organizations", "123456789012")
    out: dict[str, str] = {}

    def walk(parent: str, prefix: str) -> None:
        for ou in org.list_organizational_units_for_parent(ParentId=parent)["OrganizationalUnits"]:
            out[f"{prefix}{ou['Name']}"] = ou["Id"]
            walk(ou["Id"], f"{prefix}{ou['Name']}/")

    walk(org.list_roots()["Roots"][0]["Id"], "")
    return out


def test_ou_selection_by_id_and_by_path_on_the_demo_organization(fresh_standin, tmp_path):
    """parameters/example-organization.yaml selects "Workloads/Prod" and "Security"; docs/reports.md
    promises OU ids too. Both select exactly the accounts below those OUs, end to end."""
    seed(fresh_standin.url)
    ous = _ou_ids(fresh_standin.url)
    by_ou = {a.get("ou"): a["id"] for a in scenario()["accounts"]}
    for name, selectors in (("paths", ["Workloads/Prod", "/Security"]),
                            ("ids", [ous["Workloads/Prod"], ous["Security"]]),
                            ("mixed", ["Workloads/Prod", ous["Security"]])):
        settings = load_settings(organizational_units=selectors)
        result = run(RunOptions(**{**org_opts(fresh_standin, tmp_path / name).__dict__, "settings": settings}))
        assert result.exit_code() == 0, result.accounts
        got = {a["account_id"]: a["ou_path"] for a in result.accounts}
        assert got == {by_ou["Workloads/Prod"]: "/Workloads/Prod", by_ou["Security"]: "/Security"}, name
        assert {f.account_id for f in result.findings} == set(got)
    bad = load_settings(organizational_units=["ou-zzzz-nothere1"])
    with pytest.raises(BadInputError, match="neither an OU id nor an OU path"):
        run(RunOptions(**{**org_opts(fresh_standin, tmp_path / "bad").__dict__, "settings": bad}))


def test_failed_organization_collection_exits_3_and_the_index_says_so(fresh_standin, tmp_path, monkeypatch):
    seed(fresh_standin.url)

    def broken(*_a, **_k):
        raise CollectionError("cannot read the organization: DescribeOrganization: AccessDeniedException: no")

    monkeypatch.setattr(collect_bundle, "collect_organization", broken)
    result = run(org_opts(fresh_standin, tmp_path / "run", workers=2))
    assert result.organization_failed and result.exit_code() == 3
    assert not result.failed  # the accounts themselves were assessed
    doc = json.loads((tmp_path / "run" / "run.json").read_text())
    assert doc["organization"]["status"] == "failed" and "AccessDeniedException" in doc["organization"]["error"]
    index = (tmp_path / "run" / "index.html").read_text()
    assert "Organization evidence" in index and "failed" in index and "AccessDeniedException" in index


def test_resume_refuses_altered_evidence_unless_allowed(fresh_standin, tmp_path):
    seed(fresh_standin.url)
    out = tmp_path / "run"
    first = run(org_opts(fresh_standin, out, workers=2))
    assert first.exit_code() == 0
    victim = sorted(a["account_id"] for a in first.accounts)[0]
    with (out / "evidence" / victim / "iam" / "account_aliases.json").open("ab") as fh:
        fh.write(b" ")
    with pytest.raises(EvidenceError, match=f"{victim}: iam/account_aliases.json does not match"):
        run(org_opts(fresh_standin, out, workers=2, resume=True))
    allowed = RunOptions(**{**org_opts(fresh_standin, out, workers=2, resume=True).__dict__,
                            "settings": load_settings(allow_modified_evidence=True)})
    result = run(allowed)
    assert result.exit_code() == 0
    mine = [f for f in result.findings if f.account_id == victim]
    assert mine and all("EVIDENCE ALTERED" in f.detail for f in mine)
    assert not any("EVIDENCE ALTERED" in f.detail for f in result.findings if f.account_id != victim)
    rec = {a["account_id"]: a for a in json.loads((out / "run.json").read_text())["accounts"]}
    assert rec[victim]["evidence_altered"] == ["iam/account_aliases.json"]
