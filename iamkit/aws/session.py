"""boto3 sessions for collection: profile/SSO/env credentials, endpoint URL, role assumption.

Credentials come only from the standard AWS chain (profile, SSO, environment, instance role) and
from STS AssumeRole; they are never parameters and never logged. Every session gets the read-only
guard installed and botocore's adaptive retry mode (client-side rate limiting plus exponential
back-off on throttling), so collectors never write their own retry loops for throttling.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

from iamkit import __version__
from iamkit.aws.guard import Guard, Operation
from iamkit.errors import BadInputError, CollectionError

DEFAULT_REGION = "us-east-1"


class _SharedLoader(Loader):
    """botocore's data loader with one cache for the process instead of one per session.

    Every assumed-role account is a new boto3 session, and each session's loader parsed the same service
    models, endpoints and partitions JSON again: measured, creating clients was ~80 % of collection's CPU
    (~0.4 s per account). The loaded data is the same whatever the credentials (botocore shares it between
    the clients of one session already), so it is shared by search path."""

    _shared: dict[tuple[Any, ...], Any] = {}
    _shared_lock = threading.Lock()

    def _cached(self, name: str, load: Any, *args: Any, **kwargs: Any) -> Any:
        key = (name, tuple(self.search_paths), args, tuple(sorted(kwargs.items())))
        if key not in self._shared:
            value = load(*args, **kwargs)
            with self._shared_lock:
                self._shared.setdefault(key, value)
        return self._shared[key]

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        return self._cached("service_model", super().load_service_model, service_name, type_name, api_version)

    def load_data_with_path(self, name: str) -> Any:
        return self._cached("data_with_path", super().load_data_with_path, name)

    def load_data(self, name: str) -> Any:
        return self._cached("data", super().load_data, name)

    def determine_latest_version(self, service_name: str, type_name: str) -> Any:
        return self._cached("latest_version", super().determine_latest_version, service_name, type_name)


def new_boto_session(**kwargs: Any) -> boto3.Session:
    """A boto3 session (``profile_name``, credentials, ``region_name``) whose botocore data is shared with the
    process's other sessions (:class:`_SharedLoader`)."""
    core = botocore.session.get_session()
    data_path = core.get_config_variable("data_path")
    paths = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)] if data_path else []
    core.register_component("data_loader", _SharedLoader(extra_search_paths=paths))
    return boto3.Session(botocore_session=core, **kwargs)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise BadInputError(f"{name}={value!r} is not a positive whole number")
    return int(value)


@dataclass
class AwsTarget:
    """How to reach AWS: the same for every account of a run (no secrets here)."""

    profile: str | None = None
    endpoint_url: str | None = None
    region: str = DEFAULT_REGION
    #: botocore adaptive-mode attempts (first try included); AWS_MAX_ATTEMPTS overrides the default
    max_attempts: int = field(default_factory=lambda: _env_int("AWS_MAX_ATTEMPTS", 8))
    role_name: str | None = None
    external_id: str | None = field(default=None, repr=False)
    session_name: str = "iamkit"
    #: assess every ACTIVE account of the caller's organization (``--org``)
    organization: bool = False
    #: restrict per-region collection to these regions (``--regions``); None = every enabled region
    regions: tuple[str, ...] | None = None
    #: accounts collected in parallel (``--workers``)
    workers: int = 4


class AwsSession:
    """One account's guarded session. ``client(service, region)`` is the only way to a client."""

    def __init__(self, boto_session: boto3.Session, allowlist: frozenset[Operation], target: AwsTarget,
                 *, assumed: dict[str, str] | None = None) -> None:
        self.boto = boto_session
        self.target = target
        #: temporary credentials of an assumed role (never logged; kept to fork the session)
        self._assumed = assumed
        self.guard = Guard(allowlist)
        self.guard.install(self.boto)
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": target.max_attempts},
            user_agent_extra=f"iamkit/{__version__}",
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()  # boto3 sessions are not thread-safe; clients are

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.target.region)
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": key[1], "config": self._config}
                if self.target.endpoint_url:
                    kwargs["endpoint_url"] = self.target.endpoint_url
                self._clients[key] = self.boto.client(service, **kwargs)
            return self._clients[key]

    def caller_identity(self) -> dict[str, Any]:
        try:
            ident = self.client("sts").get_caller_identity()
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise CollectionError(f"cannot identify the caller (GetCallerIdentity): {one_line(exc)}") from None
        return {k: ident[k] for k in ("Account", "Arn", "UserId")}

    @property
    def is_assumed(self) -> bool:
        return self._assumed is not None

    def fork(self) -> AwsSession:
        """The same identity in a new boto3 session with its own guard (and call counter), so that
        calls made for one account's bundle are counted apart from everything else the caller does."""
        if self._assumed is not None:
            boto_session = new_boto_session(**self._assumed, region_name=self.target.region)
        else:
            boto_session = new_boto_session(profile_name=self.target.profile, region_name=self.target.region)
        return AwsSession(boto_session, self.guard.allowlist, self.target, assumed=self._assumed)

    def assume(self, account_id: str) -> AwsSession:
        """A session in ``account_id`` through ``target.role_name`` (with ExternalId if set)."""
        if not self.target.role_name:
            raise CollectionError("no --role-name given to reach member accounts")
        partition = "aws"
        arn = f"arn:{partition}:iam::{account_id}:role/{self.target.role_name}"
        kwargs: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": self.target.session_name[:64],
                                  "DurationSeconds": 3600}
        if self.target.external_id:
            kwargs["ExternalId"] = self.target.external_id
        try:
            creds = self.client("sts").assume_role(**kwargs)["Credentials"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise CollectionError(f"cannot assume {arn}: {one_line(exc)}") from None
        assumed = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                   "aws_session_token": creds["SessionToken"]}
        member = new_boto_session(**assumed, region_name=self.target.region)
        return AwsSession(member, self.guard.allowlist, self.target, assumed=assumed)


def open_session(target: AwsTarget, allowlist: frozenset[Operation]) -> AwsSession:
    try:
        boto_session = new_boto_session(profile_name=target.profile, region_name=target.region)
        credentials = boto_session.get_credentials()
    except botocore.exceptions.ProfileNotFound as exc:
        raise CollectionError(one_line(exc)) from None
    if credentials is None:
        raise CollectionError("no AWS credentials found in the standard chain (profile, SSO, environment, "
                              "instance role); run 'aws configure' or 'aws sso login' first")
    return AwsSession(boto_session, allowlist, target)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def one_line(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'ClientError')}: {err.get('Message', '')}".strip()
    return " ".join(str(exc).split())


AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
