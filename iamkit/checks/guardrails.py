"""SCP guardrails, evaluated (CIS AWS 7.0 2.1.2 "Ensure authorization guardrails for all AWS Organization
accounts"; the "SCP coverage" of the reports).

Evidence: the organization bundle (accounts, OU tree, SCPs with their content and targets, enabled policy
types) and the catalog ``guardrails.yaml`` beside this module: each guardrail with the representative requests
that prove it. Parameters: ``guardrail_allowed_regions`` (``[]``: the regions collected for the account) and
``guardrail_protected_roles``.

``org.scp.guardrail.<name>``, one finding per account (resource: the account's root ARN):

* For a member account, every request of the guardrail is built for that account (principal: an ordinary IAM
  role of the account, or its root user for ``deny_root_user``; request context with ``aws:PrincipalArn``,
  ``aws:PrincipalAccount``, ``aws:PrincipalOrgID``, ``aws:PrincipalType``, ``aws:RequestedRegion``) and decided
  against the account's SCP chain (root -> OU... -> account) as AWS evaluates SCPs: denied by an explicit Deny
  at any level, or by a level where no SCP allows the request (an allow-list SCP missing a level).
  PASS when every request is denied; the detail names, per request, the SCP, the level and the statement that
  decides. When a deciding Deny exempts principals through a negated condition on ``aws:PrincipalArn``
  (``StringNotEquals``/``StringNotLike``/``ArnNotEquals``/``ArnNotLike``, ``...IfExists``), each exempt ARN is
  evaluated again as the requester; those the chain then lets through are named as exempt principals (a PASS
  still: ordinary principals are denied). Other condition keys of deciding statements (tags ...) are listed.
  FAIL when some request is allowed (the guardrail is absent, or not enforced at some level), naming the
  chain's SCPs per level. ERROR when a decision depends on a condition operator the evaluator cannot decide,
  or an SCP is malformed.
* The management account: NOT_APPLICABLE (SCPs never apply to it; the detail says what protects it instead).
  A standalone account: NOT_APPLICABLE. SCPs not enabled: FAIL. Organization evidence missing: ERROR.
* Service-linked roles are not restricted by SCPs at all (AWS documents the exemption); no guardrail covers them.

``org.scp.guardrails_present`` (in :mod:`iamkit.checks.scp`) is the summary: PASS only when every catalogued
guardrail is enforced for the account (see :func:`summary`).

All decisions go through :func:`decide`, the one place that calls the policy evaluator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from iamkit.checks.registry import CheckContext, check, metadata
from iamkit.findings import Finding, Status
from iamkit.model import MissingEvidence
from iamkit.policy import PolicyError
from iamkit.policy.evaluate import Decision, Evaluation, evaluate_detailed

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NEGATED_ARN_OPERATORS = ("stringnotequals", "stringnotlike", "arnnotequals", "arnnotlike")
MANAGEMENT_NOTE = ("This is the management account: SCPs never restrict it, so no guardrail can be enforced "
                   "here. What protects it instead: few people who can sign in (root with hardware MFA, see "
                   "iam.root.*; admins with MFA), no workloads in it (CIS 2.1.3), and detection (an "
                   "organization trail, GuardDuty, alerts on root use) rather than prevention.")


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    region: str
    principal_arn: str
    context: dict[str, Any] = field(hash=False, compare=False, default_factory=dict)

    def label(self) -> str:
        return f"{self.action} on {self.resource} in {self.region}"


@dataclass(frozen=True)
class Guardrail:
    name: str
    principal: str  # ordinary | root
    requests: tuple[dict[str, str], ...]

    @property
    def title(self) -> str:
        """The title of the guardrail's check (said once, in ``guardrails.metadata.yaml``)."""
        return metadata()[f"org.scp.guardrail.{self.name}"].title


@dataclass
class Verdict:
    status: Status
    detail: str
    exempt: list[str] = field(default_factory=list)


@cache
def catalog_data() -> dict[str, Any]:
    return yaml.safe_load(resources.files("iamkit.checks").joinpath("guardrails.yaml").read_text())


@cache
def catalog() -> tuple[Guardrail, ...]:
    return tuple(Guardrail(g["name"], g.get("principal", "ordinary"), tuple(g["requests"]))
                 for g in catalog_data()["guardrails"])


# -- the one call into the evaluator ------------------------------------------------------------------------
def decide(levels: Sequence[Sequence[dict[str, Any]]], req: Request) -> Evaluation:
    """AWS's decision for ``req`` by a principal whose identity policies allow everything, under the SCP
    ``levels`` (root, OU..., account; SCP rows of the OrgModel or bare documents). Switch evaluators here."""
    docs = [[p["document"] if "document" in p else p for p in lv] for lv in levels]
    return evaluate_detailed([ALLOW_ALL], req.action, req.resource, scps=docs, context=req.context)


# -- requests -------------------------------------------------------------------------------------------------
def allowed_regions(ctx: CheckContext) -> list[str]:
    return list(ctx.settings.guardrail_allowed_regions) or list(ctx.account.regions) or ["us-east-1"]


def outside_region(allowed: Sequence[str]) -> str:
    return next(r for r in catalog_data()["outside_region_candidates"] if r not in allowed)


def principal_arn(kind: str, account_id: str) -> str:
    if kind == "root":
        return f"arn:aws:iam::{account_id}:root"
    return f"arn:aws:iam::{account_id}:role/{catalog_data()['probe_role']}"


def build_requests(g: Guardrail, account_id: str, org_id: str, allowed: Sequence[str],
                   protected_roles: Sequence[str], principal: str | None = None) -> list[Request]:
    """The guardrail's requests for one account, made by ``principal`` (default: the guardrail's own)."""
    who = principal or principal_arn(g.principal, account_id)
    out = []
    for spec in g.requests:
        region = outside_region(allowed) if spec.get("region") == "outside" else allowed[0]
        roles = protected_roles if "{role}" in spec["resource"] else [""]
        for role in roles:
            resource = spec["resource"].format(account=account_id, region=region, role=role)
            ctx = {"aws:PrincipalArn": who, "aws:PrincipalAccount": account_id, "aws:RequestedRegion": region,
                   "aws:PrincipalType": "Account" if who.endswith(":root") else "AssumedRole"}
            if org_id:
                ctx["aws:PrincipalOrgID"] = org_id
            out.append(Request(spec["action"], resource, region, who, ctx))
    return out


# -- explaining a decision --------------------------------------------------------------------------------
def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    sts = doc.get("Statement") or []
    return [sts] if isinstance(sts, dict) else [s for s in sts if isinstance(s, dict)]


def _name(p: dict[str, Any]) -> str:
    return str(p.get("name") or p.get("id"))


def _deciding_denies(levels, labels, req) -> list[tuple[str, dict[str, Any], int, dict[str, Any]]]:  # noqa: ANN001
    """(level label, SCP row, statement index, statement) of every Deny statement that denies ``req``."""
    hits = []
    for label, pols in zip(labels, levels, strict=True):
        for p in pols:
            for i, st in enumerate(_statements(p["document"] or {})):
                if st.get("Effect") != "Deny":
                    continue
                one = {"Version": "2012-10-17", "Statement": [st]}
                if decide([[one]], req).explicit_deny:
                    hits.append((label, p, i, st))
    return hits


def _stmt_ref(p: dict[str, Any], label: str, i: int, st: dict[str, Any]) -> str:
    sid = f"statement {st['Sid']!r}" if st.get("Sid") else f"statement #{i + 1}"
    return f"SCP {_name(p)} at {label} ({sid})"


def _condition_keys(st: dict[str, Any]) -> list[str]:
    return [f"{op} {key}" for op, block in (st.get("Condition") or {}).items() if isinstance(block, dict)
            for key in block]


def _exempt_patterns(st: dict[str, Any]) -> list[str]:
    out = []
    for op, block in (st.get("Condition") or {}).items():
        base = op.split(":")[-1].lower().removesuffix("ifexists")
        if base not in NEGATED_ARN_OPERATORS or not isinstance(block, dict):
            continue
        for key, values in block.items():
            if key.lower() == "aws:principalarn":
                out += [str(v) for v in (values if isinstance(values, list) else [values])]
    return out


def _concrete(pattern: str, account_id: str) -> str:
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[4] in ("*", ""):
        parts[4] = account_id
    return ":".join(parts).replace("*", "").replace("?", "x")


def _explain(levels, labels, req: Request, ev: Evaluation) -> tuple[str, list]:  # noqa: ANN001
    """One phrase on why ``req`` got ``ev``, and the deciding Deny hits."""
    if ev.decision is Decision.DENIED and ev.explicit_deny:
        hits = _deciding_denies(levels, labels, req)
        refs = [_stmt_ref(p, label, i, st) + (f" [conditions: {', '.join(_condition_keys(st))}]"
                                              if st.get("Condition") else "") for label, p, i, st in hits]
        return f"denied by {'; '.join(refs) or ev.reason}", hits
    if ev.decision is Decision.DENIED:
        gaps = [f"{label} ({', '.join(_name(p) for p in pols) or 'no SCP attached'})"
                for label, pols in zip(labels, levels, strict=True) if decide([pols], req).decision is Decision.DENIED]
        return f"denied: no SCP allows it at {'; '.join(gaps)}", []
    return ev.reason, []


# -- one guardrail for one account ------------------------------------------------------------------------
def _chain(ctx: CheckContext) -> tuple[list[list[dict[str, Any]]], list[str]]:
    org, account_id = ctx.org, ctx.account.account_id
    names = dict(zip(org.ous["id"], org.ous["path"], strict=True))
    labels = ["root" if t == org.root_id else "account" if t == account_id else f"OU {names.get(t, t)}"
              for t in org.account_chain(account_id)]
    return org.scp_chain(account_id), labels


def chain_text(levels, labels) -> str:  # noqa: ANN001
    return "; ".join(f"{label}: {', '.join(_name(p) for p in pols) or '(none)'}"
                     for label, pols in zip(labels, levels, strict=True))


def evaluate_guardrail(ctx: CheckContext, g: Guardrail, levels, labels) -> Verdict:  # noqa: ANN001
    acct, org = ctx.account, ctx.org
    allowed = allowed_regions(ctx)
    roles = ctx.settings.guardrail_protected_roles
    reqs = build_requests(g, acct.account_id, org.organization_id, allowed, roles)
    denied, allowed_reqs, unsure, hits = [], [], [], []
    for req in reqs:
        ev = decide(levels, req)
        why, found = _explain(levels, labels, req, ev)
        hits += found
        if ev.decision is Decision.DENIED:
            denied.append(f"{req.label()}: {why}")
        elif ev.decision is Decision.ALLOWED:
            allowed_reqs.append(req.label())
        else:
            unsure.append(f"{req.label()}: {why}")
    who = reqs[0].principal_arn if reqs else ""
    if allowed_reqs:
        more = f" Denied: {' | '.join(denied)}." if denied else ""
        return Verdict(Status.FAIL, f"Not enforced: {'; '.join(allowed_reqs)} by {who} "
                                    f"{'is' if len(allowed_reqs) == 1 else 'are'} allowed by the SCP chain "
                                    f"({chain_text(levels, labels)}).{more}")
    if unsure:
        return Verdict(Status.ERROR, f"Could not evaluate: the decision depends on a condition the evaluator cannot "
                                     f"decide ({' | '.join(unsure)}).")
    exempt = _exempt(g, acct.account_id, org.organization_id, allowed, roles, levels, hits)
    ex = (f" Exempt principals (allowed through a condition on aws:PrincipalArn): {', '.join(exempt)}."
          if exempt else "")
    return Verdict(Status.PASS, f"Enforced: every request by {who} is denied — {' | '.join(denied)}.{ex}", exempt)


def _exempt(g: Guardrail, account_id: str, org_id: str, allowed, roles, levels, hits) -> list[str]:  # noqa: ANN001
    out = []
    for pattern in dict.fromkeys(p for _, _, _, st in hits for p in _exempt_patterns(st)):
        reqs = build_requests(g, account_id, org_id, allowed, roles, principal=_concrete(pattern, account_id))
        if any(decide(levels, r).decision is not Decision.DENIED for r in reqs):
            out.append(pattern)
    return out


def _gate(ctx: CheckContext) -> Verdict | None:
    """A verdict that holds for every guardrail of this account (not a member, management, SCPs off), or None."""
    acct = ctx.account
    kind, why, _ = acct.membership()
    if kind == "standalone":
        return Verdict(Status.NOT_APPLICABLE, f"SCPs need AWS Organizations; {why}.")
    if ctx.org is None:
        raise MissingEvidence(acct.bundle, "evidence/organization (organization bundle)")
    org = ctx.org
    if acct.account_id == org.management_account_id:
        return Verdict(Status.NOT_APPLICABLE, MANAGEMENT_NOTE)
    if not org.policy_type_enabled("SERVICE_CONTROL_POLICY"):
        return Verdict(Status.FAIL, "SCPs are not enabled in the organization, so no guardrail applies to this "
                                    "account.")
    if not org.account_chain(acct.account_id):
        return Verdict(Status.ERROR, f"Could not evaluate: account {acct.account_id} is not in the organization's "
                                     "account list.")
    levels, labels = _chain(ctx)
    empty = [label for label, pols in zip(labels, levels, strict=True) if not pols]
    if empty:  # AWS refuses to detach the last SCP of a target: an empty level is missing evidence
        return Verdict(Status.ERROR, f"Could not evaluate: the organization evidence shows no SCP attached at "
                                     f"{', '.join(empty)}; AWS keeps at least one SCP on every root, OU and account, "
                                     "so the evidence is incomplete.")
    return None


def account_verdicts(ctx: CheckContext) -> dict[str, Verdict]:
    """Guardrail name -> verdict for the context's account (raises MissingEvidence without org evidence)."""
    gate = _gate(ctx)
    if gate is not None:
        return {g.name: gate for g in catalog()}
    levels, labels = _chain(ctx)
    out = {}
    for g in catalog():
        try:
            out[g.name] = evaluate_guardrail(ctx, g, levels, labels)
        except PolicyError as exc:
            out[g.name] = Verdict(Status.ERROR, f"Could not evaluate: an SCP in the chain is malformed ({exc}).")
    return out


def _evidence(ctx: CheckContext) -> list[dict[str, Any]]:
    if ctx.org is None:
        return []
    return [ctx.org.ref("targets.json"), ctx.org.ref("policies.json"), ctx.org.ref("ous.json")]


def _finding(ctx: CheckContext, v: Verdict) -> Finding:
    return ctx.finding(v.status, resource_arn=ctx.account.root_arn(), resource_type="AwsAccount",
                       evidence=_evidence(ctx), detail=v.detail)


def _register(g: Guardrail) -> None:
    def run(ctx: CheckContext) -> Iterator[Finding]:
        gate = _gate(ctx)
        if gate is not None:
            yield _finding(ctx, gate)
            return
        levels, labels = _chain(ctx)
        try:
            v = evaluate_guardrail(ctx, g, levels, labels)
        except PolicyError as exc:
            v = Verdict(Status.ERROR, f"Could not evaluate: an SCP in the chain is malformed ({exc}).")
        yield _finding(ctx, v)

    run.__name__ = f"guardrail_{g.name}"
    check(f"org.scp.guardrail.{g.name}")(run)


for _g in catalog():
    _register(_g)


def summary(ctx: CheckContext) -> Finding:
    """``org.scp.guardrails_present``: every catalogued guardrail enforced -> PASS; any not -> FAIL."""
    gate = _gate(ctx)
    if gate is not None:
        return _finding(ctx, gate)
    verdicts = account_verdicts(ctx)
    total = len(verdicts)
    by = {s: [n for n, v in verdicts.items() if v.status is s] for s in (Status.PASS, Status.FAIL, Status.ERROR)}
    levels, labels = _chain(ctx)
    text = (f"{len(by[Status.PASS])} of {total} catalogued guardrails are enforced by the SCP chain "
            f"({chain_text(levels, labels)})")
    parts = [f"not enforced: {', '.join(by[Status.FAIL])}" if by[Status.FAIL] else "",
             f"could not be evaluated: {', '.join(by[Status.ERROR])}" if by[Status.ERROR] else "",
             f"enforced: {', '.join(by[Status.PASS])}" if by[Status.PASS] else ""]
    detail = f"{text}; {'; '.join(p for p in parts if p)} (see the org.scp.guardrail.* findings)."
    status = Status.FAIL if by[Status.FAIL] else Status.ERROR if by[Status.ERROR] else Status.PASS
    return ctx.finding(status, resource_arn=ctx.account.root_arn(), resource_type="AwsAccount",
                       evidence=_evidence(ctx), detail=detail)
