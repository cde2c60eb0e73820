"""Readable values for reports: dates as "30 Nov 2026 23:02 UTC", booleans as Yes/No, ages as
"300 days", and identifiers (ARNs, check ids, paths) that wrap only after ``:``, ``/``, ``.`` or ``#``
(a ``<wbr>`` break opportunity) instead of mid-word. Every function returns escaped HTML or plain text
as its name says; nothing from the evidence is ever inserted unescaped."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

_BREAK_AFTER = re.compile(r"([:/#.,=_\-])")


def when(value: Any, *, time: bool = True) -> str:
    """``30 Nov 2026 23:02 UTC`` (or ``30 Nov 2026``); empty for missing values."""
    if value is None or (not isinstance(value, (str, date)) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M UTC") if time else value.strftime("%d %b %Y")
    return value.strftime("%d %b %Y")


def yes_no(value: Any) -> str:
    if value is None or (not isinstance(value, (str, bool)) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        return {"true": "Yes", "false": "No"}.get(value.lower(), value)
    return "Yes" if bool(value) else "No"


def days(n: Any) -> str:
    if n is None or pd.isna(n):
        return ""
    n = int(n)
    return "1 day" if n == 1 else f"{n} days"


def ident(text: Any) -> str:
    """Escaped identifier that may wrap only after a separator (``:``, ``/``, ``.``, ``#``, ...)."""
    return "<wbr>".join(html.escape(p) for p in _split(str(text)))


def _split(text: str) -> list[str]:
    parts = _BREAK_AFTER.split(text)
    out: list[str] = []
    for p in parts:
        if out and _BREAK_AFTER.fullmatch(p):
            out[-1] += p
        else:
            out.append(p)
    return [p for p in out if p]


def resource_name(arn: str, names: Mapping[str, str] | None = None) -> str:
    """The human name of a resource: ``dana.analyst`` for a user ARN, ``root user`` for the account
    root, the bucket for an S3 ARN, the name in ``names`` for ARNs that hold only an id (Identity Center
    permission sets and Identity Store users and groups: :mod:`iamkit.report.names`), the last path element
    otherwise; ``#access_key_1`` kept as "access key 1 of dana.analyst"."""
    base, _, frag = arn.partition("#")
    if names and base in names:
        name = names[base]
    elif base.endswith(":root"):
        name = f"root user of {base.split(':')[4]}" if base.split(":")[4] else "root user"
    elif base.startswith("arn:aws:s3:::"):
        name = base.removeprefix("arn:aws:s3:::")
    else:
        tail = base.split(":", 5)[-1]
        name = tail.split("/")[-1] if "/" in tail else tail
    if frag.startswith("access_key_"):
        return f"access key {frag.removeprefix('access_key_')} of {name}"
    if frag:
        return f"{frag.replace('_', ' ')} of {name}"
    return name


def plain(text: str) -> str:
    """Text without Markdown backticks (for prose that came from metadata written in Markdown)."""
    return text.replace("`", "")
