"""Seed the stand-in with the demo scenario (``scenario.yaml``).

Seeding is the one place that writes: it uses plain boto3 clients against the stand-in (not the
guarded collection sessions) for what the AWS API can create, and adjusts moto's in-process
backend objects for what only time can make (creation and last-used dates) or what moto does not
model (see :mod:`iamkit.demo.standin` and :mod:`iamkit.demo.extras`).

Member accounts get the scenario's FIXED ids: moto's Organizations draws new account ids from
``moto.organizations.utils.make_random_account_id``; while the demo accounts are created that
function is replaced by one that hands out the scenario's ids in order. Resources inside a member
account are created through the same endpoint with moto's ``x-moto-account-id`` request header.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import boto3
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AccessKeyLastUsed, AWSManagedPolicy, iam_backends
from moto.organizations import utils as org_utils

from iamkit.demo.extras import STATE
from iamkit.demo.standin import ROOTS, RootState

DEMO_CREDENTIALS = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo"}
_ids_lock = threading.Lock()


@cache
def scenario() -> dict[str, Any]:
    return yaml.safe_load(resources.files("iamkit.demo").joinpath("scenario.yaml").read_text())


def _ago(now: datetime, days: float | None) -> datetime | None:
    return None if days is None else now - timedelta(days=days)


def client(url: str, service: str, account: str | None = None, region: str = "us-east-1") -> Any:
    """A plain (unguarded) boto3 client on the stand-in, acting in ``account`` when given."""
    c = boto3.client(service, endpoint_url=url, region_name=region, **DEMO_CREDENTIALS)
    if account:
        def _header(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account
        c.meta.events.register("before-send", _header)
    return c


@contextmanager
def fixed_account_ids(ids: list[str]) -> Iterator[None]:
    """moto's Organizations creates accounts with these ids, in order."""
    pending = iter(ids)
    with _ids_lock:
        original = org_utils.make_random_account_id
        org_utils.make_random_account_id = lambda: next(pending)
        try:
            yield
        finally:
            org_utils.make_random_account_id = original


def seed(url: str, now: datetime | None = None, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create the scenario (``data``, default: the demo's) on the stand-in at ``url``; returns it."""
    now = now or datetime.now(UTC)
    data = data or scenario()
    org_id = _seed_organization(url, data)
    for acct in data["accounts"]:
        _seed_account(url, acct, now, org_id, data["organization"])
    if data["organization"].get("identity_center"):
        from iamkit.demo.seed_sso import seed_identity_center

        seed_identity_center(url, data["organization"]["management_account"], data["organization"]["identity_center"])
    return data


# -- organization ----------------------------------------------------------------------------------
def _seed_organization(url: str, data: dict[str, Any]) -> str:
    spec = data["organization"]
    mgmt = spec["management_account"]
    org = client(url, "organizations", mgmt)
    org_id = org.create_organization(FeatureSet=spec.get("feature_set", "ALL"))["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]
    enabled = {t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"}
    for ptype in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        if ptype not in enabled:
            org.enable_policy_type(RootId=root["Id"], PolicyType=ptype)
    ous: dict[str, str] = {}
    for ou in spec["ous"]:
        parent = ous[ou["parent"]] if ou.get("parent") else root["Id"]
        path = f"{ou['parent']}/{ou['name']}" if ou.get("parent") else ou["name"]
        ous[path] = org.create_organizational_unit(ParentId=parent, Name=ou["name"])["OrganizationalUnit"]["Id"]
    members = [a for a in data["accounts"] if a["id"] != mgmt]
    with fixed_account_ids([a["id"] for a in members]):
        for acct in members:
            status = org.create_account(AccountName=acct["name"], Email=acct["email"])["CreateAccountStatus"]
            if status.get("AccountId") not in (None, acct["id"]):
                raise RuntimeError(f"moto created {status.get('AccountId')} instead of {acct['id']}")
    for acct in data["accounts"]:
        if acct.get("ou"):
            org.move_account(AccountId=acct["id"], SourceParentId=root["Id"], DestinationParentId=ous[acct["ou"]])
    targets = {**ous, **{name.split("/")[-1]: i for name, i in ous.items()}}
    for pol in spec.get("policies", []):
        pid = org.create_policy(Name=pol["name"], Description=pol.get("description", pol["name"]),
                                Type=pol["type"], Content=json.dumps(pol["document"]))["Policy"]["PolicySummary"]["Id"]
        for t in pol.get("targets", []):
            org.attach_policy(PolicyId=pid, TargetId=targets.get(t, t))
    for d in spec.get("delegated_administrators", []):
        org.register_delegated_administrator(AccountId=d["account"], ServicePrincipal=d["service"])
    STATE.organization = {"id": org_id, "management": mgmt, "members": [a["id"] for a in members],
                          "features": list(spec.get("features", []))}
    for acct in data["accounts"]:
        STATE.account(acct["id"]).regions = list(spec.get("regions") or []) or None
    return org_id


# -- one account -------------------------------------------------------------------------------------
def _policy_arn(account_id: str, ref: str) -> str:
    if ref.startswith("aws:"):
        return f"arn:aws:iam::aws:policy/{ref[4:]}"
    return f"arn:aws:iam::{account_id}:policy/{ref}"


def load_aws_managed(account_id: str, names: set[str]) -> None:
    """Make the AWS managed policies the scenario attaches exist in the account (moto loads none by
    default; loading all of them would make every account carry ~1,300 policies)."""
    backend = iam_backends[account_id]["global"]
    data = json.loads(aws_managed_policies_data)
    for name in sorted(n.rsplit("/", 1)[-1] for n in names):  # "job-function/ViewOnlyAccess": its path
        pol = AWSManagedPolicy.from_data(name, account_id, "us-east-1", data[name])
        if pol.arn not in backend.managed_policies:
            backend.aws_managed_policies.append(pol)
            backend.managed_policies[pol.arn] = pol


def _refs(acct: dict[str, Any]) -> set[str]:
    refs = set()
    for kind in ("users", "groups", "roles"):
        for p in acct.get(kind, []):
            refs.update(r[4:] for r in p.get("attached", []) if r.startswith("aws:"))
    return refs


def _doc(obj: Any, org_id: str) -> str:
    return json.dumps(obj).replace("${organization_id}", org_id)


def _seed_account(url: str, acct: dict[str, Any], now: datetime, org_id: str, org_spec: dict[str, Any]) -> None:
    account_id = acct["id"]
    iam = client(url, "iam", account_id)
    if acct.get("alias"):
        iam.create_account_alias(AccountAlias=acct["alias"])
    backend = iam_backends[account_id]["global"]
    load_aws_managed(account_id, _refs(acct))
    if acct.get("password_policy"):
        iam.update_account_password_policy(**acct["password_policy"])
    for pol in acct.get("policies", []):
        iam.create_policy(PolicyName=pol["name"], PolicyDocument=_doc(pol["document"], org_id))
    for group in acct.get("groups", []):
        iam.create_group(GroupName=group["name"])
        for ref in group.get("attached", []):
            iam.attach_group_policy(GroupName=group["name"], PolicyArn=_policy_arn(account_id, ref))
    for role in acct.get("roles", []):
        if role.get("member_role") and role["name"] in {r.name for r in backend.roles.values()}:
            # Organizations created it with the account (as AWS does); set the scenario's trust
            iam.update_assume_role_policy(RoleName=role["name"], PolicyDocument=_doc(role["trust"], org_id))
        else:
            iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=_doc(role["trust"], org_id),
                        Tags=[{"Key": k, "Value": str(v)} for k, v in (role.get("tags") or {}).items()])
        for ref in role.get("attached", []):
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=_policy_arn(account_id, ref))
        for pname, doc in (role.get("inline") or {}).items():
            iam.put_role_policy(RoleName=role["name"], PolicyName=pname, PolicyDocument=_doc(doc, org_id))
        _backdate_role(backend, role, now)
    providers = acct.get("providers") or {}
    for saml in providers.get("saml", []):
        iam.create_saml_provider(Name=saml["name"], SAMLMetadataDocument=_saml_metadata(saml["name"]))
    for oidc in providers.get("oidc", []):
        iam.create_open_id_connect_provider(Url=oidc["url"], ClientIDList=oidc.get("client_ids", []),
                                            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])
    for cert in acct.get("server_certificates", []):
        body, key, expires = _certificate(cert["name"], now, cert["expires_in_days"])
        iam.upload_server_certificate(ServerCertificateName=cert["name"], CertificateBody=body, PrivateKey=key)
        next(c for c in backend.certificates.values() if c.cert_name == cert["name"]).iamkit_expiration = expires
    for user in acct.get("users", []):
        _seed_user(iam, backend, user, now)
    _seed_root(account_id, acct.get("root", {}), now)
    _seed_access_analyzer(account_id, acct.get("access_analyzer") or {}, now)


def _backdate_role(backend: Any, role: dict[str, Any], now: datetime) -> None:
    """Creation and last-use dates (GAAD ``CreateDate``, ``RoleLastUsed``) only time can make."""
    r = backend.get_role(role["name"])
    if role.get("created_days") is not None:
        r.create_date = _ago(now, role["created_days"])
    if role.get("last_used_days") is not None:
        r.last_used = _ago(now, role["last_used_days"])
        r.last_used_region = "us-east-1"


def _seed_user(iam: Any, backend: Any, user: dict[str, Any], now: datetime) -> None:
    name = user["name"]
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": str(v)} for k, v in (user.get("tags") or {}).items()])
    if user.get("console"):
        iam.create_login_profile(UserName=name, Password="Demo-Passw0rd-not-a-secret!")
    if user.get("mfa") == "virtual":
        dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        iam.enable_mfa_device(UserName=name, SerialNumber=dev["SerialNumber"],
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    elif user.get("mfa") == "hardware":
        iam.enable_mfa_device(UserName=name, SerialNumber=f"GAHT{abs(hash(name)) % 10**8:08d}",
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    for group in user.get("groups", []):
        iam.add_user_to_group(GroupName=group, UserName=name)
    for ref in user.get("attached", []):
        iam.attach_user_policy(UserName=name, PolicyArn=_policy_arn(backend.account_id, ref))
    for _ in user.get("access_keys", []):
        iam.create_access_key(UserName=name)
    u = backend.users[name]
    if user.get("permissions_boundary"):  # moto has no user boundaries: set what GAAD then serialises
        boundary = _policy_arn(backend.account_id, user["permissions_boundary"])
        u.permissions_boundary = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                  "PermissionsBoundaryArn": boundary}
    # backdate what only time can make
    u.create_date = _ago(now, user.get("created_days", 0))
    if user.get("console"):
        u.password_last_used = _ago(now, user.get("password_last_used_days"))
    for key_obj, spec in zip(u.access_keys, user.get("access_keys", []), strict=True):
        key_obj.create_date = _ago(now, spec["created_days"])
        key_obj.status = "Active" if spec.get("active", True) else "Inactive"
        if spec.get("last_used_days") is not None:
            key_obj.last_used = AccessKeyLastUsed(_ago(now, spec["last_used_days"]), "iam", "us-east-1")


def _seed_root(account_id: str, root: dict[str, Any], now: datetime) -> None:
    managed = bool(root.get("centrally_managed"))
    created = _ago(now, root.get("created_days", 1000))
    ROOTS[account_id] = RootState(
        created=created or now,
        mfa="none" if managed else root.get("mfa", "none"),
        mfa_enabled=created,
        password_last_used=None if managed else _ago(now, root.get("password_last_used_days")),
        has_password=not managed and root.get("password", True),
        access_keys=[] if managed else [
            {"active": k.get("active", True), "created": _ago(now, k["created_days"]),
             "last_used": _ago(now, k.get("last_used_days"))} for k in root.get("access_keys", [])],
    )
    extras = STATE.account(account_id)
    for ev in root.get("events", []):
        when = _ago(now, ev["days"])
        assert when is not None
        detail = {
            "eventVersion": "1.10", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": ev["event_source"], "eventName": ev["event_name"], "awsRegion": ev["region"],
            "sourceIPAddress": ev["source_ip"], "userAgent": ev["user_agent"],
            "userIdentity": {"type": "Root", "principalId": account_id, "arn": f"arn:aws:iam::{account_id}:root",
                             "accountId": account_id,
                             **({"accessKeyId": "AKIA" + account_id + "ROOT"} if ev.get("access_key") else {})},
            "eventType": "AwsConsoleSignIn" if ev["event_name"] == "ConsoleLogin" else "AwsApiCall",
            "recipientAccountId": account_id,
        }
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{account_id}/{ev['region']}/{ev['days']}/{ev['event_name']}")
        read_only = ev["event_name"].startswith(("List", "Get", "Describe"))
        extras.events.setdefault(ev["region"], []).append({
            "EventId": str(event_id), "EventName": ev["event_name"], "ReadOnly": "true" if read_only else "false",
            "EventTime": when, "EventSource": ev["event_source"], "Username": "root",
            "Resources": [], "CloudTrailEvent": json.dumps(detail),
        })


def _seed_access_analyzer(account_id: str, spec: dict[str, Any], now: datetime) -> None:
    extras = STATE.account(account_id)
    for region, analyzers in spec.items():
        out = []
        for a in analyzers or []:
            arn = f"arn:aws:access-analyzer:{region}:{account_id}:analyzer/{a['name']}"
            created = now - timedelta(days=a.get("created_days", 180))
            findings = []
            for i, f in enumerate(a.get("findings", [])):
                if f.get("finding_type"):  # unused access (FindingSummaryV2)
                    findings.append({
                        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}/{i}")), "resource": f["resource"],
                        "resourceType": f["resource_type"], "findingType": f["finding_type"],
                        "status": f.get("status", "ACTIVE"), "resourceOwnerAccount": account_id,
                        "createdAt": now - timedelta(days=20), "analyzedAt": now - timedelta(hours=6),
                        "updatedAt": now - timedelta(days=20)})
                    continue
                findings.append({
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}/{i}")), "resource": f["resource"],
                    "resourceType": f["resource_type"], "principal": f.get("principal", {}),
                    "action": f.get("action", []), "isPublic": bool(f.get("is_public")),
                    "condition": f.get("condition", {}), "status": f.get("status", "ACTIVE"),
                    "createdAt": now - timedelta(days=20), "analyzedAt": now - timedelta(hours=6),
                    "updatedAt": now - timedelta(days=20), "resourceOwnerAccount": account_id,
                })
            out.append({"arn": arn, "name": a["name"], "type": a["type"], "createdAt": created,
                        "lastResourceAnalyzedAt": now - timedelta(hours=6), "status": a.get("status", "ACTIVE"),
                        "tags": {}, "findings": findings})
        extras.analyzers[region] = out


def _saml_metadata(name: str) -> str:
    return (f'<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'entityID="https://idp.example.com/{name}"><IDPSSODescriptor '
            f'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'<NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>'
            f'<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="https://idp.example.com/{name}/sso"/></IDPSSODescriptor>'
            f'<Organization><OrganizationName xml:lang="en">Demo corporate identity provider</OrganizationName>'
            f'<OrganizationDisplayName xml:lang="en">Demo IdP</OrganizationDisplayName>'
            f'<OrganizationURL xml:lang="en">https://idp.example.com/</OrganizationURL></Organization>'
            f'<ContactPerson contactType="technical"><EmailAddress>idp-admins@example.com</EmailAddress>'
            f'</ContactPerson>{"<!-- demo metadata, padded to the minimum size AWS accepts -->" * 8}'
            f'</EntityDescriptor>')


def _certificate(name: str, now: datetime, expires_in_days: int) -> tuple[str, str, datetime]:
    """A self-signed certificate expiring ``expires_in_days`` from now (negative: already expired)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.demo.example.com")])
    expires = now + timedelta(days=expires_in_days)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(expires - timedelta(days=395))
            .not_valid_after(expires).sign(key, hashes.SHA256()))
    body = cert.public_bytes(serialization.Encoding.PEM).decode()
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return body, pem_key, expires.replace(microsecond=0)
