"""What the stand-in serves beside moto, as WSGI ``Extension`` objects on the same endpoint URL.

moto 5.2 has no IAM Access Analyzer, no permission set boundaries, no CloudTrail LookupEvents and no
IAM ListOrganizationsFeatures,
does not enforce role trust policies on AssumeRole, and answers DescribeRegions with every region.
The extensions below fill those gaps from :data:`STATE`, which the demo seeding (or a test) fills:

* ``access-analyzer`` ListAnalyzers / ListFindings / ListFindingsV2 from ``STATE.account(a).analyzers``;
* ``cloudtrail`` LookupEvents (Username attribute, time window, MaxResults/NextToken paging) from
  ``STATE.account(a).events``;
* ``iam`` ListOrganizationsFeatures from ``STATE.organization``;
* ``ec2`` DescribeRegions from ``STATE.account(a).regions`` when set;
* ``sso-admin`` GetPermissionsBoundaryForPermissionSet from ``STATE.sso_boundaries`` (moto has no
  permissions boundaries for permission sets; none set: ResourceNotFoundException, as AWS answers) and
  ListAccountsForProvisionedPermissionSet from moto's account assignments (moto answers only the
  caller's own account; AWS provisions a permission set to every account it is assigned in);
* ``sts`` AssumeRole refused (AccessDenied) unless the role exists and its trust policy allows the
  caller's account (and ``sts:ExternalId`` matches when the trust requires one): how a member with a
  broken role looks;
* fault injection: ``STATE.deny("iam:GetAccountPasswordPolicy", account=..., region=...)`` makes that
  operation answer AccessDenied in the protocol's own error format.

Requests are attributed to an account the way moto does (``x-moto-account-id`` header, else the
access key, assumed-role keys included), and to a region and service by the SigV4 credential scope.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.iam.models import get_account_id_from, iam_backends

Answer = tuple[int, dict[str, str], bytes] | None


@dataclass
class AccountExtras:
    """Per-account data moto does not model."""

    regions: list[str] | None = None  # enabled regions (DescribeRegions); None = moto's answer
    #: region -> analyzers: AnalyzerSummary fields plus ``findings`` (FindingSummary dicts with status)
    analyzers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: region -> CloudTrail events (LookupEvents ``Events`` entries; EventTime a datetime)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Denial:
    operation: str  # "<signing service>:<Operation>", e.g. "iam:GetAccountPasswordPolicy"
    account: str | None = None
    region: str | None = None
    code: str = "AccessDenied"
    message: str | None = None
    status: int = 403


class StandInState:
    """Everything the extensions serve; reset with moto's ``/moto-api/reset``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.accounts: dict[str, AccountExtras] = {}
            self.denials: list[Denial] = []
            #: {"id", "management", "members": [...], "features": [...]} when an organization exists
            self.organization: dict[str, Any] | None = None
            #: permission set ARN -> PermissionsBoundary ({ManagedPolicyArn} or {CustomerManagedPolicyReference})
            self.sso_boundaries: dict[str, dict[str, Any]] = {}

    def account(self, account_id: str) -> AccountExtras:
        with self._lock:
            return self.accounts.setdefault(account_id, AccountExtras())

    def deny(self, operation: str, *, account: str | None = None, region: str | None = None,
             code: str = "AccessDenied", message: str | None = None, status: int = 403) -> None:
        """Make ``operation`` (``service:Operation``, service as in the SigV4 scope, e.g.
        ``access-analyzer:ListAnalyzers``) fail with ``code`` (default AccessDenied), optionally only
        for one account and/or region. E.g. ``code="SubscriptionRequiredException", status=400``
        for a service the account is not subscribed to, ``code="UnrecognizedClientException"`` for a
        region that is not enabled."""
        with self._lock:
            self.denials.append(Denial(operation, account, region, code, message, status))

    def denied(self, op: str, account: str, region: str) -> Denial | None:
        return next((d for d in self.denials if d.operation == op and d.account in (None, account)
                     and d.region in (None, region)), None)


STATE = StandInState()


# -- request parsing -------------------------------------------------------------------------------
@dataclass
class Request:
    service: str
    region: str
    operation: str | None
    account: str
    params: dict[str, Any]
    method: str
    path: str
    protocol: str  # query | json | rest-json


_REST = {("access-analyzer", "GET", "/analyzer"): "ListAnalyzers",
         ("access-analyzer", "POST", "/finding"): "ListFindings",
         ("access-analyzer", "POST", "/findingv2"): "ListFindingsV2"}


def parse(environ: dict[str, Any]) -> Request | None:
    """The request's service, region, operation, account and parameters (memoised in ``environ``)."""
    if "iamkit.request" not in environ:
        environ["iamkit.request"] = _parse(environ)
    return environ["iamkit.request"]


def _parse(environ: dict[str, Any]) -> Request | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    if len(scope) < 5:
        return None
    access_key, region, service = scope[0], scope[2], scope[3]
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(access_key)
    body: bytes = environ.get("iamkit.body", b"")
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        params = json.loads(body or b"{}")
        return Request(service, region, target.rsplit(".", 1)[-1], account, params, method, path, "json")
    key = (service, method, path.rstrip("/") or "/")
    if key in _REST:
        params = json.loads(body or b"{}") if method == "POST" else {
            k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        return Request(service, region, _REST[key], account, params, method, path, "rest-json")
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    form.update({k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()})
    return Request(service, region, form.get("Action"), account, form, method, path, "query")


def error(req: Request, code: str, message: str, status: int = 403) -> Answer:
    rid = str(uuid.uuid4())
    if req.protocol in ("json", "rest-json") and code == "AccessDenied":
        code = "AccessDeniedException"  # the JSON protocols' name of it
    if req.protocol == "json":
        return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid}, \
            json.dumps({"__type": code, "message": message}).encode()
    if req.protocol == "rest-json":
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code,
                        "x-amzn-RequestId": rid}, json.dumps({"message": message}).encode()
    if req.service == "ec2":
        xml = (f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
               f"</Error></Errors><RequestID>{rid}</RequestID></Response>")
    else:
        xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code>"
               f"<Message>{escape(message)}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, xml.encode()


def _json(obj: Any, content_type: str = "application/json") -> Answer:
    return 200, {"Content-Type": content_type, "x-amzn-RequestId": str(uuid.uuid4())}, \
        json.dumps(obj, default=_iso).encode()


def _iso(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(type(obj).__name__)


def _xml(operation: str, inner: str, ns: str = "https://iam.amazonaws.com/doc/2010-05-08/") -> Answer:
    body = (f'<{operation}Response xmlns="{ns}"><{operation}Result>{inner}</{operation}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{operation}Response>")
    return 200, {"Content-Type": "text/xml"}, body.encode()


# -- the extensions ------------------------------------------------------------------------------------
def faults(environ: dict[str, Any]) -> Answer:
    """Injected AccessDenied (``STATE.deny``)."""
    if not STATE.denials:
        return None
    req = parse(environ)
    if req is None or not req.operation:
        return None
    rule = STATE.denied(f"{req.service}:{req.operation}", req.account, req.region)
    if rule is None:
        return None
    message = rule.message or (f"User: arn:aws:sts::{req.account}:assumed-role/iamkit is not authorized to "
                               f"perform: {req.service}:{req.operation} (injected by the stand-in)")
    return error(req, rule.code, message, rule.status)


def assume_role(environ: dict[str, Any]) -> Answer:
    """Refuse AssumeRole the way AWS does when the role is missing or does not trust the caller."""
    req = parse(environ)
    if req is None or req.service != "sts" or req.operation != "AssumeRole":
        return None
    arn = req.params.get("RoleArn", "")
    parts = arn.split(":")
    denied = error(req, "AccessDenied", f"User: arn:aws:iam::{req.account}:user/iamkit is not authorized to "
                                        f"perform: sts:AssumeRole on resource: {arn}")
    if len(parts) < 6 or not parts[5].startswith("role/"):
        return denied
    target, name = parts[4], parts[5].rsplit("/", 1)[-1]
    role = iam_backends[target]["global"].roles
    found = next((r for r in role.values() if r.name == name), None)
    if found is None:
        return denied
    trust = json.loads(found.assume_role_policy_document or "{}")
    return None if trusts(trust, req.account, req.params.get("ExternalId")) else denied


def trusts(doc: dict[str, Any], caller_account: str, external_id: str | None) -> bool:
    """Simplified trust evaluation: an Allow statement for sts:AssumeRole naming the caller's account
    (id, root ARN or any ARN in it) or ``*``, whose ``sts:ExternalId`` condition (if any) matches."""
    stmts = doc.get("Statement", [])
    for st in stmts if isinstance(stmts, list) else [stmts]:
        if st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal", {})
        aws = principal if principal == "*" else principal.get("AWS", []) if isinstance(principal, dict) else []
        aws = [aws] if isinstance(aws, str) else aws
        if not any(p == "*" or p == caller_account or p.startswith(f"arn:aws:iam::{caller_account}:") for p in aws):
            continue
        want = None
        for values in (st.get("Condition") or {}).values():
            if "sts:ExternalId" in values:
                want = values["sts:ExternalId"]
        if want is not None:
            want = [want] if isinstance(want, str) else want
            if external_id not in want:
                continue
        return True
    return False


def access_analyzer(environ: dict[str, Any]) -> Answer:
    req = parse(environ)
    if req is None or req.service != "access-analyzer" or req.operation is None:
        return None
    analyzers = STATE.account(req.account).analyzers.get(req.region, [])
    if req.operation == "ListAnalyzers":
        kind = req.params.get("type")
        return _json({"analyzers": [{k: v for k, v in a.items() if k != "findings"} for a in analyzers
                                    if kind is None or a["type"] == kind]})
    arn = req.params.get("analyzerArn")
    analyzer = next((a for a in analyzers if a["arn"] == arn), None)
    if analyzer is None:
        return error(req, "ResourceNotFoundException", f"Analyzer {arn} not found", status=404)
    external = analyzer["type"] in ("ACCOUNT", "ORGANIZATION")
    if (req.operation == "ListFindings") != external:
        return error(req, "ValidationException",
                     f"{req.operation} does not support analyzers of type {analyzer['type']}", status=400)
    criteria = req.params.get("filter") or {}
    wanted = (criteria.get("status") or {}).get("eq")
    types = (criteria.get("findingType") or {}).get("eq")
    if types is not None and not analyzer["type"].endswith("UNUSED_ACCESS"):
        return error(req, "ValidationException", "findingType filters unused access findings only", status=400)
    found = [f for f in analyzer.get("findings", []) if (wanted is None or f["status"] in wanted)
             and (types is None or f.get("findingType") in types)]
    return _json({"findings": found})


def lookup_events(environ: dict[str, Any]) -> Answer:
    req = parse(environ)
    if req is None or req.service != "cloudtrail" or req.operation != "LookupEvents":
        return None
    p = req.params
    events = STATE.account(req.account).events.get(req.region, [])
    start = datetime.fromtimestamp(float(p["StartTime"]), UTC) if "StartTime" in p else None
    end = datetime.fromtimestamp(float(p["EndTime"]), UTC) if "EndTime" in p else None
    for attr in p.get("LookupAttributes", []):
        if attr.get("AttributeKey") == "Username":
            events = [e for e in events if e.get("Username") == attr.get("AttributeValue")]
        elif attr.get("AttributeKey") == "EventName":
            events = [e for e in events if e.get("EventName") == attr.get("AttributeValue")]
    events = sorted((e for e in events if (start is None or e["EventTime"] >= start)
                     and (end is None or e["EventTime"] <= end)), key=lambda e: e["EventTime"], reverse=True)
    offset, size = int(p.get("NextToken") or 0), int(p.get("MaxResults") or 50)
    page = events[offset:offset + size]
    out: dict[str, Any] = {"Events": [{**e, "EventTime": e["EventTime"].timestamp()} for e in page]}
    if offset + size < len(events):
        out["NextToken"] = str(offset + size)
    return _json(out, "application/x-amz-json-1.1")


def organizations_features(environ: dict[str, Any]) -> Answer:
    req = parse(environ)
    if req is None or req.service != "iam" or req.operation != "ListOrganizationsFeatures":
        return None
    org = STATE.organization
    if org is None:
        return error(req, "OrganizationNotFoundException",
                     "The request failed because your credentials do not belong to an organization.", 400)
    if req.account != org["management"]:
        return error(req, "AccountNotManagementOrDelegatedAdministratorException",
                     "The request failed because the account is not the management account or delegated "
                     "administrator account for centralized root access.", 400)
    members = "".join(f"<member>{escape(f)}</member>" for f in org.get("features", []))
    return _xml("ListOrganizationsFeatures",
                f"<OrganizationId>{escape(org['id'])}</OrganizationId><EnabledFeatures>{members}</EnabledFeatures>")


def describe_regions(environ: dict[str, Any]) -> Answer:
    req = parse(environ)
    if req is None or req.service != "ec2" or req.operation != "DescribeRegions":
        return None
    regions = STATE.account(req.account).regions
    if regions is None:
        return None
    items = "".join(f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com</regionEndpoint>"
                    f"<optInStatus>opt-in-not-required</optInStatus></item>" for r in regions)
    body = (f'<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>'
            f"{uuid.uuid4()}</requestId><regionInfo>{items}</regionInfo></DescribeRegionsResponse>")
    return 200, {"Content-Type": "text/xml"}, body.encode()


def sso_admin(environ: dict[str, Any]) -> Answer:
    req = parse(environ)
    if req is None or req.service != "sso" or req.operation not in (
            "GetPermissionsBoundaryForPermissionSet", "ListAccountsForProvisionedPermissionSet"):
        return None
    arn = req.params.get("PermissionSetArn", "")
    if req.operation == "GetPermissionsBoundaryForPermissionSet":
        boundary = STATE.sso_boundaries.get(arn)
        if boundary is None:
            return error(req, "ResourceNotFoundException", f"Permissions boundary not found for {arn}", 400)
        return _json({"PermissionsBoundary": boundary}, "application/x-amz-json-1.1")
    from moto.ssoadmin.models import ssoadmin_backends

    backend = ssoadmin_backends[req.account][req.region]
    accounts = sorted({a.target_id for a in backend.account_assignments
                       if a.permission_set_arn == arn and a.instance_arn == req.params.get("InstanceArn")})
    return _json({"AccountIds": accounts}, "application/x-amz-json-1.1")


#: the stand-in's built-in extensions, in order (faults first, so any operation can be denied)
BUILTIN = (faults, assume_role, access_analyzer, lookup_events, organizations_features,
           describe_regions, sso_admin)
