"""The one exception hierarchy of iamkit.

The CLI maps these to exit codes and prints ``str(error)`` as a single line; a traceback is shown
only with ``--debug``. Messages are therefore written as one complete sentence that says what is
wrong and, where it helps, what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class IamkitError(Exception):
    """Base of every error iamkit raises on purpose."""

    exit_code = 2


class BadInputError(IamkitError):
    """Malformed parameters, exports, policies or evidence supplied by the user (exit 2)."""


class EvidenceError(BadInputError):
    """An evidence bundle is missing, unreadable or fails its integrity check."""


class ReadOnlyViolation(IamkitError):
    """An AWS operation outside the read-only allowlist was attempted; it never left the process."""


class CollectionError(IamkitError):
    """Collection of an account could not start or complete (credentials, role assumption, ...)."""

    exit_code = 3


class RenderError(IamkitError):
    """A notebook failed to execute or a report could not be rendered."""

    exit_code = 3


def read_json_input(path: Path) -> Any:
    """A JSON file the user supplied (an export, a policy, a request), or :class:`BadInputError` in one line
    naming the file: unreadable, not UTF-8 (a byte-order mark is accepted), or not JSON."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInputError(f"{path}: not valid JSON ({exc})") from None
