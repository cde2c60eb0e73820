"""A local AWS stand-in: moto's server in this process, on 127.0.0.1 and a free port.

What moto lacks and the checks need is supplied here, and only here (``iamkit/collect`` never
knows it talks to a stand-in):

* the ``<root_account>`` row of the credential report and the account summary's
  ``AccountMFAEnabled`` / ``AccountAccessKeysPresent``, from a per-account :class:`RootState`;
* the account summary's ``AccountPasswordPresent`` (0 for a root without password, as after
  centralized root access removed it) and the root's virtual MFA device
  (``arn:aws:iam::<acct>:mfa/root-account-mfa-device``) in ListVirtualMFADevices when the root's MFA
  is ``virtual`` (a hardware root MFA is, as in AWS, not listed);
* GetAccountAuthorizationDetails paginated like AWS (``MaxItems``/``Marker`` over users, groups,
  roles and policies in that order) and listing AWS managed policies only when attached;
* IAM Identity Center permission set ARNs in AWS's form (``arn:aws:sso:::permissionSet/...``), and AWS
  managed policies with a path (``job-function/...``) attachable to permission sets;
* extra API handlers (services or operations moto does not implement, see :mod:`iamkit.demo.extras`)
  plugged in as WSGI ``Extension`` objects in front of moto's dispatcher, so one endpoint URL serves
  every service. The built-in ones are always installed; tests can add their own.

The server runs in-process (a thread), so its backends are ordinary Python objects that the
seeding code can adjust (backdating creation times, last-used dates) to make ages realistic.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from moto.iam import models as iam_models
from moto.iam import responses as iam_responses
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.ssoadmin import models as sso_models
from werkzeug.serving import make_server

from iamkit.demo.extras import BUILTIN, STATE

DATE = "%Y-%m-%dT%H:%M:%S+00:00"


@dataclass
class RootState:
    """What AWS knows of an account's root user and moto does not model."""

    created: datetime
    mfa: str = "none"  # none | virtual | hardware
    mfa_enabled: datetime | None = None
    password_last_used: datetime | None = None
    has_password: bool = True
    access_keys: list[dict[str, Any]] = field(default_factory=list)  # {active, created, last_used}

    def csv_row(self, account_id: str) -> str:
        def d(x: datetime | None, none: str = "N/A") -> str:
            return x.strftime(DATE) if x else none

        keys = (self.access_keys + [{}, {}])[:2]
        cols = ["<root_account>", f"arn:aws:iam::{account_id}:root", d(self.created),
                "not_supported",
                d(self.password_last_used, "no_information" if self.has_password else "N/A"),
                "not_supported", "not_supported", "true" if self.mfa != "none" else "false"]
        for k in keys:
            if k:
                cols += ["true" if k.get("active", True) else "false", d(k["created"]),
                         d(k.get("last_used")), "us-east-1" if k.get("last_used") else "N/A",
                         "iam" if k.get("last_used") else "N/A"]
            else:
                cols += ["false", "N/A", "N/A", "N/A", "N/A"]
        cols += ["false", "N/A", "false", "N/A"]
        return ",".join(cols) + "\n"


#: account id -> root state; read by the patched moto methods below
ROOTS: dict[str, RootState] = {}
_patch_lock = threading.Lock()


#: the moto attributes replaced below, as they were: "Class.attribute" -> original
_ORIGINAL: dict[str, Any] = {}


def _original(key: str) -> Any:
    return _ORIGINAL[key]


def _get_credential_report(self: Any) -> str:
    """moto's report with the seeded root account's row."""
    report = _original("IAMBackend.get_credential_report")(self)
    root = ROOTS.get(self.account_id)
    if root is None:
        return report
    header, _, rest = report.partition("\n")
    return header + "\n" + root.csv_row(self.account_id) + rest


def _summary_map(self: Any) -> dict[str, Any]:
    """GetAccountSummary's root flags from the seeded root account."""
    out = dict(_original("AccountSummary.summary_map").fget(self))
    root = ROOTS.get(self._iam_backend.account_id)
    if root is not None:
        out["AccountMFAEnabled"] = 1 if root.mfa != "none" else 0
        out["AccountAccessKeysPresent"] = 1 if any(k.get("active", True) for k in root.access_keys) else 0
        out["AccountPasswordPresent"] = 1 if root.has_password else 0
    return out


def _list_virtual_mfa_devices(self: Any, assignment_status: str, marker: str | None,
                              max_items: int) -> tuple[list[Any], str | None]:
    """moto's devices, with the seeded root account's virtual device first when it has one."""
    devices, next_marker = _original("IAMBackend.list_virtual_mfa_devices")(self, assignment_status, marker,
                                                                            max_items)
    root = ROOTS.get(self.account_id)
    if root is not None and root.mfa == "virtual" and not marker and assignment_status != "Unassigned":
        dev = iam_models.VirtualMfaDevice(self.account_id, "us-east-1", "/root-account-mfa-device")
        dev.enable_date = root.mfa_enabled or root.created
        dev.user = SimpleNamespace(path="/", id=self.account_id, arn=f"arn:aws:iam::{self.account_id}:root",
                                   create_date=root.created)
        devices = [dev, *devices]
    return devices, next_marker


def _get_account_authorization_details(self: Any) -> Any:
    return _paginate_gaad(self, _original("IamResponse.get_account_authorization_details")(self))


def _list_server_certificates(self: Any) -> Any:
    """moto answers a fixed 2012 expiry; serve the seeded one where there is one."""
    result = _original("IamResponse.list_server_certificates")(self)
    certs = {c.arn: c for c in self.backend.list_server_certificates()}
    for meta in result.result["ServerCertificateMetadataList"]:
        expires = getattr(certs.get(meta["Arn"]), "iamkit_expiration", None)
        if expires is not None:
            meta["Expiration"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["UploadDate"] = (expires - timedelta(days=395)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return result


def _generate_report(self: Any) -> None:
    """Remember when the report was generated (AWS keeps it and serves it for four hours)."""
    if not self.credential_report:
        self.iamkit_report_generated = datetime.now(UTC)
    _original("IAMBackend.generate_report")(self)


def _get_credential_report_response(self: Any) -> Any:
    """moto answers a fixed 2015 GeneratedTime; serve the time the report was generated."""
    result = _original("IamResponse.get_credential_report")(self)
    generated = getattr(self.backend, "iamkit_report_generated", None)
    if generated is not None:
        result.result["GeneratedTime"] = generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    return result


def _permission_set_id(instance_arn: str) -> str:
    """AWS names permission sets ``arn:aws:sso:::permissionSet/ssoins-.../ps-...``; moto reuses the
    instance ARN (``...:instance/ssoins-.../ps-...``)."""
    return _original("PermissionSet.generate_id")(instance_arn).replace(":instance/", ":permissionSet/", 1)


def _find_managed_policy(self: Any, managed_policy_arn: str) -> Any:
    """moto reads the policy's path from a ``path`` key its data spells ``Path``, so AWS managed
    policies with a path (``job-function/ViewOnlyAccess``) cannot be attached to permission sets."""
    name = managed_policy_arn.rsplit("/", 1)[-1]
    data = json.loads(aws_managed_policies_data).get(name)
    if data is not None and managed_policy_arn == f"arn:aws:iam::aws:policy{data.get('Path', '/')}{name}":
        return sso_models.ManagedPolicy(managed_policy_arn, name)
    raise sso_models.ResourceNotFoundException(f"Policy does not exist with ARN: {managed_policy_arn}")


def _patches() -> list[tuple[Any, str, Any]]:
    """(moto class, attribute, replacement) for every behaviour of moto the stand-in corrects."""
    return [
        (iam_models.IAMBackend, "get_credential_report", _get_credential_report),
        (iam_models.AccountSummary, "summary_map", property(_summary_map)),
        (iam_models.IAMBackend, "list_virtual_mfa_devices", _list_virtual_mfa_devices),
        (iam_models.IAMBackend, "generate_report", _generate_report),
        (iam_responses.IamResponse, "get_account_authorization_details", _get_account_authorization_details),
        (iam_responses.IamResponse, "list_server_certificates", _list_server_certificates),
        (iam_responses.IamResponse, "get_credential_report", _get_credential_report_response),
        (sso_models.PermissionSet, "generate_id", staticmethod(_permission_set_id)),
        (sso_models.SSOAdminBackend, "_find_managed_policy", _find_managed_policy),
    ]


def _install_patches() -> None:
    """Correct moto where it differs from AWS (once per process; the originals are kept in _ORIGINAL)."""
    with _patch_lock:
        if _ORIGINAL:
            return
        for owner, attr, replacement in _patches():
            _ORIGINAL[f"{owner.__name__}.{attr}"] = getattr(owner, attr)
            setattr(owner, attr, replacement)


_GAAD_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def _paginate_gaad(response: Any, result: Any) -> Any:
    """AWS pages GAAD (default 100 items); moto returns everything at once and every loaded AWS managed
    policy. Page over the four lists in order and keep AWS managed policies only when attached."""
    data = result.result if hasattr(result, "result") else result
    policies = [p for p in data["Policies"]
                if not str(getattr(p, "arn", "")).startswith("arn:aws:iam::aws:") or p.attachment_count]
    for p in policies:  # moto's GAAD omits PolicyName and PolicyId of managed policies
        p.policy_name, p.policy_id = p.name, p.id
    data["Policies"] = policies
    items = [(k, x) for k in _GAAD_LISTS for x in data[k]]
    start = int(response._get_param("Marker") or 0)
    size = int(response._get_param("MaxItems") or 100)
    page = items[start:start + size]
    for k in _GAAD_LISTS:
        data[k] = [x for kk, x in page if kk == k]
    data["IsTruncated"] = start + size < len(items)
    if data["IsTruncated"]:
        data["Marker"] = str(start + size)
    return result


#: an extension answers a request moto cannot: ``handle(environ) -> (status, headers, body) | None``
Extension = Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes] | None]


class _Front:
    """WSGI app: try each extension, else moto's dispatcher."""

    def __init__(self, moto_app: Any, extensions: Iterable[Extension]) -> None:
        self.moto_app = moto_app
        self.extensions = list(extensions)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/moto-api/reset":
            # moto's reset API also resets what the stand-in adds (moto still answers the request)
            ROOTS.clear()
            STATE.reset()
        if self.extensions:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["iamkit.body"] = body
            environ["wsgi.input"] = io.BytesIO(body)
            for ext in self.extensions:
                answer = ext(environ)
                if answer is not None:
                    status, headers, payload = answer
                    start_response(f"{status} {'OK' if status < 400 else 'ERROR'}", list(headers.items()))
                    return [payload]
            environ["wsgi.input"] = io.BytesIO(body)
        return self.moto_app(environ, start_response)


class StandIn:
    """``with StandIn() as s: s.url`` — a stand-in for AWS on 127.0.0.1 and a free port."""

    def __init__(self, extensions: Iterable[Extension] = (), host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.extensions = list(extensions)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> Any:
        """What the built-in extensions serve (:data:`iamkit.demo.extras.STATE`)."""
        return STATE

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> StandIn:
        _install_patches()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = _Front(DomainDispatcherApplication(create_backend_app), [*BUILTIN, *self.extensions])
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="iamkit-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
