"""The read-only guard and the least-privilege policy generated from the same allowlist.

Each collector declares the AWS operations it calls as ``(botocore service name, operation)``
pairs. The union of those declarations is the allowlist. :func:`install` hooks botocore's
``before-parameter-build`` event on a session, which fires before a request is built or signed:
an operation outside the allowlist raises :class:`~iamkit.errors.ReadOnlyViolation` and never
leaves the process. The same hook counts every call made (each page of a paginator counts), which
is what the manifest records.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from iamkit.errors import ReadOnlyViolation

Operation = tuple[str, str]

#: verbs an allowlisted operation may start with; everything else is a write and is refused even
#: if a collector declares it. GenerateCredentialReport only asks AWS to build the read-only
#: report; AssumeRole only obtains read-only credentials in a member account.
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Lookup")
READ_ONLY_EXCEPTIONS = frozenset({("iam", "GenerateCredentialReport"), ("sts", "AssumeRole")})

#: botocore service names whose IAM action prefix differs
_IAM_PREFIX = {"accessanalyzer": "access-analyzer", "sso-admin": "sso"}

#: operations authorized by an IAM action of another name (ListFindingsV2: "ListFindings and ListFindingsV2 both
#: use access-analyzer:ListFindings in the Action element of an IAM policy statement", API Reference)
_IAM_ACTION = {("accessanalyzer", "ListFindingsV2"): "access-analyzer:ListFindings"}

#: operations that need no IAM permission at all
_NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})

#: API operations authorized by an IAM action of another name (Service Authorization Reference):
#: Access Analyzer's ListFindingsV2 is authorized by access-analyzer:ListFindings (there is no
#: access-analyzer:ListFindingsV2 action)
_AUTHORIZED_BY = {("accessanalyzer", "ListFindingsV2"): "access-analyzer:ListFindings"}


def is_read_only(op: Operation) -> bool:
    return op in READ_ONLY_EXCEPTIONS or op[1].startswith(READ_ONLY_PREFIXES)


def validate_allowlist(ops: Iterable[Operation]) -> frozenset[Operation]:
    ops = frozenset(ops)
    bad = sorted(f"{s}:{o}" for s, o in ops if not is_read_only((s, o)))
    if bad:
        raise ReadOnlyViolation("operations declared by collectors are not read-only: " + ", ".join(bad))
    return ops


class Guard:
    """Refuses non-allowlisted operations and counts the allowed ones (thread-safe)."""

    def __init__(self, allowlist: Iterable[Operation]) -> None:
        self.allowlist = validate_allowlist(allowlist)
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, model: Any = None, **_: Any) -> None:
        op = (model.service_model.service_name, model.name)
        if op not in self.allowlist:
            raise ReadOnlyViolation(f"refused {op[0]}:{op[1]}: not on iamkit's read-only allowlist")
        with self._lock:
            self.calls[f"{op[0]}:{op[1]}"] += 1

    def install(self, boto_session: Any) -> None:
        boto_session.events.register("before-parameter-build", self, unique_id="iamkit-read-only-guard")

    def take_calls(self) -> dict[str, int]:
        """The calls counted since the last take, and reset."""
        with self._lock:
            out = dict(self.calls)
            self.calls.clear()
        return out


def iam_action(op: Operation) -> str:
    """The IAM action that authorizes an API operation."""
    if op in _AUTHORIZED_BY:
        return _AUTHORIZED_BY[op]
    service, name = op
    return _IAM_ACTION.get(op) or f"{_IAM_PREFIX.get(service, service)}:{name}"


def policy_document(ops: Iterable[Operation], *, include_assume_role: bool = True) -> dict[str, Any]:
    """The least-privilege IAM policy for the given operations (no wildcards, one statement)."""
    actions = sorted({iam_action(op) for op in validate_allowlist(ops)
                      if op not in _NO_PERMISSION and (include_assume_role or op != ("sts", "AssumeRole"))})
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "IamkitReadOnlyAssessment", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def policy_json(ops: Iterable[Operation]) -> str:
    return json.dumps(policy_document(ops), indent=2)
