"""The policies AWS evaluates for a principal, taken from evidence bundles, as a request object.

``request_from_evidence`` gathers, for ``iamkit simulate --evidence`` (and the analyses built on the
evaluator): a user's inline policies, attached managed policies (default version) and those of each of its
groups, and its permissions boundary; a role's inline and attached policies and boundary; for an assumed-role
session, its role's; the SCP chain of the principal's account and the RCP chain of the resource's account
from the organization bundle (root first; a policy type that is not enabled gives no chain); for
``sts:AssumeRole*`` on a role of a bundle, that role's trust policy as the resource policy. The context gets
``aws:PrincipalTag/...`` from the principal's tags, ``aws:userid``, the organization keys and the bundle's
collection time as ``aws:CurrentTime``. Files are read through :class:`~iamkit.evidence.Bundle`, which
verifies each against its sha256 in the manifest.
"""

from __future__ import annotations

from typing import Any

from iamkit.errors import BadInputError, EvidenceError
from iamkit.evidence import AUTHORIZATION_DETAILS, ORG_OUS, Bundle
from iamkit.model import OrgModel
from iamkit.reads import fact

__all__ = ["EvidenceIndex", "request_from_evidence"]


class _Account:
    """One account bundle's authorization details, indexed by ARN and name."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        data = bundle.json(AUTHORIZATION_DETAILS)
        if not isinstance(data, dict):
            raise EvidenceError(f"{bundle.path}: {AUTHORIZATION_DETAILS} is not an object")
        self.users = {u["Arn"]: u for u in data.get("UserDetailList") or []}
        self.roles = {r["Arn"]: r for r in data.get("RoleDetailList") or []}
        self.roles_by_name = {r["RoleName"]: r for r in data.get("RoleDetailList") or []}
        self.groups = {g["GroupName"]: g for g in data.get("GroupDetailList") or []}
        self.policies = {p["Arn"]: p for p in data.get("Policies") or []}

    def managed(self, arn: str, owner: str) -> dict[str, Any]:
        policy = self.policies.get(arn)
        if policy is None:
            raise EvidenceError(f"{self.bundle.path}: managed policy {arn} attached to {owner} is not in "
                                f"{AUTHORIZATION_DETAILS}; the decision cannot be made without it")
        versions = policy.get("PolicyVersionList") or []
        default = next((v for v in versions if v.get("IsDefaultVersion")), None)
        if default is None:
            raise EvidenceError(f"{self.bundle.path}: managed policy {arn} has no default version in the evidence")
        return {"name": policy.get("PolicyName") or arn, "document": default["Document"]}

    def identity_of(self, entity: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        name = entity.get(f"{kind}Name")
        docs = [{"name": f"{p['PolicyName']} (inline)", "document": p["PolicyDocument"]}
                for p in entity.get(f"{kind}PolicyList") or []]
        docs += [self.managed(a["PolicyArn"], f"{kind.lower()} {name}") for a in entity.get("AttachedManagedPolicies")
                 or []]
        for group_name in entity.get("GroupList") or []:
            group = self.groups.get(group_name)
            if group is None:
                raise EvidenceError(f"{self.bundle.path}: group {group_name} of user {name} is not in the evidence")
            docs += [{"name": f"{p['PolicyName']} (inline, group {group_name})", "document": p["PolicyDocument"]}
                     for p in group.get("GroupPolicyList") or []]
            docs += [{**self.managed(a["PolicyArn"], f"group {group_name}"),
                      "name": f"{a.get('PolicyName') or a['PolicyArn']} (group {group_name})"}
                     for a in group.get("AttachedManagedPolicies") or []]
        return docs


class EvidenceIndex:
    """Account bundles by account id, plus the organization bundle (if any; or its model, to share what the
    model already read)."""

    def __init__(self, bundles: list[Bundle], org: Bundle | OrgModel | None) -> None:
        self.bundles = {b.account_id: b for b in bundles}
        self.org = org if isinstance(org, OrgModel) or org is None else OrgModel(org)
        self._accounts: dict[str, _Account] = {}

    def without_org(self) -> EvidenceIndex:
        """The same account bundles (their parsed GAAD shared) without the organization: no SCP/RCP chains."""
        out = EvidenceIndex(list(self.bundles.values()), None)
        out._accounts = self._accounts
        return out

    def account(self, account_id: str | None) -> _Account | None:
        if account_id is None or account_id not in self.bundles:
            return None
        if account_id not in self._accounts:
            self._accounts[account_id] = _Account(self.bundles[account_id])
        return self._accounts[account_id]

    @fact
    def _ou_names(self) -> dict[str, str]:
        assert self.org is not None
        if not self.org.bundle.has(ORG_OUS):
            return {}
        return dict(zip(self.org.ous["id"], self.org.ous["name"], strict=True))

    def _member(self, account_id: str | None) -> bool:
        return (self.org is not None and account_id is not None
                and account_id in set(self.org.accounts["id"]))

    def chain(self, account_id: str | None, policy_type: str) -> list[dict[str, Any]] | None:
        """The levels of ``policy_type`` for an account (None: not in the organization / type not enabled)."""
        if not self._member(account_id) or not self.org.policy_type_enabled(policy_type):  # type: ignore[union-attr]
            return None
        assert self.org is not None and account_id is not None
        levels = []
        for target, policies in zip(self.org.account_chain(account_id), self.org.scp_chain(account_id, policy_type),
                                    strict=True):
            name = (f"root {target}" if target.startswith("r-") else f"OU {self._ou_names.get(target, target)}"
                    if target.startswith("ou-") else f"account {target}")
            levels.append({"name": name, "policies": [{"name": p["name"] or p["id"], "document": p["document"]}
                                                      for p in policies]})
        return levels

    def org_keys(self, account_id: str | None, prefix: str) -> dict[str, Any]:
        if not self._member(account_id) or self.org is None or not self.org.organization_id:
            return {}
        path = "/".join([self.org.organization_id, *self.org.account_chain(account_id)[:-1]]) + "/"
        return {f"aws:{prefix}OrgID": self.org.organization_id, f"aws:{prefix}OrgPaths": [path]}


def _principal_entity(index: EvidenceIndex, principal: str) -> tuple[str, dict[str, Any] | None, Any]:
    """(kind, IAM entity or None, account) for the principal ARN."""
    parts = principal.split(":", 5)
    account_id = parts[4] if len(parts) == 6 and parts[0] == "arn" else None
    acct = index.account(account_id)
    if account_id is None:
        return "other", None, None
    if acct is None:
        raise BadInputError(f"--principal: no evidence bundle of account {account_id} was given")
    resource = parts[5]
    if parts[2] == "iam" and resource.startswith("user/"):
        if principal not in acct.users:
            raise BadInputError(f"--principal: {principal} is not in the evidence of account {account_id}")
        return "User", acct.users[principal], acct
    if parts[2] == "iam" and resource.startswith("role/"):
        if principal not in acct.roles:
            raise BadInputError(f"--principal: {principal} is not in the evidence of account {account_id}")
        return "Role", acct.roles[principal], acct
    if parts[2] == "sts" and resource.startswith("assumed-role/") and resource.count("/") == 2:
        role = acct.roles_by_name.get(resource.split("/")[1])
        if role is None:
            raise BadInputError(f"--principal: the role of {principal} is not in the evidence of account {account_id}")
        return "Session", role, acct
    return "other", None, acct


def request_from_evidence(index: EvidenceIndex, principal: str, action: str, resource: str,
                          context: dict[str, Any], resource_account: str | None = None) -> dict[str, Any]:
    """A request object (see :mod:`iamkit.policy.intake`) for ``principal`` from the evidence."""
    kind, entity, acct = _principal_entity(index, principal)
    parts = resource.split(":", 5)
    res_account = resource_account or (parts[4] if len(parts) == 6 and parts[4] else None)
    if res_account is None and acct is not None:
        res_account = acct.bundle.account_id
    req: dict[str, Any] = {"principal": principal, "action": action, "resource": resource}
    if res_account:
        req["resource_account"] = res_account
    ctx: dict[str, Any] = {}
    if entity is not None and acct is not None:
        entity_kind = "User" if kind == "User" else "Role"
        req["identity_policies"] = acct.identity_of(entity, entity_kind)
        boundary = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary:
            owner = f"{entity_kind.lower()} {entity[entity_kind + 'Name']}"
            req["permissions_boundary"] = acct.managed(boundary, owner)
        ctx.update({f"aws:PrincipalTag/{t['Key']}": t["Value"] for t in entity.get("Tags") or []})
        uid = entity.get(f"{entity_kind}Id")
        if uid:
            ctx["aws:userid"] = uid if kind != "Session" else f"{uid}:{principal.rsplit('/', 1)[-1]}"
        if kind == "Session":
            ctx["aws:PrincipalArn"] = entity["Arn"]
    principal_account = acct.bundle.account_id if acct is not None else None
    if acct is not None:
        ctx["aws:CurrentTime"] = acct.bundle.collected_at.isoformat().replace("+00:00", "Z")
        ctx["aws:EpochTime"] = str(int(acct.bundle.collected_at.timestamp()))
        scps = index.chain(principal_account, "SERVICE_CONTROL_POLICY")
        if scps is not None:
            req["scps"] = scps
        ctx.update(index.org_keys(principal_account, "Principal"))
    rcps = index.chain(res_account, "RESOURCE_CONTROL_POLICY")
    if rcps is not None:
        req["rcps"] = rcps
    ctx.update(index.org_keys(res_account, "Resource"))
    if index.org is not None and index.org.management_account_id:
        req["management_account"] = index.org.management_account_id
    if action.strip().lower().startswith("sts:assumerole"):
        target = index.account(res_account)
        role = target.roles.get(resource) if target is not None else None
        if role is not None:
            req["resource_policy"] = {"name": f"trust policy of {role['RoleName']}",
                                      "document": role["AssumeRolePolicyDocument"]}
    ctx.update(context)
    req["context"] = ctx
    return req
