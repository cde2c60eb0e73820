"""Parameters (``parameters/*.yaml``) -> validated settings.

Files are merged in order (``defaults.yaml`` from the package first, then each file given), keys of
later files overriding earlier ones, nested mappings merged key by key. Unknown keys are errors, so
a typo never silently falls back to a default. Nothing secret belongs here: credentials come only
from the standard AWS chain.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from iamkit.errors import BadInputError

ACCOUNT_ID = re.compile(r"^\d{12}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Thresholds(_Strict):
    access_key_max_age_days: int = Field(90, ge=1)
    unused_credentials_days: int = Field(45, ge=1)
    root_usage_window_days: int = Field(90, ge=1, le=90)
    credential_report_cache_hours: int = Field(4, ge=0)
    password_min_length: int = Field(14, ge=6, le=128)
    password_reuse_prevention: int = Field(24, ge=1, le=24)
    password_max_age_days: int = Field(90, ge=1)
    sso_max_session_hours: float = Field(8, gt=0, le=12)
    unused_role_days: int = Field(90, ge=1)


class ReportInfo(_Strict):
    """Who prepared and reviewed the report, and its marking (shown on the cover and every page)."""
    prepared_by: str | None = None
    reviewed_by: str | None = None
    classification: str = "Confidential"


class Settings(_Strict):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    report: ReportInfo = Field(default_factory=ReportInfo)
    trusted_account_ids: list[str] = Field(default_factory=list)
    known_vendor_accounts: dict[str, str] = Field(default_factory=dict)
    sso_break_glass_groups: list[str] = Field(default_factory=list)
    regions: list[str] | None = None
    accounts: list[str] | None = None
    organizational_units: list[str] | None = None
    role_name: str | None = None
    external_id: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    workers: int | None = Field(None, ge=1, le=64)
    fail_on: Literal["critical", "high", "medium", "low", "informational", "never"] = "never"
    pdf: bool = True
    exceptions_file: str | None = None
    #: assess evidence whose files no longer match their manifest (--allow-modified); every output says so
    allow_modified_evidence: bool = False
    guardrail_allowed_regions: list[str] = Field(default_factory=list)
    guardrail_protected_roles: list[str] = Field(default_factory=lambda: ["OrganizationAccountAccessRole"])

    @field_validator("trusted_account_ids", "accounts")
    @classmethod
    def _account_ids(cls, v: list[str] | None) -> list[str] | None:
        for a in v or []:
            if not ACCOUNT_ID.match(str(a)):
                raise ValueError(f"'{a}' is not a 12-digit AWS account id")
        return v

    @field_validator("known_vendor_accounts")
    @classmethod
    def _vendor_ids(cls, v: dict[str, str]) -> dict[str, str]:
        for a in v:
            if not ACCOUNT_ID.match(str(a)):
                raise ValueError(f"'{a}' is not a 12-digit AWS account id")
        return v


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def read_yaml_mapping(path: Path | str, what: str, not_a_mapping: str, text: str | None = None) -> dict[str, Any]:
    """A YAML file that must hold a mapping (empty file: ``{}``); every problem is a one-line
    BadInputError naming the file (and the line, for YAML syntax errors)."""
    try:
        data = yaml.safe_load(text if text is not None else Path(path).read_text())
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise BadInputError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInputError(f"{path}: {not_a_mapping}")
    return data


def _read_yaml(path: Path | str, text: str | None = None) -> dict[str, Any]:
    return read_yaml_mapping(path, "parameters", "parameters must be a mapping of keys to values", text)


def defaults_text() -> str:
    return resources.files("iamkit").joinpath("defaults.yaml").read_text()


def load_settings(paths: list[Path] | tuple[Path, ...] = (), **overrides: Any) -> Settings:
    """Defaults, then each file, then non-None ``overrides`` (from the command line)."""
    data = _read_yaml("defaults.yaml", defaults_text())
    sources = ["defaults.yaml"]
    for p in paths:
        data = _merge(data, _read_yaml(p))
        sources.append(str(p))
    data = _merge(data, {k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise BadInputError(f"{', '.join(sources[1:]) or 'parameters'}: {loc}: {err['msg']}") from None
