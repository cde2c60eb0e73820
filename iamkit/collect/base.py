"""Helpers shared by collectors: run one AWS step and record either its file or its error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iamkit.aws.session import AWS_ERRORS, error_code, one_line
from iamkit.evidence import BundleWriter


def step(writer: BundleWriter, collector: str, operation: str, relpath: str | None,
         fn: Callable[[], Any], *, region: str = "global", error_file: str | None = None) -> Any | None:
    """Run ``fn``; write its result to ``relpath`` (JSON) or record the AWS error. Never writes an
    empty file for a failed call. Returns the result, or None when the call failed (the error names
    ``error_file`` or ``relpath``: the file the caller would have written)."""
    try:
        result = fn()
    except AWS_ERRORS as exc:
        writer.add_error(collector, operation, error_code(exc), one_line(exc), region=region,
                         file=error_file or relpath)
        return None
    if relpath is not None:
        writer.write_json(relpath, result)
    return result


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
    """All items of a paginated operation (botocore paginator), pages merged."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(result_key, []))
    return items


def strip_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}
