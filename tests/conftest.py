"""Shared fixtures: bundles built in code, and the AWS stand-in on a free loopback port."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamkit.evidence import BundleWriter

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

CRED_HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
               "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
               "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
               "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
               "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
               "cert_2_active,cert_2_last_rotated")


def root_row(account_id: str = "111122223333", mfa: str = "true", key1: str = "false") -> str:
    return (f"<root_account>,arn:aws:iam::{account_id}:root,2020-01-01T00:00:00+00:00,not_supported,"
            f"2026-10-01T00:00:00+00:00,not_supported,not_supported,{mfa},{key1},N/A,N/A,N/A,N/A,false,N/A,N/A,"
            "N/A,N/A,false,N/A,false,N/A")


@pytest.fixture
def make_bundle(tmp_path: Path):
    """``make_bundle(files={relpath: text|obj}, errors=[...])`` -> path of a finished bundle."""

    def _make(files: dict[str, object] | None = None, errors: list[dict] | None = None,
              account_id: str = "111122223333", source: str = "aws") -> Path:
        w = BundleWriter(tmp_path / "evidence" / account_id, account_id=account_id, source=source)
        for rel, content in (files or {}).items():
            if isinstance(content, str):
                w.write_text(rel, content)
            else:
                w.write_json(rel, content)
        for e in errors or []:
            w.add_error(**e)
        return w.finish(caller_identity={"Account": account_id, "Arn": f"arn:aws:iam::{account_id}:user/a",
                                         "UserId": "AIDA"}, regions=["us-east-1"])

    return _make


@pytest.fixture(scope="session")
def standin() -> Iterator[object]:
    """The stand-in on 127.0.0.1 and a free port, with dummy credentials in this process."""
    from iamkit.demo.standin import StandIn

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE",
                                            "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    with StandIn() as s:
        yield s
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def fresh_standin(standin):
    """The shared stand-in, reset to empty (moto's reset API) before the test."""
    from iamkit.demo.standin import ROOTS

    req = urllib.request.Request(f"{standin.url}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).read()
    ROOTS.clear()
    return standin
